// A status bar item while the server reports work-done progress (the TensorFlow dry run).
//
// The client would show server-created progress as a window progress of its own; attach()
// takes over window/workDoneProgress/create so that there is exactly one item, which also
// covers progress the extension asked for itself (a workDoneToken it sends, see track()).
import * as vscode from 'vscode';
import {
  BaseLanguageClient, ProgressToken, WorkDoneProgress, WorkDoneProgressCreateRequest,
} from 'vscode-languageclient';

interface Running {
  title: string;
  message?: string;
  percentage?: number;
}

type ProgressClient = Pick<BaseLanguageClient, 'onProgress' | 'onRequest'>;

export class ProgressStatus implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly running = new Map<ProgressToken, Running>();
  private readonly subscriptions = new Map<ProgressToken, vscode.Disposable>();

  constructor(showLogCommand: string) {
    this.item = vscode.window.createStatusBarItem('shapelens.progress', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'shapelens progress';
    this.item.command = showLogCommand;
  }

  attach(client: ProgressClient): vscode.Disposable {
    return client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.track(client, token);
    });
  }

  /** Shows the progress reported under this token until it ends (or clear()). */
  track(client: ProgressClient, token: ProgressToken): void {
    this.subscriptions.get(token)?.dispose();
    this.subscriptions.set(token, client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'begin') {
        this.running.set(token, { title: value.title, message: value.message, percentage: value.percentage });
      } else if (value.kind === 'report') {
        const current = this.running.get(token) ?? { title: 'shapelens' };
        this.running.set(token, { ...current, message: value.message ?? current.message,
                                  percentage: value.percentage ?? current.percentage });
      } else {
        this.end(token);
      }
      this.render();
    }));
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
    this.item.dispose();
  }

  private end(token: ProgressToken): void {
    this.running.delete(token);
    this.subscriptions.get(token)?.dispose();
    this.subscriptions.delete(token);
  }

  private render(): void {
    const latest = [...this.running.values()].pop();
    if (!latest) {
      this.item.hide();
      return;
    }
    const percent = latest.percentage === undefined ? '' : ` ${Math.round(latest.percentage)}%`;
    const more = this.running.size > 1 ? ` (+${this.running.size - 1})` : '';
    this.item.text = `$(sync~spin) ${latest.title}${percent}${more}`;
    this.item.tooltip = [latest.title, latest.message].filter(Boolean).join(': ');
    this.item.show();
  }
}
