import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressStatus } from '../src/progress';
import * as vscode from 'vscode';

interface FakeItem { text: string; tooltip?: string; command?: string; visible: boolean }
const statusBarItems = (vscode as unknown as { statusBarItems: FakeItem[] }).statusBarItems;

/** A client that records the handlers the status item registers. */
function fakeClient() {
  const progress = new Map<string | number, (value: unknown) => void>();
  let create: ((params: { token: string | number }) => void) | undefined;
  return {
    progress,
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
  assert.match(item.text, /TensorFlow dry run/);
  assert.equal(item.tooltip, 'TensorFlow dry run: importing TensorFlow');
  client.send('t1', { kind: 'report', percentage: 50, message: 'building cifar_cnn' });
  assert.match(item.text, /50%/);
  assert.equal(item.tooltip, 'TensorFlow dry run: building cifar_cnn');
  client.send('t1', { kind: 'end' });
  assert.equal(item.visible, false);
  assert.equal(client.progress.size, 0);
  assert.equal(item.command, 'shapelens.showLog');
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
  status.clear();
  assert.equal(item.visible, false);
  assert.equal(client.progress.size, 0);
});
