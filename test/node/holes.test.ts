import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillHoles } from '../../src/engine/math/holes.js';
import { rng } from './math-helpers.js';

const FILL = Math.fround(0.1);

// Logits from a picture: '.' = background (−2), '#' = foreground (+2), '0' = exactly 0 (counts as background).
function logitsFrom(picture: string): { logits: Float32Array; w: number; h: number } {
  const rows = picture
    .trim()
    .split('\n')
    .map((r) => r.trim());
  const w = rows[0].length;
  const h = rows.length;
  const logits = new Float32Array(w * h);
  rows.forEach((row, y) => {
    for (let x = 0; x < w; x++) logits[y * w + x] = row[x] === '#' ? 2 : row[x] === '0' ? 0 : -2;
  });
  return { logits, w, h };
}

function filledPositions(before: Float32Array, after: Float32Array): number[] {
  const idx: number[] = [];
  for (let i = 0; i < before.length; i++) if (after[i] !== before[i]) idx.push(i);
  return idx;
}

test('an 8-connected hole of area 8 is filled with 0.1', () => {
  const { logits, w, h } = logitsFrom(`
    ######
    #....#
    #....#
    ######
  `);
  const out = fillHoles(logits, w, h);
  assert.equal(filledPositions(logits, out).length, 8);
  for (const i of filledPositions(logits, out)) assert.equal(out[i], FILL);
});

test('a hole of area 9 is left alone', () => {
  const { logits, w, h } = logitsFrom(`
    #####
    #...#
    #...#
    #...#
    #####
  `);
  assert.deepEqual(filledPositions(logits, fillHoles(logits, w, h)), []);
});

test('a diagonal gap joins two pieces into one component (8-connectivity)', () => {
  // 4 + 5 background pixels touching only at a corner: one component of 9, so nothing is filled.
  const joined = logitsFrom(`
    #######
    #..####
    #..####
    ###...#
    ###..##
    #######
  `);
  assert.deepEqual(filledPositions(joined.logits, fillHoles(joined.logits, joined.w, joined.h)), []);
  // The same two pieces one pixel apart are separate components of 4 and 5: both filled.
  const apart = logitsFrom(`
    ########
    #..#####
    #..#####
    ####...#
    ####..##
    ########
  `);
  assert.equal(filledPositions(apart.logits, fillHoles(apart.logits, apart.w, apart.h)).length, 9);
});

test('small components touching the border are filled, large background is not', () => {
  const { logits, w, h } = logitsFrom(`
    ..########
    .#########
    ##########
    ######....
    ######....
    ######....
  `);
  const out = fillHoles(logits, w, h);
  // Corner piece (3 px) filled; the 12-px region on the right edge kept.
  assert.deepEqual(filledPositions(logits, out), [0, 1, w]);
});

test('logit exactly 0 counts as background', () => {
  const { logits, w, h } = logitsFrom(`
    ###
    #0#
    ###
  `);
  const out = fillHoles(logits, w, h);
  assert.equal(out[4], FILL);
});

test('positive logits are untouched, input is not mutated, result is a new array', () => {
  const { logits, w, h } = logitsFrom(`
    ####
    #.##
    ####
  `);
  const copy = logits.slice();
  const out = fillHoles(logits, w, h);
  assert.notEqual(out, logits);
  assert.deepEqual([...logits], [...copy]);
  for (let i = 0; i < logits.length; i++) if (logits[i] > 0) assert.equal(out[i], logits[i]);
});

test('an absent object (all −1024) stays all −1024', () => {
  const logits = new Float32Array(256 * 256).fill(-1024);
  const out = fillHoles(logits, 256, 256);
  assert.ok(out.every((v) => v === -1024));
});

test('maxArea and fillValue parameters', () => {
  const { logits, w, h } = logitsFrom(`
    #####
    #...#
    #...#
    #...#
    #####
  `);
  const out = fillHoles(logits, w, h, 9, 0.5);
  assert.equal(filledPositions(logits, out).length, 9);
  assert.equal(out[6], 0.5);
  assert.throws(() => fillHoles(logits, w, h, 0), RangeError);
  assert.throws(() => fillHoles(logits, w + 1, h), RangeError);
});

test('matches a brute-force component labelling on random 256² maps', () => {
  const r = rng(3);
  const w = 256;
  const h = 256;
  const logits = new Float32Array(w * h);
  // Mostly foreground with sprinkled background so many small components of assorted sizes appear.
  for (let i = 0; i < logits.length; i++) logits[i] = r() < 0.3 ? -r() : r();
  const out = fillHoles(logits, w, h);

  // Reference: union-find over 8-neighbours.
  const parent = new Int32Array(w * h).map((_, i) => i);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  const bg = (i: number) => logits[i] <= 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!bg(i)) continue;
      for (const [dx, dy] of [
        [1, 0],
        [-1, 1],
        [0, 1],
        [1, 1],
      ]) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx < 0 || xx >= w || yy >= h) continue;
        const j = yy * w + xx;
        if (bg(j)) parent[find(i)] = find(j);
      }
    }
  }
  const size = new Int32Array(w * h);
  for (let i = 0; i < logits.length; i++) if (bg(i)) size[find(i)]++;
  let filled = 0;
  for (let i = 0; i < logits.length; i++) {
    const expected = bg(i) && size[find(i)] <= 8 ? FILL : logits[i];
    assert.equal(out[i], expected, `pixel ${i}`);
    if (expected === FILL) filled++;
  }
  assert.ok(filled > 100, `test should exercise filling (filled ${filled})`);
});
