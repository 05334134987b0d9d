import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadProgress } from '../../src/components/load-progress.js';

test('one overall figure: bytes done of bytes total across files, then compile', () => {
  const p = new LoadProgress();
  assert.deepEqual(p.current, { phase: 'download', loaded: 0, total: 0, fraction: null });
  p.update({ phase: 'download', file: 'enc.onnx', loaded: 100, total: 1000 });
  assert.equal(p.update({ phase: 'cache', file: 'dec.onnx', loaded: 500, total: 500 }).fraction, 600 / 1500);
  const last = p.update({ phase: 'download', file: 'enc.onnx', loaded: 1000, total: 1000 });
  assert.deepEqual(last, { phase: 'download', loaded: 1500, total: 1500, fraction: 1 });
  assert.equal(p.update({ phase: 'compile', file: 'enc.onnx', loaded: 0, total: 1 }).phase, 'compile');
  p.reset();
  assert.equal(p.current.total, 0);
});

test('a file of unknown size makes the fraction unknown, not wrong', () => {
  const p = new LoadProgress();
  p.update({ phase: 'download', file: 'a', loaded: 10, total: 100 });
  const r = p.update({ phase: 'download', file: 'b', loaded: 50, total: 0 });
  assert.equal(r.fraction, null);
  assert.equal(r.loaded, 60);
});
