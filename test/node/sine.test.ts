import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  f16ToF32,
  f32ToF16,
  fromHalfBits,
  linear,
  objPtrPosEnc,
  sine1d,
  toHalfBits,
} from '../../src/engine/math/sine.js';
import { rng } from './math-helpers.js';

const f = Math.fround;

function close(actual: number, expected: number, tol = 1e-6, msg?: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${msg ?? ''} ${actual} vs ${expected}`);
}

test('sine1d, dim 8, by hand: ω = 1, 1, 100, 100; sines then cosines', () => {
  const out = sine1d(1, 8);
  const expected = [
    Math.sin(1),
    Math.sin(1),
    Math.sin(0.01),
    Math.sin(0.01),
    Math.cos(1),
    Math.cos(1),
    Math.cos(0.01),
    Math.cos(0.01),
  ];
  assert.equal(out.length, 8);
  for (let i = 0; i < 8; i++) assert.equal(out[i], f(expected[i]), `i=${i}`);
});

test('sine1d at 0 is [0 × dim/2, 1 × dim/2]', () => {
  const out = sine1d(0);
  assert.equal(out.length, 256);
  for (let i = 0; i < 128; i++) {
    assert.equal(out[i], 0);
    assert.equal(out[128 + i], 1);
  }
});

test('sine1d, dim 256: frequencies pair up and decay to 10000^(126/128)', () => {
  const p = 0.5;
  const out = sine1d(p);
  // ω_2 = ω_3 = 10000^(2/128) = 10^(1/16) = 1.1547819846894583
  close(out[0], Math.sin(0.5));
  close(out[1], Math.sin(0.5));
  close(out[2], Math.sin(0.5 / 1.1547819846894583));
  close(out[3], out[2], 0);
  close(out[128 + 2], Math.cos(0.5 / 1.1547819846894583));
  // ω_127 = 10000^(126/128) = 10^(3.9375) = 8659.643233600654
  close(out[127], Math.sin(0.5 / 10 ** 3.9375), 1e-9);
  close(out[255], Math.cos(0.5 / 10 ** 3.9375));
  const custom = new Float32Array(256);
  assert.equal(sine1d(p, 256, custom), custom);
  assert.throws(() => sine1d(0, 7), RangeError);
});

test('linear: y = W x + b with row-major [out, in] weights', () => {
  // W = [[1, 2, 3], [4, 5, 6]], x = [1, 0, -1], b = [0.5, -1] → [1 − 3 + 0.5, 4 − 6 − 1] = [−1.5, −3].
  const y = linear(Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(0.5, -1), Float32Array.of(1, 0, -1));
  assert.deepEqual([...y], [-1.5, -3]);
  assert.deepEqual([...linear([1, 2, 3, 4, 5, 6], null, [1, 1, 1])], [6, 15]);
  assert.throws(() => linear(new Float32Array(5), null, new Float32Array(3)), RangeError);
  assert.throws(() => linear(new Float32Array(6), new Float32Array(3), new Float32Array(3)), RangeError);
});

test('objPtrPosEnc = linear(sine1d(pos / (maxPtr − 1), 256))', () => {
  // Weight picks sine element 2·o for output o; bias = o / 100.
  const weight = new Float32Array(64 * 256);
  const bias = new Float32Array(64);
  for (let o = 0; o < 64; o++) {
    weight[o * 256 + 2 * o] = 1;
    bias[o] = o / 100;
  }
  const out = objPtrPosEnc(3, 16, weight, bias);
  assert.equal(out.length, 64);
  const p = f(3 / 15); // 0.2
  close(out[0], Math.sin(p));
  close(out[1], Math.sin(p / 1.1547819846894583) + 0.01);
  const s = sine1d(p);
  for (let o = 0; o < 64; o++) close(out[o], s[2 * o] + bias[o], 1e-6, `o=${o}`);
  // Position 0: all sines vanish, only the bias remains.
  const zero = objPtrPosEnc(0, 16, weight, bias);
  for (let o = 0; o < 64; o++) assert.equal(zero[o], bias[o]);
  // The farthest pointer sits at 1.
  close(objPtrPosEnc(15, 16, weight, null)[0], Math.sin(1));
  close(objPtrPosEnc(4, 5, weight, null)[0], Math.sin(1));
  assert.throws(() => objPtrPosEnc(0, 1, weight, bias), RangeError);
});

test('f32ToF16: known encodings', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // max half
    [65519.99, 0x7bff], // below the midpoint to 65536: rounds down
    [65520, 0x7c00], // midpoint, odd mantissa: rounds up to Inf
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal units: ties to even (2)
    [2 ** -26, 0x0000],
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [1023.5 * 2 ** -24, 0x0400], // rounds up into the normals
    [1 + 2 ** -11, 0x3c00], // tie, even mantissa stays
    [1 + 3 * 2 ** -11, 0x3c02], // tie, odd mantissa rounds up
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [-1024, 0xe400], // the NO_OBJ_SCORE fill value is exact
    [20, 0x4d00],
    [-10, 0xc900],
  ];
  const src = Float32Array.from(cases.map(([v]) => v));
  const out = f32ToF16(src);
  cases.forEach(([v, bits], i) => {
    assert.equal(out[i], bits, `${v}: got 0x${out[i].toString(16)}, want 0x${bits.toString(16)}`);
    assert.equal(toHalfBits(src[i]), bits);
  });
});

test('f32ToF16: NaN stays NaN (quiet), whatever its payload and sign', () => {
  const src = new Float32Array(3);
  const bits = new Uint32Array(src.buffer);
  bits[0] = 0x7fc00000;
  bits[1] = 0x7f800001; // signalling, payload only in the low bits
  bits[2] = 0xffc00000;
  const h = f32ToF16(src);
  for (const v of h) {
    assert.equal(v & 0x7c00, 0x7c00);
    assert.notEqual(v & 0x3ff, 0);
  }
  assert.ok(Number.isNaN(f16ToF32(h)[1]));
});

test('f16ToF32: known values', () => {
  const src = Uint16Array.of(
    0x0000,
    0x8000,
    0x3c00,
    0xc000,
    0x7bff,
    0x0001,
    0x03ff,
    0x0400,
    0x7c00,
    0xfc00,
    0x7e00,
    0x3555,
  );
  const out = f16ToF32(src);
  assert.deepEqual([...out].slice(0, 10), [
    0,
    -0,
    1,
    -2,
    65504,
    2 ** -24,
    1023 * 2 ** -24,
    2 ** -14,
    Infinity,
    -Infinity,
  ]);
  assert.ok(Object.is(out[1], -0));
  assert.ok(Number.isNaN(out[10]));
  assert.equal(out[11], 0.333251953125);
  assert.equal(fromHalfBits(0x3555), 0.333251953125);
});

test('every half survives f16 → f32 → f16 unchanged', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const back = f32ToF16(f16ToF32(all));
  for (let i = 0; i < 65536; i++) {
    const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN) assert.ok((back[i] & 0x7c00) === 0x7c00 && (back[i] & 0x3ff) !== 0);
    else assert.equal(back[i], i, `0x${i.toString(16)}`);
  }
});

test('rounding picks the nearest half (ties to even) on random floats', () => {
  const r = rng(11);
  const src = new Float32Array(20000);
  for (let i = 0; i < src.length; i++) {
    // Log-uniform magnitudes from deep subnormal to overflow, both signs.
    src[i] = (r() < 0.5 ? -1 : 1) * 2 ** (r() * 46 - 30);
  }
  const h = f32ToF16(src);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    const got = fromHalfBits(h[i]);
    if (!Number.isFinite(got)) {
      assert.ok(Math.abs(v) >= 65520, `${v} overflowed`);
      continue;
    }
    // Neighbours one unit either side (same sign) must not be strictly closer.
    const mag = h[i] & 0x7fff;
    const sign = h[i] & 0x8000;
    const err = Math.abs(got - v);
    for (const nb of [mag - 1, mag + 1]) {
      if (nb < 0 || nb >= 0x7c00) continue;
      const alt = fromHalfBits(sign | nb);
      const altErr = Math.abs(alt - v);
      assert.ok(err < altErr || (err === altErr && (mag & 1) === 0), `${v}: 0x${h[i].toString(16)}`);
    }
  }
});

test('fp16 conversion handles a full memory and views with offsets', () => {
  const n = 64 * 64 * 64;
  const r = rng(2);
  const src = new Float32Array(n + 3).map(() => (r() - 0.5) * 8);
  const view = src.subarray(3); // byteOffset 12
  const packed = f32ToF16(view);
  assert.equal(packed.length, n);
  const unpacked = f16ToF32(packed);
  for (let i = 0; i < n; i += 997) close(unpacked[i], view[i], 2 ** -8, `i=${i}`);
  const outH = new Uint16Array(n);
  const outF = new Float32Array(n);
  assert.equal(f32ToF16(view, outH), outH);
  assert.equal(f16ToF32(outH, outF), outF);
  assert.throws(() => f32ToF16(view, new Uint16Array(1)), RangeError);
  assert.throws(() => f16ToF32(outH, new Float32Array(1)), RangeError);
});
