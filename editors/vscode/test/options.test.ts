import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXTENSION_ONLY, optionPaths, toTree } from '../src/options';

const packageJson = JSON.parse(readFileSync('package.json', 'utf8'));

test('optionPaths lists the server options package.json contributes, not the extension\'s own', () => {
  const paths = optionPaths(packageJson);
  assert.ok(paths.includes('diagnostics.debounceMs'));
  assert.ok(paths.includes('dryRun.mode'));
  assert.ok(paths.includes('logLevel'));
  for (const own of EXTENSION_ONLY) {
    assert.ok(!paths.includes(own), own);
    assert.ok(`shapelens.${own}` in packageJson.contributes.configuration.properties, own);
  }
});

test('toTree nests dotted paths and leaves unset values out', () => {
  assert.deepEqual(toTree([['dryRun.mode', 'onSave'], ['dryRun.timeoutMs', 1000], ['logLevel', 'debug'],
                           ['inlayHints.enabled', undefined], ['diagnostics.hint', false]]),
                   { dryRun: { mode: 'onSave', timeoutMs: 1000 }, logLevel: 'debug', diagnostics: { hint: false } });
  assert.deepEqual(toTree([]), {});
});
