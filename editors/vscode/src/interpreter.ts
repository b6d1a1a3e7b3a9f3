// Interpreter discovery: which Python runs `python -m shapelens serve`, and whether shapelens
// is importable there. Order: the shapelens.interpreter setting, the interpreter selected in
// the Python extension (when installed), python3 on PATH.
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
  return { path: process.platform === 'win32' ? 'python' : 'python3', source: 'PATH' };
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

/** Whether shapelens can be imported by this interpreter (and which version). */
export async function probe(python: string): Promise<Probe> {
  try {
    const { stdout } = await run(python, ['-c', 'import shapelens; print(shapelens.__version__)'], 30_000);
    return { ok: true, version: stdout.trim() };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      return { ok: false, reason: `${python} was not found` };
    }
    return { ok: false, reason: lastLine(e.stderr ?? '') || e.message };
  }
}

/** `python -m pip install shapelens`; resolves with pip's output, rejects with its error. */
export async function installShapelens(python: string): Promise<string> {
  const { stdout, stderr } = await run(python, ['-m', 'pip', 'install', 'shapelens'], 600_000);
  return stdout + stderr;
}
