import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDryRunCommand } from '../src/dryRun';

const own = new Set(['shapelens.restartServer', 'shapelens.confirmShapesWithTensorFlow']);

test('the server\'s dry-run command is found by its known name', () => {
  assert.equal(findDryRunCommand(['shapelens.showSummary', 'shapelens.confirmWithTensorFlow'], own),
               'shapelens.confirmWithTensorFlow');
});

test('another name mentioning TensorFlow or a dry run is taken, but never the extension\'s own', () => {
  assert.equal(findDryRunCommand(['shapelens.showSummary', 'shapelens.tensorflowDryRun'], own),
               'shapelens.tensorflowDryRun');
  assert.equal(findDryRunCommand(['shapelens.confirmShapesWithTensorFlow'], own), undefined);
});

test('a server without one: undefined (the command then says so)', () => {
  assert.equal(findDryRunCommand(['shapelens.showSummary'], own), undefined);
  assert.equal(findDryRunCommand([], own), undefined);
});
