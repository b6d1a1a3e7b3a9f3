// Logging: one output channel ("shapelens") for the extension's own messages, the server's
// stderr and window/logMessage, and (with shapelens.trace.server) the LSP traffic.
import * as vscode from 'vscode';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('shapelens', { log: true });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
