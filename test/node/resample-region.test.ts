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
  ];
  for (const [w, h, cx, cy, r] of cases) {
    const src = blob(256, cx, cy, r, () => (rand() - 0.5) * 2);
    const want = upsampleAndThreshold(src, 256, 256, w, h);
    const got = upsampleThresholdRegion(src, 256, 256, w, h);
    assert.deepEqual(got.data, want, `${w}x${h}`);
    assert.deepEqual(got.bbox, maskBbox(want, w, h));
    assert.equal(got.area, maskArea(want));
  }
});
