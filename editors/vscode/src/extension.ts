// Wiring only: each concern lives in its own module (interpreter discovery, server start and
// restart, settings, logging, commands).
import * as vscode from 'vscode';
import * as commands from './commands';
import * as interpreter from './interpreter';
import { createLog } from './logging';
import { ProgressStatus } from './progress';
import { Server } from './server';
import * as settings from './settings';
import { Summaries } from './summary';

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = createLog();
  const progress = new ProgressStatus(commands.SHOW_LOG);
  const summaries = new Summaries();
  server = new Server(context, log, progress, summaries);
  const current = server;
  context.subscriptions.push(
    log, progress, summaries, current,
    commands.register(current, summaries, progress, log),
    settings.watch(() => void current.restart(), () => current.sendOptions()),
    await interpreter.onDidChangeSelection(() => {
      if (!settings.interpreterSetting()) {
        void current.restart();
      }
    }),
  );
  void current.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
