import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectAmongThree, selectMask, stability } from '../../src/engine/math/select.js';

const N = 256 * 256;

function constMask(v: number): Float32Array {
  return new Float32Array(N).fill(v);
}

// A 256² mask whose stability is exactly inter/union: `inter` pixels at 1, `band` pixels at 0, the rest at -1.
function maskWith(inter: number, band: number): Float32Array {
  const m = constMask(-1);
  m.fill(1, 0, inter);
  m.fill(0, inter, inter + band);
  return m;
}

test('stability counts v > delta over v > -delta', () => {
  const m = Float32Array.of(1, 0.5, 0.06, 0.05, 0, -0.04, -0.05, -0.06, -1);
  // inter: 1, 0.5, 0.06 (0.05 is not > 0.05) -> 3; union: + 0.05, 0, -0.04 -> 6.
  assert.equal(stability(m), Math.fround(3 / 6));
  assert.equal(stability(m, 0.5), Math.fround(1 / 8));
});

test('stability is 1 when the union is empty', () => {
  assert.equal(stability(constMask(-5)), 1);
  assert.equal(stability(new Float32Array(0)), 1);
  assert.equal(stability(constMask(-1024)), 1);
});

test('stability compares against float32(delta), like the reference', () => {
  const d = Math.fround(0.05);
  // A float32 logit equal to float32(0.05) is not > 0.05 in float32 arithmetic.
  assert.equal(stability(Float32Array.of(d, -d + 1e-9)), 0);
});

test('multimask for 0 and 1 points: best of tokens 1..3, pointer follows', () => {
  const masks = [constMask(-1), constMask(1), constMask(1), constMask(1)];
  for (const nPts of [0, 1]) {
    assert.deepEqual(selectMask([0.99, 0.2, 0.7, 0.5], masks, nPts), { k: 2, ptrToken: 2, iou: 0.7 });
    assert.deepEqual(selectMask([0.1, 0.2, 0.5, 0.9], masks, nPts), { k: 3, ptrToken: 3, iou: 0.9 });
  }
});

test('multimask ties resolve to the lowest index, token 0 never competes', () => {
  const masks = [constMask(1), constMask(1), constMask(1), constMask(1)];
  assert.deepEqual(selectMask([1, 0.5, 0.5, 0.5], masks, 0), { k: 1, ptrToken: 1, iou: 0.5 });
  assert.deepEqual(selectMask([1, 0.3, 0.6, 0.6], masks, 1), { k: 2, ptrToken: 2, iou: 0.6 });
});

test('a lone box (2 points) takes the single-mask path: stable token 0', () => {
  const masks = [constMask(3), constMask(-1), constMask(-1), constMask(-1)];
  assert.deepEqual(selectMask([0.4, 0.9, 0.8, 0.7], masks, 2), { k: 0, ptrToken: 0, iou: 0.4 });
});

test('unstable token 0 falls back to the best multimask, pointer stays token 0', () => {
  // Stability 0.5: half the pixels sit inside the ±0.05 band.
  const masks = [maskWith(N / 2, N / 2), constMask(0), constMask(0), constMask(0)];
  assert.deepEqual(selectMask([0.99, 0.2, 0.9, 0.9], masks, 3), { k: 2, ptrToken: 0, iou: 0.9 });
});

test('stability threshold is >= 0.98', () => {
  const exactly = maskWith(49 * 1000, 1000); // 49000 / 50000 = 0.98
  const below = maskWith(49 * 1000 - 1, 1001);
  assert.equal(stability(exactly), Math.fround(0.98));
  assert.equal(selectMask([0.5, 0.6, 0.7, 0.8], [exactly, exactly, exactly, exactly], 2).k, 0);
  assert.deepEqual(selectMask([0.5, 0.6, 0.7, 0.8], [below, below, below, below], 2), { k: 3, ptrToken: 0, iou: 0.8 });
  // A custom threshold is honoured.
  assert.equal(selectMask([0.5, 0.6, 0.7, 0.8], [below, below, below, below], 2, 0.9).k, 0);
});

test('an empty single mask (union 0) counts as stable', () => {
  const masks = [constMask(-20), constMask(5), constMask(5), constMask(5)];
  assert.deepEqual(selectMask([0.1, 0.9, 0.9, 0.9], masks, 4), { k: 0, ptrToken: 0, iou: 0.1 });
});

test('a flat 4×256×256 array behaves like four masks', () => {
  const flat = new Float32Array(4 * N);
  flat.set(maskWith(N / 2, N / 2), 0); // unstable token 0
  flat.fill(7, N);
  assert.deepEqual(selectMask([0.9, 0.1, 0.2, 0.3], flat, 2), { k: 3, ptrToken: 0, iou: 0.3 });
  flat.fill(2, 0, N); // now stable
  assert.deepEqual(selectMask([0.9, 0.1, 0.2, 0.3], flat, 2), { k: 0, ptrToken: 0, iou: 0.9 });
  // Only token 0 is inspected: garbage in 1..3 does not matter.
  flat.fill(0, N);
  assert.equal(selectMask([0.9, 0.1, 0.2, 0.3], flat, 5).k, 0);
});

test('stability is evaluated on token 0 only, not on the candidates', () => {
  const masks = [constMask(5), maskWith(10, N - 10), maskWith(10, N - 10), maskWith(10, N - 10)];
  assert.equal(selectMask([0.2, 0.9, 0.9, 0.9], masks, 2).k, 0);
});

test('selectAmongThree: argmax, ties lowest', () => {
  assert.equal(selectAmongThree([0.1, 0.5, 0.3]), 1);
  assert.equal(selectAmongThree([0.7, 0.7, 0.7]), 0);
  assert.equal(selectAmongThree(Float32Array.of(0.2, 0.9, 0.9)), 1);
  assert.equal(selectAmongThree([-3, -2, -1]), 2);
});

test('malformed inputs throw', () => {
  assert.throws(() => selectMask([0.1, 0.2, 0.3], [], 0), RangeError);
  assert.throws(() => selectMask([0.1, 0.2, 0.3, 0.4], [constMask(1)], 2), RangeError);
  assert.throws(() => selectMask([0.1, 0.2, 0.3, 0.4], new Float32Array(7), 2), RangeError);
  assert.throws(() => selectAmongThree([0.1, 0.2]), RangeError);
});
