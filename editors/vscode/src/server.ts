// Server start/restart: runs the shapelens server under the discovered interpreter as a
// language client. By default the server bundled with the extension (bundled/libs, started by
// bundled/tool/launch.py), so nothing has to be installed in the user's environment; with
// shapelens.importStrategy = fromEnvironment, the interpreter's own `python -m shapelens serve`.
// Always isolated (`-I`) and from a neutral working directory: the workspace is never on sys.path.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification, ExecuteCommandRequest, LanguageClient,
  LanguageClientOptions, ServerOptions, State,
} from 'vscode-languageclient/node';
import * as interpreter from './interpreter';
import { errorText, Log } from './logging';
import { ProgressStatus } from './progress';
import { importStrategy, ImportStrategy, serverOptions, setImportStrategy, setInterpreter } from './settings';
import { SERVER_SHOW_SUMMARY, Summaries } from './summary';

export class Server implements vscode.Disposable {
  client: LanguageClient | undefined;
  private clientSubscriptions: vscode.Disposable[] = [];
  private starting: Promise<void> | undefined;
  private readonly packageJson: { contributes: { commands: { command: string }[] } };
  /** The server's working directory: never the workspace, which `python -m` would put first on
   * sys.path (a project's own typing.py or logging.py would then be imported and run). */
  /** The commands package.json contributes; the server's own commands must not take their names. */
  readonly ownCommands: ReadonlySet<string>;

  /** bundled/tool: the launcher's directory, also the server's (neutral) working directory. */
  private readonly toolDir: string;

  constructor(context: vscode.ExtensionContext, private readonly log: Log,
              private readonly progress: ProgressStatus, private readonly summaries: Summaries) {
    this.packageJson = context.extension.packageJSON;
    this.toolDir = path.join(context.extensionPath, 'bundled', 'tool');
    this.ownCommands = new Set(this.packageJson.contributes.commands.map((c) => c.command));
  }

  /** Starts the server unless it is running or starting. */
  start(): Promise<void> {
    this.starting ??= this.doStart().finally(() => { this.starting = undefined; });
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting;
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientSubscriptions.forEach((d) => d.dispose());
    this.clientSubscriptions = [];
    this.progress.clear();
    if (client && client.state !== State.Stopped) {
      try {
        await client.stop(5_000);
      } catch (error) {
        this.log.warn(`stopping the server: ${errorText(error)}`);
      }
    }
    await client?.dispose().catch(() => undefined);
  }

  /** Sends the current options (after a settings change). */
  sendOptions(): void {
    if (this.client?.state === State.Running) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type,
                                        { settings: { shapelens: serverOptions(this.packageJson) } });
    }
  }

  dispose(): void {
    void this.stop();
  }

  private async doStart(): Promise<void> {
    if (this.client) {
      return;
    }
    const python = await interpreter.discover();
    const strategy = importStrategy();
    this.log.info(`interpreter: ${python.path} (from ${python.source})`);
    const version = await interpreter.pythonVersion(python.path);
    if (!version || !interpreter.supported(version)) {
      const found = version ? `Python ${version.join('.')}` : 'not a Python that runs';
      this.log.error(`${python.path} (from ${python.source}) is ${found}; shapelens needs Python 3.10 or newer`);
      void this.offerFix(python, `it is ${found}; shapelens needs Python 3.10 or newer`, strategy);
      return;
    }
    const launcher = strategy === 'useBundled' ? path.join(this.toolDir, 'launch.py') : undefined;
    const probe = await interpreter.probe(python.path, launcher);
    if (!probe.ok) {
      this.log.error(`shapelens (${strategy === 'useBundled' ? 'bundled' : 'from the environment'}) cannot be ` +
                     `imported by ${python.path}: ${probe.reason}`);
      void this.offerFix(python, probe.reason, strategy);
      return;
    }
    this.log.info(`shapelens ${probe.version} (${strategy === 'useBundled' ? 'bundled with the extension'
                                                                           : 'from the environment'})`);
    const client = this.createClient(python.path, launcher);
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.log.error(`the shapelens server did not start: ${errorText(error)}`);
      void vscode.window.showErrorMessage(`shapelens: the server did not start (${errorText(error)}).`,
                                          'Open Log').then((choice) => choice && this.log.show());
      return;
    }
    this.clientSubscriptions.push(this.progress.attach(client), this.summaries.attachMessageFilter(client));
  }

  private createClient(python: string, launcher: string | undefined): LanguageClient {
    // -I: no PYTHONPATH, no user site, neither the script's nor the working directory on sys.path
    // (the launcher puts bundled/libs first itself); the working directory is the extension's own.
    const server: ServerOptions = {
      command: python,
      args: launcher ? ['-I', launcher, 'serve'] : ['-I', '-m', 'shapelens', 'serve'],
      options: { cwd: this.toolDir, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const options: LanguageClientOptions = {
      // Notebook cells too (VS Code's built-in notebook editor; no Jupyter extension needed): the
      // server syncs whole notebooks (LSP 3.17) and answers requests on cell URIs.
      documentSelector: [{ scheme: 'file', language: 'python' }, { scheme: 'untitled', language: 'python' },
                         { notebook: 'jupyter-notebook', language: 'python' },
                         { scheme: 'vscode-notebook-cell', language: 'python' }],
      outputChannel: this.log,
      traceOutputChannel: this.log,
      initializationOptions: serverOptions(this.packageJson),
      middleware: {
        // The server may ask for its section instead of waiting for a push: answer with the
        // same option tree (not VS Code's raw section, which holds the extension's settings).
        workspace: {
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer;
            }
            return params.items.map((item, i) => (item.section === 'shapelens' ? serverOptions(this.packageJson)
                                                                                  : answer[i]));
          },
        },
        // Code lenses run the server's summary command: show its table in a document.
        executeCommand: (command, args, next) => (command === SERVER_SHOW_SUMMARY && this.client
          ? this.summaries.show(this.client, args) : next(command, args)),
      },
    };
    const client = new LanguageClient('shapelens', 'shapelens', server, options);
    this.keepOwnCommandNames(client);
    return client;
  }

  /**
   * The client registers a VS Code command for each command the server announces; one named
   * like a command of package.json would make registration throw and the start fail.
   */
  private keepOwnCommandNames(client: LanguageClient): void {
    const feature = client.getFeature(ExecuteCommandRequest.method);
    const register = feature.register.bind(feature);
    feature.register = (data) => register({
      ...data,
      registerOptions: { ...data.registerOptions,
                         commands: data.registerOptions.commands.filter((c) => !this.ownCommands.has(c)) },
    });
  }

  private async offerFix(python: interpreter.Interpreter, reason: string, strategy: ImportStrategy): Promise<void> {
    const bundled = 'Use Bundled shapelens';
    const pick = 'Select Interpreter';
    const message = strategy === 'fromEnvironment'
      ? `shapelens is not installed for ${python.path} (from ${python.source}): ${reason}. ` +
        'shapelens.importStrategy is "fromEnvironment"; use the shapelens bundled with the extension, ' +
        'or pick an interpreter that has it.'
      : `shapelens cannot start with ${python.path} (from ${python.source}): ${reason}. ` +
        'Pick a Python 3.10 or newer (nothing needs to be installed in it).';
    const buttons = strategy === 'fromEnvironment' ? [bundled, pick, 'Open Log'] : [pick, 'Open Log'];
    const choice = await vscode.window.showErrorMessage(message, ...buttons);
    if (choice === bundled) {
      await setImportStrategy('useBundled'); // the settings change restarts the server
    } else if (choice === pick) {
      await this.pickInterpreter();
    } else if (choice === 'Open Log') {
      this.log.show();
    }
  }

  private async pickInterpreter(): Promise<void> {
    if (interpreter.hasPythonExtension()) {
      // The selection change restarts the server (see extension.ts).
      await vscode.commands.executeCommand('python.setInterpreter');
      return;
    }
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this interpreter',
                                                        title: 'Python interpreter for shapelens' });
    if (picked?.[0]) {
      await setInterpreter(picked[0].fsPath); // the settings change restarts the server
    }
  }
}
