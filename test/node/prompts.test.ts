import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_PROMPT_POINTS,
  MODEL_SIZE,
  POINT_LABEL,
  buildDecoderPoints,
  emptyDecoderPoints,
  toModelSpace,
  type Box,
  type Point,
} from '../../src/engine/math/prompts.js';
import { Sam2Error, isSam2Error } from '../../src/shared/errors.js';
import { invalidPrompt } from '../../src/shared/prompts.js';

function isPromptError(e: unknown): boolean {
  return e instanceof Sam2Error && e.code === 'invalid-prompt' && e.name === 'Sam2Error';
}

test('toModelSpace scales each axis by 1024/size with no half-pixel offset', () => {
  assert.equal(MODEL_SIZE, 1024);
  assert.deepEqual(toModelSpace(0, 0, 1920, 1080), [0, 0]);
  assert.deepEqual(toModelSpace(960, 540, 1920, 1080), [512, 512]);
  assert.deepEqual(toModelSpace(1920, 1080, 1920, 1080), [1024, 1024]);
  // Non-square: x and y scale independently (stretch, no letterbox).
  assert.deepEqual(toModelSpace(100, 100, 400, 200), [256, 512]);
});

test('(W-1, H-1) maps just under 1024', () => {
  const [x, y] = toModelSpace(1919, 1079, 1920, 1080);
  assert.ok(x < 1024 && x > 1023, `x=${x}`);
  assert.ok(y < 1024 && y > 1023, `y=${y}`);
  assert.ok(Math.abs(x - (1919 * 1024) / 1920) < 1e-4);
  assert.ok(Math.abs(y - (1079 * 1024) / 1080) < 1e-4);
});

test('coordinates match float32 (x / W) * 1024 exactly', () => {
  for (const [v, size] of [
    [1, 3],
    [333.3, 1000],
    [1079, 1080],
    [7, 641],
  ] as const) {
    const expected = Math.fround(Math.fround(v) / size) * 1024;
    assert.equal(toModelSpace(v, v, size, size)[0], expected);
  }
});

test('clicks only: labels 1/0 in order, nPts = number of clicks', () => {
  const pts: Point[] = [
    { x: 10, y: 20, label: 'positive' },
    { x: 30, y: 40, label: 'negative' },
  ];
  const d = buildDecoderPoints(pts, null, 1024, 1024);
  assert.equal(d.nPts, 2);
  assert.deepEqual([...d.labels], [1, 0]);
  assert.deepEqual([...d.coords], [10, 20, 30, 40]);
  assert.ok(d.coords instanceof Float32Array);
  assert.ok(d.labels instanceof Int32Array);
});

test('a box becomes labels 2, 3 placed before the clicks', () => {
  const box: Box = { x0: 100, y0: 50, x1: 300, y1: 150 };
  const d = buildDecoderPoints([{ x: 200, y: 100, label: 'positive' }], box, 2048, 512);
  assert.equal(d.nPts, 3);
  assert.deepEqual([...d.labels], [POINT_LABEL.boxTopLeft, POINT_LABEL.boxBottomRight, POINT_LABEL.positive]);
  assert.deepEqual([...d.coords], [50, 100, 150, 300, 100, 200]);
});

test('a lone box counts as two points (single-mask path downstream)', () => {
  const d = buildDecoderPoints([], { x0: 0, y0: 0, x1: 10, y1: 10 }, 20, 20);
  assert.equal(d.nPts, 2);
  assert.deepEqual([...d.labels], [2, 3]);
  assert.deepEqual([...d.coords], [0, 0, 512, 512]);
});

test('a prompt-less decode sends exactly one (0, 0) point with label -1 and no pad', () => {
  for (const d of [
    emptyDecoderPoints(),
    buildDecoderPoints([], null, 640, 480),
    buildDecoderPoints([], undefined, 1, 1),
  ]) {
    assert.equal(d.nPts, 0);
    assert.equal(d.labels.length, 1);
    assert.equal(d.coords.length, 2);
    assert.deepEqual([...d.labels], [-1]);
    assert.deepEqual([...d.coords], [0, 0]);
  }
});

test('the host never appends the padding point', () => {
  const d = buildDecoderPoints([{ x: 1, y: 1, label: 'positive' }], null, 10, 10);
  assert.equal(d.labels.length, 1);
  assert.ok(![...d.labels].includes(-1));
});

test('points and boxes outside the image are clamped to it', () => {
  const d = buildDecoderPoints(
    [
      { x: -5, y: 2000, label: 'negative' },
      { x: 700, y: -1, label: 'positive' },
    ],
    { x0: -10, y0: -10, x1: 9999, y1: 9999 },
    512,
    256,
  );
  assert.deepEqual([...d.coords], [0, 0, 1024, 1024, 0, 1024, 1024, 0]);
});

test('invalid input throws a Sam2Error with code invalid-prompt', () => {
  const ok: Point = { x: 1, y: 1, label: 'positive' };
  const cases: Array<() => unknown> = [
    () => buildDecoderPoints([{ x: NaN, y: 1, label: 'positive' }], null, 10, 10),
    () => buildDecoderPoints([{ x: 1, y: Infinity, label: 'positive' }], null, 10, 10),
    () => buildDecoderPoints([{ x: 1, y: 1, label: 'maybe' } as unknown as Point], null, 10, 10),
    () => buildDecoderPoints([{ x: '1', y: 1, label: 'positive' } as unknown as Point], null, 10, 10),
    () => buildDecoderPoints([null as unknown as Point], null, 10, 10),
    () => buildDecoderPoints('nope' as unknown as Point[], null, 10, 10),
    () => buildDecoderPoints([ok], { x0: 5, y0: 5, x1: 5, y1: 8 }, 10, 10),
    () => buildDecoderPoints([ok], { x0: 5, y0: 8, x1: 8, y1: 5 }, 10, 10),
    () => buildDecoderPoints([ok], { x0: 0, y0: 0, x1: NaN, y1: 5 }, 10, 10),
    // Wholly outside: degenerate once clamped.
    () => buildDecoderPoints([], { x0: 20, y0: 20, x1: 30, y1: 30 }, 10, 10),
    () => buildDecoderPoints([ok], null, 0, 10),
    () => buildDecoderPoints([ok], null, 10, -1),
    () => buildDecoderPoints([ok], null, NaN, 10),
    () => toModelSpace(NaN, 0, 10, 10),
    () => toModelSpace(0, 0, 10, 0),
  ];
  for (const [i, run] of cases.entries()) assert.throws(run, isPromptError, `case ${i}`);
});

test("the prompt error is the SDK's one error class, with a stable code", () => {
  const e = invalidPrompt('bad');
  assert.ok(e instanceof Error);
  assert.ok(isSam2Error(e, 'invalid-prompt'));
  assert.equal(e.message, 'bad');
});

test('caps the points of one prompt with a clear invalid-prompt error', () => {
  const pts = (n: number): Point[] =>
    Array.from({ length: n }, (_, i) => ({ x: i % 100, y: 7, label: 'positive' as const }));
  assert.equal(buildDecoderPoints(pts(MAX_PROMPT_POINTS), null, 100, 100).nPts, MAX_PROMPT_POINTS);
  assert.throws(
    () => buildDecoderPoints(pts(MAX_PROMPT_POINTS + 1), null, 100, 100),
    (e: unknown) => isPromptError(e) && /65 points; at most 64/.test((e as Error).message),
  );
});
