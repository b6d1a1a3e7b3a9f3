// Interpreter discovery: which Python runs the shapelens server, and whether it can. Order:
// the shapelens.interpreter setting, the interpreter selected in the Python extension (when
// installed), then the first Python >= 3.10 on PATH (python3, python, python3.13 ... python3.10).
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { interpreterSetting } from './settings';

export interface Interpreter {
  path: string;
  source: 'the shapelens.interpreter setting' | 'the Python extension' | 'PATH';
}

export type Probe = { ok: true; version: string } | { ok: false; reason: string };

const PYTHON_EXTENSION = 'ms-python.python';

/** The part of the Python extension's API used here (its `environments` API, 2023+). */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

async function pythonApi(): Promise<PythonApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
  if (!extension) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch {
    return undefined;
  }
}

export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION) !== undefined;
}

async function fromPythonExtension(): Promise<string | undefined> {
  const environments = (await pythonApi())?.environments;
  if (!environments) {
    return undefined;
  }
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  const active = environments.getActiveEnvironmentPath(resource);
  const resolved = await environments.resolveEnvironment(active).catch(() => undefined);
  return resolved?.executable.uri?.fsPath ?? active?.path;
}

export async function discover(): Promise<Interpreter> {
  const configured = interpreterSetting();
  if (configured) {
    return { path: configured, source: 'the shapelens.interpreter setting' };
  }
  const selected = await fromPythonExtension();
  if (selected) {
    return { path: selected, source: 'the Python extension' };
  }
  return { path: await firstOnPath(), source: 'PATH' };
}

const PATH_CANDIDATES = ['python3', 'python', 'python3.13', 'python3.12', 'python3.11', 'python3.10', 'python3.14'];

/** The first command on PATH that is a Python >= 3.10 (else the usual name, for the message). */
async function firstOnPath(): Promise<string> {
  for (const name of PATH_CANDIDATES) {
    const found = await pythonVersion(name);
    if (found && supported(found)) {
      return name;
    }
  }
  return process.platform === 'win32' ? 'python' : 'python3';
}

export const MIN_PYTHON: [number, number] = [3, 10];

export function supported(version: [number, number]): boolean {
  return version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1]);
}

/** [major, minor] of an interpreter, or undefined when it does not run. */
export async function pythonVersion(python: string): Promise<[number, number] | undefined> {
  try {
    const { stdout } = await run(python, ['-I', '-c', 'import sys; print("%d %d" % sys.version_info[:2])'], 15_000);
    const [major, minor] = stdout.trim().split(' ').map(Number);
    return Number.isInteger(major) && Number.isInteger(minor) ? [major, minor] : undefined;
  } catch {
    return undefined;
  }
}

/** Fires when the Python extension's selected interpreter changes (never without it). */
export async function onDidChangeSelection(listener: () => void): Promise<vscode.Disposable> {
  const environments = (await pythonApi())?.environments;
  return environments ? environments.onDidChangeActiveEnvironmentPath(listener) : new vscode.Disposable(() => {});
}

function run(command: string, args: string[], timeout: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        reject(Object.assign(error, { stderr: String(stderr) }));
      } else {
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      }
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split(/\r?\n/).pop() ?? '';
}

/**
 * Whether this interpreter can run the server: with the bundled libraries (`launcher` given:
 * `python -I launcher --probe`), or the shapelens installed in its environment
 * (`python -I -c "import shapelens"`). Both isolated: the working directory is never on sys.path.
 */
export async function probe(python: string, launcher?: string): Promise<Probe> {
  const args = launcher ? ['-I', launcher, '--probe']
                        : ['-I', '-c', 'import shapelens; print(shapelens.__version__)'];
  try {
    const { stdout } = await run(python, args, 30_000);
    return { ok: true, version: stdout.trim() };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      return { ok: false, reason: `${python} was not found` };
    }
    return { ok: false, reason: lastLine(e.stderr ?? '') || e.message };
  }
}
