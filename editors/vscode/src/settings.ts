// Settings: what the user set under `shapelens.*`, as the server's option tree.
//
// Only values the user actually set are sent: VS Code's defaults would otherwise override the
// project's [tool.shapelens] table (the server ranks client settings above pyproject.toml).
import * as vscode from 'vscode';
import { optionPaths, toTree } from './options';

const SECTION = 'shapelens';

function scope(): vscode.ConfigurationScope | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

export function serverOptions(packageJson: object): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope());
  return toTree(optionPaths(packageJson).map((path): [string, unknown] => {
    const set = config.inspect(path);
    return [path, set?.workspaceFolderValue ?? set?.workspaceValue ?? set?.globalValue];
  }));
}

/** The `shapelens.interpreter` setting, with `~` and `${workspaceFolder}` expanded; undefined if empty. */
export function interpreterSetting(): string | undefined {
  const raw = vscode.workspace.getConfiguration(SECTION, scope()).get<string>('interpreter', '').trim();
  if (!raw) {
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '~';
  return raw.replace(/\$\{workspaceFolder\}/g, folder).replace(/^~(?=$|[\\/])/, home);
}

export type ImportStrategy = 'useBundled' | 'fromEnvironment';

/** `useBundled` (default): the server bundled in the extension; `fromEnvironment`: the interpreter's own shapelens. */
export function importStrategy(): ImportStrategy {
  const value = vscode.workspace.getConfiguration(SECTION, scope()).get<string>('importStrategy', 'useBundled');
  return value === 'fromEnvironment' ? 'fromEnvironment' : 'useBundled';
}

export async function setImportStrategy(value: ImportStrategy): Promise<void> {
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace
                                                   : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION, scope()).update('importStrategy', value, target);
}

export async function setInterpreter(path: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace
                                                   : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION, scope()).update('interpreter', path, target);
}

/** Calls `onInterpreter` when the interpreter or import strategy changes, `onOptions` for any server option. */
export function watch(onInterpreter: () => void, onOptions: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration(`${SECTION}.interpreter`) || event.affectsConfiguration(`${SECTION}.importStrategy`)) {
      onInterpreter();
    } else if (event.affectsConfiguration(SECTION)) {
      onOptions();
    }
  });
}
