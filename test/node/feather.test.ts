import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaBounds, featherAlpha, squaredDistance } from '../../src/shared/codecs/feather.js';
import { blurBackdrop, composeCutout, cutoutRect } from '../../src/shared/codecs/cutout.js';
import { packBits } from '../../src/shared/codecs/grey-png.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('squaredDistance equals brute force on random masks (odd sizes)', () => {
  const rnd = random(7);
  for (const [w, h, density] of [
    [13, 9, 0.1],
    [31, 17, 0.5],
    [1, 20, 0.2],
    [20, 1, 0.2],
  ] as const) {
    const m = new Uint8Array(w * h).map(() => (rnd() < density ? 1 : 0));
    m[0] = 1;
    const d = squaredDistance(m, w, h, 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let best = Infinity;
        for (let v = 0; v < h; v++)
          for (let u = 0; u < w; u++) if (m[v * w + u]) best = Math.min(best, (u - x) ** 2 + (v - y) ** 2);
        assert.equal(d[y * w + x], best, `${w}x${h} at ${x},${y}`);
      }
    }
  }
});

test('featherAlpha: a linear ramp of the requested width across a straight edge; border is no edge', () => {
  const w = 40;
  const h = 3;
  const m = new Uint8Array(w * h).map((_, i) => (i % w < 20 ? 1 : 0));
  for (const f of [2, 6, 11]) {
    const a = featherAlpha(m, w, h, f);
    const row = Array.from(a.subarray(w, 2 * w));
    assert.equal(row.filter((v) => v > 0 && v < 255).length, f % 2 ? f - 1 : f, `feather ${f}: ${row}`);
    assert.equal(row[0], 255);
    assert.equal(row[w - 1], 0);
    assert.ok(Math.abs((row[19]! + row[20]!) / 2 - 127.5) <= 1);
  }
  assert.deepEqual(Array.from(featherAlpha(m, w, h, 0).subarray(18, 22)), [255, 255, 0, 0]);
  assert.deepEqual(Array.from(featherAlpha(m, w, h, 0, true).subarray(18, 22)), [0, 0, 255, 255]);
  assert.ok(
    featherAlpha(new Uint8Array(12).fill(1), 4, 3, 8).every((v) => v === 255),
    'a full mask has no edge',
  );
});

test('alphaBounds and cutoutRect', () => {
  const a = new Uint8ClampedArray(5 * 4);
  assert.deepEqual(alphaBounds(a, 5, 4), [0, 0, 0, 0]);
  assert.equal(cutoutRect([0, 0, 0, 0], 5, 4, true, 3), null);
  a[1 * 5 + 2] = 9;
  a[2 * 5 + 3] = 1;
  assert.deepEqual(alphaBounds(a, 5, 4), [2, 1, 2, 2]);
  assert.deepEqual(cutoutRect([2, 1, 2, 2], 5, 4, true, 3), { x: -1, y: -2, width: 8, height: 8 });
  assert.deepEqual(cutoutRect([2, 1, 2, 2], 5, 4, false, 0), { x: 0, y: 0, width: 5, height: 4 });
});

test('composeCutout: source-over of media and backdrop, unpremultiplied', () => {
  const media = new Uint8ClampedArray([200, 100, 0, 255, 200, 100, 0, 255]);
  const alpha = new Uint8ClampedArray([255, 51]);
  const rect = { x: 0, y: 0, width: 2, height: 1 };
  const none = composeCutout(media, alpha, 2, 1, rect, { kind: 'none' });
  assert.deepEqual(Array.from(none), [200, 100, 0, 255, 200, 100, 0, 51]);
  const flat = composeCutout(media, alpha, 2, 1, rect, { kind: 'colour', rgba: [0, 0, 250, 255] });
  assert.deepEqual(Array.from(flat), [200, 100, 0, 255, 40, 20, 200, 255]);
  const half = composeCutout(media, new Uint8ClampedArray([0, 0]), 2, 1, rect, {
    kind: 'colour',
    rgba: [0, 0, 250, 128],
  });
  assert.deepEqual(Array.from(half.subarray(0, 4)), [0, 0, 250, 128]);
});

test('blurBackdrop averages only the backdrop: a flat backdrop stays flat next to a different object', () => {
  const w = 30;
  const h = 10;
  const rgba = new Uint8ClampedArray(w * h * 4);
  const alpha = new Uint8ClampedArray(w * h);
  for (let i = 0; i < w * h; i++) {
    const obj = i % w < 15;
    rgba.set(obj ? [255, 0, 0, 255] : [0, 200, 0, 255], 4 * i);
    alpha[i] = obj ? 255 : 0;
  }
  const out = blurBackdrop(rgba, alpha, w, h, 9);
  for (let i = 0; i < w * h; i++)
    if (i % w >= 15) assert.deepEqual(Array.from(out.subarray(4 * i, 4 * i + 4)), [0, 200, 0, 255]);
});

test('packBits: MSB first, rows padded to a byte', () => {
  const m = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(packBits(m, 10, 2)), [0x80, 0x80, 0xff, 0x00]);
});
