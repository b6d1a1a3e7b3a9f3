// "Confirm shapes with TensorFlow": asks the server for a TensorFlow dry run of the current file.
//
// The server command is found among the commands the server announces, so that a server
// without it (older, or built without the worker) gets a clear message instead of an error.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { BaseLanguageClient, ExecuteCommandRequest } from 'vscode-languageclient';
import { ProgressStatus } from './progress';

const KNOWN = ['shapelens.confirmWithTensorFlow', 'shapelens.dryRun', 'shapelens.runDryRun'];

/** The server's dry-run command among those it announces, if any. */
export function findDryRunCommand(announced: readonly string[], own: ReadonlySet<string>): string | undefined {
  return KNOWN.find((c) => announced.includes(c))
    ?? announced.find((c) => !own.has(c) && /tensorflow|dry.?run/i.test(c));
}

type Client = Pick<BaseLanguageClient, 'sendRequest' | 'sendNotification' | 'onProgress' | 'onRequest' |
                             'initializeResult'>;

export async function confirm(client: Client, own: ReadonlySet<string>, progress: ProgressStatus,
                              editor: vscode.TextEditor): Promise<unknown> {
  const announced = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  const command = findDryRunCommand(announced, own);
  if (!command) {
    void vscode.window.showWarningMessage(
      'shapelens: this shapelens server has no TensorFlow dry run. Update shapelens in the server\'s interpreter.');
    return undefined;
  }
  // The server shows its findings (window/showMessage, SL9xx diagnostics) and reports the
  // worker's start as progress of its own; this token covers servers that report on it.
  const workDoneToken = randomUUID();
  progress.track(client, workDoneToken);
  try {
    return await client.sendRequest(ExecuteCommandRequest.type, {
      command, arguments: [editor.document.uri.toString()], workDoneToken,
    });
  } finally {
    progress.release(workDoneToken);
  }
}
