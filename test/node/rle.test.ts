import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRle,
  encodeRle,
  maskToRuns,
  rleArea,
  rleToBbox,
  runsToString,
  stringToRuns,
} from '../../src/shared/rle.js';
import { maskBbox } from '../../src/shared/polygons.js';
import { maskFrom, rng } from './math-helpers.js';

/*
 * Expected strings are derived by hand from pycocotools' algorithm (common/maskApi.c):
 *  - runs are taken column by column (Fortran order) and start with a zero run;
 *  - from the 4th run on (i > 2) the value written is runs[i] − runs[i − 2];
 *  - each value is written as 5-bit groups, low first: c = x & 31, x >>= 5 (arithmetic);
 *    more = (c & 16) ? x != −1 : x != 0; if more, c |= 32; emit char(c + 48).
 */

test('3×3 plus sign: runs and string derived step by step', () => {
  const { mask, w, h } = maskFrom(`
    .#.
    ###
    .#.
  `);
  // Columns: (0,1,0) (1,1,1) (0,1,0) → 0 1 0 1 1 1 0 1 0 → runs 1,1,1,3,1,1,1.
  assert.deepEqual(maskToRuns(mask, w, h), [1, 1, 1, 3, 1, 1, 1]);
  // i0..2: 1,1,1 → '1','1','1'. i3: 3−1 = 2 → '2'. i4: 1−1 = 0 → '0'.
  // i5: 1−3 = −2 → c = −2 & 31 = 30, x = −1, c & 16 set and x == −1 → stop → 30+48 = 'N'. i6: 1−1 = 0 → '0'.
  assert.deepEqual(encodeRle(mask, w, h), { size: [3, 3], counts: '11120N0' });
});

test('non-square mask is encoded column-major with size [height, width]', () => {
  const { mask, w, h } = maskFrom(`
    ##.
    ...
  `);
  // w 3, h 2. Columns: (1,0) (1,0) (0,0) → 1 0 1 0 0 0 → runs 0,1,1,1,3.
  assert.deepEqual(maskToRuns(mask, w, h), [0, 1, 1, 1, 3]);
  // '0','1','1', i3: 1−1 = 0 → '0', i4: 3−1 = 2 → '2'.
  const rle = encodeRle(mask, w, h);
  assert.deepEqual(rle, { size: [2, 3], counts: '01102' });
  assert.equal(rleArea(rle), 2);
  assert.deepEqual(rleToBbox(rle), [0, 0, 2, 1]);
});

test('all-zero and all-one masks', () => {
  // 10×10 zeros: runs [100]. 100 = 3·32 + 4 → c = 4, x = 3, more → 4|32 = 36 → 'T'; then c = 3 → '3'.
  const zeros = encodeRle(new Uint8Array(100), 10, 10);
  assert.deepEqual(zeros, { size: [10, 10], counts: 'T3' });
  // 10×10 ones: runs [0, 100] → '0' + 'T3'.
  const ones = encodeRle(new Uint8Array(100).fill(1), 10, 10);
  assert.deepEqual(ones, { size: [10, 10], counts: '0T3' });
  assert.equal(rleArea(zeros), 0);
  assert.equal(rleArea(ones), 100);
  assert.deepEqual(rleToBbox(zeros), [0, 0, 0, 0]);
  assert.deepEqual(rleToBbox(ones), [0, 0, 10, 10]);
  assert.deepEqual([...decodeRle(zeros)], [...new Uint8Array(100)]);
  assert.deepEqual([...decodeRle(ones)], [...new Uint8Array(100).fill(1)]);
});

test('a value with bit 4 set needs a second char even when small', () => {
  // 4×4 zeros: runs [16]. c = 16, x = 0, c & 16 set and x != −1 → more → 48 → '`'; then c = 0 → '0'.
  assert.equal(encodeRle(new Uint8Array(16), 4, 4).counts, '`0');
});

test('negative multi-char delta', () => {
  // 8×8: all ones except column 6, rows 2–5 → column-major: 50 ones, 4 zeros, 10 ones → runs 0,50,4,10.
  const w = 8;
  const h = 8;
  const mask = new Uint8Array(w * h).fill(1);
  for (let y = 2; y <= 5; y++) mask[y * w + 6] = 0;
  assert.deepEqual(maskToRuns(mask, w, h), [0, 50, 4, 10]);
  // i0: '0'. i1: 50 = 32 + 18 → c = 18 (bit 4 set), x = 1 → more → 18|32 = 50 → 'b'; c = 1 → '1'.
  // i2: '4'. i3: 10 − 50 = −40 → c = 24, x = −2, more → 56 → 'h'; c = 30, x = −1 → stop → 'N'.
  const rle = encodeRle(mask, w, h);
  assert.equal(rle.counts, '0b14hN');
  assert.deepEqual(stringToRuns('0b14hN'), [0, 50, 4, 10]);
  assert.deepEqual(rleToBbox(rle), [0, 0, 8, 8]);
  assert.equal(rleArea(rle), 60);
});

test('runsToString / stringToRuns round-trip large and signed deltas', () => {
  const r = rng(1);
  for (let t = 0; t < 200; t++) {
    const n = 1 + Math.floor(r() * 12);
    const runs = Array.from({ length: n }, () => Math.floor(r() ** 4 * 5e7));
    assert.deepEqual(stringToRuns(runsToString(runs)), runs);
  }
  assert.deepEqual(stringToRuns(runsToString([0, 2 ** 31 - 1, 0, 0])), [0, 2 ** 31 - 1, 0, 0]);
  assert.equal(runsToString([]), '');
  assert.deepEqual(stringToRuns(''), []);
});

test('round-trip on random masks of assorted shapes', () => {
  const r = rng(42);
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, 7],
    [7, 1],
    [5, 3],
    [64, 48],
    [129, 77],
    [256, 256],
  ];
  for (const [w, h] of shapes) {
    for (const density of [0.05, 0.5, 0.95]) {
      const mask = new Uint8Array(w * h);
      // Blocky noise gives long runs (multi-char values) as well as short ones.
      for (let i = 0; i < mask.length; i++) mask[i] = r() < density ? 1 : 0;
      if (w * h > 100) for (let i = 0; i < mask.length / 3; i++) mask[i] = 1;
      const rle = encodeRle(mask, w, h);
      assert.match(rle.counts, /^[0-o]*$/);
      const back = decodeRle(rle);
      assert.ok(
        back.every((v, i) => v === mask[i]),
        `${w}x${h} @${density}`,
      );
      let area = 0;
      for (const v of mask) area += v;
      assert.equal(rleArea(rle), area);
    }
  }
});

test('nonzero values other than 1 count as foreground', () => {
  const rle = encodeRle(Uint8Array.of(0, 255, 7, 0), 2, 2);
  assert.deepEqual([...decodeRle(rle)], [0, 1, 1, 0]);
});

test('rleToBbox matches a direct scan, including runs that wrap columns', () => {
  const r = rng(9);
  for (let t = 0; t < 300; t++) {
    const w = 1 + Math.floor(r() * 12);
    const h = 1 + Math.floor(r() * 12);
    const mask = new Uint8Array(w * h);
    const p = r() * 0.3;
    for (let i = 0; i < mask.length; i++) mask[i] = r() < p ? 1 : 0;
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!mask[y * w + x]) continue;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
    const expected = x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
    assert.deepEqual(rleToBbox(encodeRle(mask, w, h)), expected);
  }
  // A run from the bottom of column 0 into the top of column 1 spans every row.
  const { mask, w, h } = maskFrom(`
    .#
    ..
    ..
    #.
  `);
  assert.deepEqual(rleToBbox(encodeRle(mask, w, h)), [0, 0, 2, 4]);
});

test('uncompressed RLE (counts as a number list) is accepted', () => {
  const rle = { size: [2, 3] as [number, number], counts: [0, 1, 1, 1, 3] };
  assert.deepEqual([...decodeRle(rle)], [1, 1, 0, 0, 0, 0]);
  assert.equal(rleArea(rle), 2);
  assert.deepEqual(rleToBbox(rle), [0, 0, 2, 1]);
});

test('decodeRle writes into a provided buffer', () => {
  const out = new Uint8Array(9).fill(5);
  assert.equal(decodeRle({ size: [3, 3], counts: '11120N0' }, out), out);
  assert.deepEqual([...out], [0, 1, 0, 1, 1, 1, 0, 1, 0]);
});

test('1920×1080 encode/decode round-trip', () => {
  const w = 1920;
  const h = 1080;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) mask[y * w + x] = (x - 900) ** 2 + (y - 500) ** 2 < 300 ** 2 ? 1 : 0;
  }
  const rle = encodeRle(mask, w, h);
  const back = decodeRle(rle);
  assert.ok(back.every((v, i) => v === mask[i]));
  assert.deepEqual(rleToBbox(rle), [601, 201, 599, 599]);
});

test('malformed input throws', () => {
  assert.throws(() => encodeRle(new Uint8Array(5), 2, 2), RangeError);
  assert.throws(() => encodeRle(new Uint8Array(4), -2, -2), RangeError);
  assert.throws(() => decodeRle({ size: [3, 3], counts: '111' }), RangeError); // covers 3 of 9
  assert.throws(() => decodeRle({ size: [3, 3], counts: 'b' }), RangeError); // truncated
  assert.throws(() => decodeRle({ size: [3, 3], counts: '1 1' }), RangeError); // bad char
  assert.throws(() => decodeRle({ size: [1, 2], counts: [1, -1, 2] }), RangeError);
});

test('runs read only inside the mask bbox equal the runs of a full scan (blobs, edges, empty, full)', () => {
  const random = rng(12);
  for (let t = 0; t < 3000; t++) {
    const w = 1 + Math.floor(random() * 9);
    const h = 1 + Math.floor(random() * 9);
    const mask = new Uint8Array(w * h);
    const kind = random();
    if (kind < 0.2) {
      // empty
    } else if (kind < 0.35) mask.fill(1);
    else {
      const x0 = Math.floor(random() * w);
      const y0 = Math.floor(random() * h);
      const x1 = x0 + Math.floor(random() * (w - x0));
      const y1 = y0 + Math.floor(random() * (h - y0));
      const p = random();
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) mask[y * w + x] = random() < p ? 1 : 0;
    }
    const bbox = maskBbox(mask, w, h);
    assert.deepEqual(maskToRuns(mask, w, h, bbox), maskToRuns(mask, w, h), `${w}x${h} ${mask.join('')}`);
  }
  // A box that does not fit the mask is ignored rather than trusted.
  const { mask, w, h } = maskFrom(`
    .#.
    ###
  `);
  assert.deepEqual(maskToRuns(mask, w, h, [2, 2, 5, 5]), maskToRuns(mask, w, h));
});
