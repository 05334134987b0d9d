import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thresholdMask, upsampleAndThreshold, upsampleBilinear } from '../../src/engine/math/resample.js';
import { rng } from './math-helpers.js';

// Direct 4-tap formula of §2.6, evaluated independently per output pixel.
function direct(src: ArrayLike<number>, inW: number, inH: number, outW: number, outH: number): Float64Array {
  const out = new Float64Array(outW * outH);
  const axis = (d: number, inSize: number, outSize: number): [number, number, number] => {
    const s = Math.max(0, ((d + 0.5) * inSize) / outSize - 0.5);
    const i0 = Math.floor(s);
    return [i0, Math.min(i0 + 1, inSize - 1), s - i0];
  };
  for (let y = 0; y < outH; y++) {
    const [y0, y1, wy] = axis(y, inH, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, wx] = axis(x, inW, outW);
      out[y * outW + x] =
        (1 - wy) * ((1 - wx) * src[y0 * inW + x0] + wx * src[y0 * inW + x1]) +
        wy * ((1 - wx) * src[y1 * inW + x0] + wx * src[y1 * inW + x1]);
    }
  }
  return out;
}

function randomMap(n: number, seed: number, scale = 20): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() - 0.5) * scale;
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('hand-computed 2×2 → 4×4 (align_corners=false)', () => {
  // Per axis (in 2, out 4): src = (d + 0.5)/2 − 0.5 = −0.25 → 0, 0.25, 0.75, 1.25 → (i0 1, i1 clamped to 1).
  // Weights along x on [0, 1]: 0, 0.25, 0.75, 1; rows add 2·(same weights) for the [2, 3] row.
  const out = upsampleBilinear(Float32Array.of(0, 1, 2, 3), 2, 2, 4, 4);
  assert.deepEqual([...out], [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
});

test('hand-computed 2×1 → 5×1 with non-integer ratio', () => {
  // src = (d + 0.5)·0.4 − 0.5: −0.3 → 0, 0.1, 0.5, 0.9, 1.3 → value 1 (clamped).
  const out = upsampleBilinear(Float32Array.of(10, 20), 2, 1, 5, 1);
  const expected = [10, 11, 15, 19, 20];
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(out[i] - expected[i]) < 1e-5, `${i}: ${out[i]}`);
});

test('same size is the identity', () => {
  const src = randomMap(17 * 9, 1);
  assert.deepEqual([...upsampleBilinear(src, 17, 9, 17, 9)], [...src]);
});

test('constant maps stay constant', () => {
  const out = upsampleBilinear(new Float32Array(64).fill(-1024), 8, 8, 37, 23);
  assert.ok(out.every((v) => v === -1024));
});

test('matches the direct formula within 1e-5 (up, down, mixed, odd sizes)', () => {
  const cases: Array<[number, number, number, number]> = [
    [256, 256, 1024, 1024],
    [256, 256, 640, 480],
    [256, 256, 333, 127],
    [256, 256, 100, 100],
    [7, 5, 31, 2],
    [1, 1, 4, 3],
    [3, 1, 1, 9],
  ];
  for (const [i, [inW, inH, outW, outH]] of cases.entries()) {
    const src = randomMap(inW * inH, 10 + i);
    const got = upsampleBilinear(src, inW, inH, outW, outH);
    assert.equal(got.length, outW * outH);
    const d = maxAbsDiff(got, direct(src, inW, inH, outW, outH));
    assert.ok(d < 1e-5, `case ${inW}x${inH}->${outW}x${outH}: ${d}`);
  }
});

test('1920×1080 output matches the direct formula', () => {
  const src = randomMap(256 * 256, 99, 64);
  const got = upsampleBilinear(src, 256, 256, 1920, 1080);
  assert.ok(maxAbsDiff(got, direct(src, 256, 256, 1920, 1080)) < 1e-5);
});

test('writes into a provided buffer and validates sizes', () => {
  const out = new Float32Array(16);
  assert.equal(upsampleBilinear(Float32Array.of(0, 1, 2, 3), 2, 2, 4, 4, out), out);
  assert.equal(out[5], 0.75);
  assert.throws(() => upsampleBilinear(new Float32Array(3), 2, 2, 4, 4), RangeError);
  assert.throws(() => upsampleBilinear(new Float32Array(4), 2, 2, 4, 4, new Float32Array(15)), RangeError);
  assert.throws(() => upsampleBilinear(new Float32Array(4), 2, 2, 0, 4), RangeError);
  assert.throws(() => upsampleBilinear(new Float32Array(4), 2, 2, 4.5, 4), RangeError);
});

test('thresholdMask is strictly greater than the threshold', () => {
  const m = thresholdMask(Float32Array.of(-1, 0, 1e-7, 2, -0, NaN));
  assert.deepEqual([...m], [0, 0, 1, 1, 0, 0]);
  assert.deepEqual([...thresholdMask(Float32Array.of(0.4, 0.5, 0.6), 0.5)], [0, 0, 1]);
  const out = new Uint8Array(3).fill(9);
  assert.equal(thresholdMask(Float32Array.of(1, -1, 1), 0, out), out);
  assert.deepEqual([...out], [1, 0, 1]);
});

test('upsampleAndThreshold equals thresholdMask(upsampleBilinear(...)) bit for bit', () => {
  const cases: Array<[number, number, number, number]> = [
    [256, 256, 1920, 1080],
    [256, 256, 1080, 1920],
    [256, 256, 97, 301],
    [2, 2, 4, 4],
  ];
  for (const [i, [inW, inH, outW, outH]] of cases.entries()) {
    const src = randomMap(inW * inH, 50 + i);
    const a = upsampleAndThreshold(src, inW, inH, outW, outH);
    const b = thresholdMask(upsampleBilinear(src, inW, inH, outW, outH));
    assert.ok(a.length === b.length && a.every((v, j) => v === b[j]), `case ${i}`);
  }
});

test('upsampleAndThreshold honours threshold and output buffer', () => {
  const src = Float32Array.of(0, 1, 2, 3);
  const out = new Uint8Array(16).fill(7);
  assert.equal(upsampleAndThreshold(src, 2, 2, 4, 4, 1.5, out), out);
  // Values from the 2×2 → 4×4 case above, > 1.5.
  assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
});

test('interpolate then threshold differs from resampling a binarised mask', () => {
  // Logits −1, +3 cross zero at a quarter of the way from the first pixel centre to the second.
  const logits = upsampleAndThreshold(Float32Array.of(-1, 3), 2, 1, 8, 1);
  assert.deepEqual([...logits], [0, 0, 0, 1, 1, 1, 1, 1]);
  // Binarising first moves the edge: the wrong order gives a different mask.
  const binarisedFirst = upsampleAndThreshold(Float32Array.of(0, 1), 2, 1, 8, 1);
  assert.deepEqual([...binarisedFirst], [0, 0, 1, 1, 1, 1, 1, 1]);
});
