import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressStatus } from '../src/progress';
import * as vscode from 'vscode';

interface FakeItem { text: string; tooltip?: string; command?: string | { command: string; arguments: unknown[] };
                   visible: boolean }
const statusBarItems = (vscode as unknown as { statusBarItems: FakeItem[] }).statusBarItems;

/** A client that records the handlers the status item registers. */
function fakeClient() {
  const progress = new Map<string | number, (value: unknown) => void>();
  const notifications: [string, unknown][] = [];
  let create: ((params: { token: string | number }) => void) | undefined;
  return {
    progress,
    notifications,
    sendNotification: (type: { method: string }, params: unknown) => {
      notifications.push([type.method, params]);
      return Promise.resolve();
    },
    create: (token: string | number) => create!({ token }),
    send: (token: string | number, value: unknown) => progress.get(token)!(value),
    onRequest: (_type: unknown, handler: (params: { token: string | number }) => void) => {
      create = handler;
      return { dispose() { create = undefined; } };
    },
    onProgress: (_type: unknown, token: string | number, handler: (value: unknown) => void) => {
      progress.set(token, handler);
      return { dispose() { progress.delete(token); } };
    },
  };
}

test('server-created progress shows the item until it ends', () => {
  const status = new ProgressStatus('shapelens.showLog');
  const item = statusBarItems[statusBarItems.length - 1];
  const client = fakeClient();
  status.attach(client as never);
  assert.equal(item.visible, false);
  client.create('t1');
  client.send('t1', { kind: 'begin', title: 'TensorFlow dry run', message: 'importing TensorFlow' });
  assert.equal(item.visible, true);
  assert.equal(item.text, '$(sync~spin) TensorFlow dry run: importing TensorFlow');
  assert.equal(item.tooltip, 'TensorFlow dry run: importing TensorFlow');
  assert.equal(item.command, 'shapelens.showLog');
  client.send('t1', { kind: 'report', percentage: 50, message: 'building cifar_cnn' });
  assert.match(item.text, /50%/);
  assert.equal(item.tooltip, 'TensorFlow dry run: building cifar_cnn');
  client.send('t1', { kind: 'end' });
  assert.equal(item.visible, false);
  assert.equal(client.progress.size, 0);
});

test('a cancellable progress: clicking the item sends window/workDoneProgress/cancel', async () => {
  const status = new ProgressStatus('shapelens.showLog');
  const item = statusBarItems[statusBarItems.length - 1];
  const client = fakeClient();
  status.attach(client as never);
  client.create('load');
  client.send('load', { kind: 'begin', title: 'shapelens', message: 'Loading TensorFlow…', cancellable: true });
  assert.equal(item.text, '$(sync~spin) shapelens: Loading TensorFlow…');
  assert.match(String(item.tooltip), /click to cancel/);
  const command = item.command as { command: string; arguments: unknown[] };
  await vscode.commands.executeCommand(command.command, ...command.arguments);
  assert.deepEqual(client.notifications, [['window/workDoneProgress/cancel', { token: 'load' }]]);
  status.dispose();
});

test('progress the extension asked for (its own token), and clear() when the server stops', () => {
  const status = new ProgressStatus('shapelens.showLog');
  const item = statusBarItems[statusBarItems.length - 1];
  const client = fakeClient();
  status.track(client as never, 'mine');
  client.send('mine', { kind: 'begin', title: 'TensorFlow dry run' });
  status.track(client as never, 'other');
  client.send('other', { kind: 'begin', title: 'TensorFlow dry run' });
  assert.match(item.text, /\(\+1\)/);
  status.release('other');
  assert.doesNotMatch(item.text, /\(\+1\)/);
  assert.equal(item.visible, true);
  status.clear();
  assert.equal(item.visible, false);
  assert.equal(client.progress.size, 0);
});
