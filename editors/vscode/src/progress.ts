// A status bar item while the server reports work-done progress (the TensorFlow dry run's
// "Loading TensorFlow…").
//
// The client would show server-created progress as a window progress of its own; attach()
// takes over window/workDoneProgress/create so that there is exactly one item, which also
// covers progress the extension asked for itself (a workDoneToken it sends, see track()).
// Clicking the item cancels a cancellable progress, else opens the log.
import * as vscode from 'vscode';
import {
  BaseLanguageClient, ProgressToken, WorkDoneProgress, WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient';

export const CANCEL_PROGRESS = 'shapelens.cancelProgress';

type ProgressClient = Pick<BaseLanguageClient, 'onProgress' | 'onRequest' | 'sendNotification'>;

interface Running {
  client: ProgressClient;
  title: string;
  message?: string;
  percentage?: number;
  cancellable?: boolean;
}

export class ProgressStatus implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly running = new Map<ProgressToken, Running>();
  private readonly subscriptions = new Map<ProgressToken, vscode.Disposable>();
  private readonly cancelCommand: vscode.Disposable;

  constructor(private readonly showLogCommand: string) {
    this.item = vscode.window.createStatusBarItem('shapelens.progress', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'shapelens progress';
    this.cancelCommand = vscode.commands.registerCommand(CANCEL_PROGRESS, (token: ProgressToken) => this.cancel(token));
  }

  attach(client: ProgressClient): vscode.Disposable {
    return client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.track(client, token);
    });
  }

  /** Shows the progress reported under this token until it ends (or release() / clear()). */
  track(client: ProgressClient, token: ProgressToken): void {
    this.subscriptions.get(token)?.dispose();
    this.subscriptions.set(token, client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'begin') {
        this.running.set(token, { client, title: value.title, message: value.message, percentage: value.percentage,
                                  cancellable: value.cancellable });
      } else if (value.kind === 'report') {
        const current = this.running.get(token) ?? { client, title: 'shapelens' };
        this.running.set(token, { ...current, message: value.message ?? current.message,
                                  percentage: value.percentage ?? current.percentage,
                                  cancellable: value.cancellable ?? current.cancellable });
      } else {
        this.end(token);
      }
      this.render();
    }));
  }

  /** Stop showing this token's progress (its request is over). */
  release(token: ProgressToken): void {
    this.end(token);
    this.render();
  }

  /** The server stopped: nothing it reported is still running. */
  clear(): void {
    for (const token of [...this.subscriptions.keys()]) {
      this.end(token);
    }
    this.render();
  }

  dispose(): void {
    this.clear();
    this.cancelCommand.dispose();
    this.item.dispose();
  }

  private cancel(token: ProgressToken): void {
    const running = this.running.get(token);
    if (running?.cancellable) {
      void running.client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
    }
  }

  private end(token: ProgressToken): void {
    this.running.delete(token);
    this.subscriptions.get(token)?.dispose();
    this.subscriptions.delete(token);
  }

  private render(): void {
    const entries = [...this.running.entries()];
    if (entries.length === 0) {
      this.item.hide();
      return;
    }
    const [token, latest] = entries[entries.length - 1];
    const percent = latest.percentage === undefined ? '' : ` ${Math.round(latest.percentage)}%`;
    const more = entries.length > 1 ? ` (+${entries.length - 1})` : '';
    const label = latest.message ? `${latest.title}: ${latest.message}` : latest.title;
    this.item.text = `$(sync~spin) ${label}${percent}${more}`;
    this.item.tooltip = latest.cancellable ? `${label} — click to cancel` : label;
    this.item.command = latest.cancellable
      ? { command: CANCEL_PROGRESS, title: 'Cancel', arguments: [token] }
      : this.showLogCommand;
    this.item.show();
  }
}
