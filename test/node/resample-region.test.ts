import { test } from 'node:test';
import assert from 'node:assert/strict';
import { upsampleAndThreshold, upsampleThresholdRegion } from '../../src/engine/math/resample.js';
import { maskArea, maskBbox } from '../../src/shared/polygons.js';
import { rng } from './math-helpers.js';

// A blob of positive logits on a negative field, as a tracked object's low-res mask looks.
function blob(n: number, cx: number, cy: number, r: number, noise: () => number): Float32Array {
  const a = new Float32Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) a[y * n + x] = r - Math.hypot(x - cx, y - cy) + noise();
  return a;
}

test('upsampleThresholdRegion equals upsampleAndThreshold + maskBbox + maskArea', () => {
  const rand = rng(7);
  const cases: [number, number, number, number, number][] = [
    [320, 240, 60, 80, 12],
    [1920, 1080, 10, 250, 6],
    [100, 700, 128, 128, 40],
    [257, 255, 250, 3, 1.2],
    [64, 64, 30, 30, -5], // empty
    [800, 600, 255, 128, 4], // on the right edge
    [333, 999, 0, 0, 3], // in a corner
  ];
  for (const [w, h, cx, cy, r] of cases) {
    const src = blob(256, cx, cy, r, () => (rand() - 0.5) * 2);
    const want = upsampleAndThreshold(src, 256, 256, w, h);
    const got = upsampleThresholdRegion(src, 256, 256, w, h);
    assert.deepEqual(got.data, want, `${w}x${h}`);
    assert.deepEqual(got.bbox, maskBbox(want, w, h));
    assert.equal(got.area, maskArea(want));
  }
  // Two objects far apart: the columns between them are interpolated too, and stay empty.
  const a = blob(256, 40, 60, 10, () => 0);
  const b = blob(256, 200, 180, 15, () => 0);
  const two = a.map((v, i) => Math.max(v, b[i]!));
  const want = upsampleAndThreshold(two, 256, 256, 1024, 768);
  const got = upsampleThresholdRegion(two, 256, 256, 1024, 768);
  assert.deepEqual(got.data, want);
  assert.deepEqual(got.bbox, maskBbox(want, 1024, 768));
});
