// Model summaries: the table the server's shapelens.showSummary command returns, shown in a
// read-only document beside the code -- a live view: while it is open, it is fetched again after
// each analysis of its file (the server publishes diagnostics after every analysis) and after
// edits, so it never goes stale. The server keeps the table within 100 columns.
import * as vscode from 'vscode';
import {
  BaseLanguageClient, DocumentSymbol, DocumentSymbolRequest, ExecuteCommandRequest, MessageType,
  ShowMessageNotification, ShowMessageParams, SymbolKind,
} from 'vscode-languageclient';

/** The server's command (also what its code lenses run). */
export const SERVER_SHOW_SUMMARY = 'shapelens.showSummary';
const SCHEME = 'shapelens-summary';

type Client = Pick<BaseLanguageClient, 'sendRequest' | 'onNotification'>;

export class Summaries implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);
  private pending = 0;
  private held: ShowMessageParams[] = [];
  /** Open summary documents: what to ask the server to refresh them. */
  private readonly live = new Map<string, { client: Client; source: string; index: number }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listeners = [
    vscode.languages.onDidChangeDiagnostics((e) => e.uris.forEach((u) => this.refreshSoon(u.toString(), 50))),
    vscode.workspace.onDidChangeTextDocument((e) => this.refreshSoon(e.document.uri.toString(), 500)),
    vscode.workspace.onDidCloseTextDocument((d) => this.live.delete(d.uri.toString())),
  ];

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Runs the server's command with its arguments (document URI, model index, model line). */
  async show(client: Client, args: unknown[]): Promise<string | undefined> {
    const text = await this.fetch(client, args);
    if (!text) {
      void vscode.window.showInformationMessage('shapelens: no model summary for this file (no Keras model found).');
      return undefined;
    }
    const source = typeof args[0] === 'string' ? vscode.Uri.parse(args[0]) : undefined;
    // The table's first line is "name · kind · ...": the tab says "name summary".
    const model = text.split('\n')[0].split(' · ')[0].replace(/[\\/:*?"<>|]+/g, ' ').trim().slice(0, 60) || 'model';
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${model} summary`, query: source?.toString() ?? '' });
    this.texts.set(uri.toString(), text + '\n');
    if (source) {
      this.live.set(uri.toString(), { client, source: source.toString(), index: typeof args[1] === 'number' ? args[1] : 0 });
    }
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true,
                                                     preserveFocus: true });
    return text;
  }

  /** The summary of the model at the cursor (or picked from a list) in this editor. */
  async showForEditor(client: Client, editor: vscode.TextEditor): Promise<string | undefined> {
    const uri = editor.document.uri.toString();
    const symbols = await client.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    // The server lists models as Class symbols, in the order of its analysis (the index it expects).
    const models = ((symbols ?? []) as DocumentSymbol[]).filter((s) => s.kind === SymbolKind.Class && s.range);
    const cursor = editor.selection.active;
    let index = models.findIndex((m) => m.range.start.line <= cursor.line && cursor.line <= m.range.end.line);
    if (index < 0 && models.length > 1) {
      const picked = await vscode.window.showQuickPick(
        models.map((m, i) => ({ label: m.name, description: m.detail, index: i })),
        { placeHolder: 'Which model?' });
      if (!picked) {
        return undefined;
      }
      index = picked.index;
    }
    index = Math.max(index, 0);
    const line = models[index]?.selectionRange.start.line;
    return this.show(client, line === undefined ? [uri, index] : [uri, index, line]);
  }

  /**
   * The server also sends the table as window/showMessage. This takes over that notification,
   * dropping the copy of a summary this extension shows in a document, and passes on the rest.
   */
  attachMessageFilter(client: Client): vscode.Disposable {
    return client.onNotification(ShowMessageNotification.type, (message) => {
      if (this.pending > 0 && message.type === MessageType.Info) {
        this.held.push(message);
      } else {
        showMessage(message);
      }
    });
  }

  /** Fetches the open summaries of this source file again, after `delayMs` without further changes. */
  private refreshSoon(source: string, delayMs: number): void {
    if (![...this.live.values()].some((v) => v.source === source)) {
      return;
    }
    clearTimeout(this.timers.get(source));
    this.timers.set(source, setTimeout(() => {
      this.timers.delete(source);
      void this.refresh(source);
    }, delayMs));
  }

  private async refresh(source: string): Promise<void> {
    for (const [key, view] of this.live) {
      if (view.source !== source) {
        continue;
      }
      const text = await this.fetch(view.client, [view.source, view.index]).catch(() => undefined);
      const next = (text ?? 'No model summary: the model is gone from the file, or its analysis failed.') + '\n';
      if (this.texts.get(key) !== next) {
        this.texts.set(key, next);
        this.changed.fire(vscode.Uri.parse(key));
      }
    }
  }

  dispose(): void {
    this.listeners.forEach((d) => d.dispose());
    this.timers.forEach((t) => clearTimeout(t));
    this.registration.dispose();
    this.changed.dispose();
  }

  private async fetch(client: Client, args: unknown[]): Promise<string | undefined> {
    this.pending += 1;
    let text: unknown;
    try {
      text = await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_SHOW_SUMMARY, arguments: args });
    } finally {
      this.pending -= 1;
      const held = this.held;
      this.held = [];
      held.filter((m) => m.message !== text).forEach(showMessage);
    }
    return typeof text === 'string' ? text : undefined;
  }
}

export function showMessage(message: ShowMessageParams): void {
  switch (message.type) {
    case MessageType.Error:
      void vscode.window.showErrorMessage(message.message);
      break;
    case MessageType.Warning:
      void vscode.window.showWarningMessage(message.message);
      break;
    default:
      void vscode.window.showInformationMessage(message.message);
  }
}
