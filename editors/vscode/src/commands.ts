// The commands package.json contributes: restart the server, show a model summary, confirm
// shapes with TensorFlow, open the log.
import * as vscode from 'vscode';
import * as dryRun from './dryRun';
import { Log } from './logging';
import { ProgressStatus } from './progress';
import { Server } from './server';
import { Summaries } from './summary';

export const SHOW_LOG = 'shapelens.showLog';

export function register(server: Server, summaries: Summaries, progress: ProgressStatus, log: Log): vscode.Disposable {
  /** The running client and the active Python editor, or undefined after telling the user why not. */
  async function ready(): Promise<[NonNullable<Server['client']>, vscode.TextEditor] | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
      void vscode.window.showInformationMessage('shapelens: open a Python file first.');
      return undefined;
    }
    await server.start();
    if (!server.client?.isRunning()) {
      void vscode.window.showWarningMessage('shapelens: the server is not running; see the log.', 'Open Log')
        .then((choice) => choice && log.show());
      return undefined;
    }
    return [server.client, editor];
  }

  return vscode.Disposable.from(
    vscode.commands.registerCommand('shapelens.restartServer', async () => {
      log.info('restarting the server');
      await server.restart();
    }),
    vscode.commands.registerCommand('shapelens.showModelSummary', async () => {
      const found = await ready();
      return found && summaries.showForEditor(found[0], found[1]);
    }),
    vscode.commands.registerCommand('shapelens.confirmShapesWithTensorFlow', async () => {
      const found = await ready();
      return found && dryRun.confirm(found[0], server.ownCommands, progress, found[1]);
    }),
    vscode.commands.registerCommand(SHOW_LOG, () => log.show()),
  );
}
