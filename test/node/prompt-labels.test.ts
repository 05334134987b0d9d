import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalisePromptLabels } from '../../src/shared/prompt-labels.js';
import { buildDecoderPoints } from '../../src/engine/math/prompts.js';
import { Sam2Error } from '../../src/shared/errors.js';

test('SAM numeric labels 1/0 read as positive/negative', () => {
  const r = normalisePromptLabels(
    [
      { x: 1, y: 2, label: 1 },
      { x: 3, y: 4, label: 0 },
      { x: 5, y: 6, label: 'negative' },
    ],
    null,
  );
  assert.deepEqual(
    r.points.map((p) => p.label),
    ['positive', 'negative', 'negative'],
  );
  assert.equal(r.box, null);
});

test('a 2/3 corner pair becomes the box, in any order among the points', () => {
  const r = normalisePromptLabels(
    [
      { x: 90, y: 80, label: 3 },
      { x: 7, y: 7, label: 1 },
      { x: 10, y: 20, label: 2 },
    ],
    undefined,
  );
  assert.deepEqual(r.box, { x0: 10, y0: 20, x1: 90, y1: 80 });
  assert.deepEqual(r.points, [{ x: 7, y: 7, label: 'positive' }]);
});

test('2/3 only inside a box: a lone corner, two of one corner, or corners beside `box` are invalid-prompt', () => {
  const bad: [Parameters<typeof normalisePromptLabels>[0], Parameters<typeof normalisePromptLabels>[1]][] = [
    [[{ x: 1, y: 1, label: 2 }], null],
    [[{ x: 1, y: 1, label: 3 }], null],
    [
      [
        { x: 1, y: 1, label: 2 },
        { x: 2, y: 2, label: 2 },
        { x: 3, y: 3, label: 3 },
      ],
      null,
    ],
    [
      [
        { x: 1, y: 1, label: 2 },
        { x: 9, y: 9, label: 3 },
      ],
      { x0: 0, y0: 0, x1: 5, y1: 5 },
    ],
    [[{ x: 1, y: 1, label: 4 as 1 }], null],
    [[{ x: 1, y: 1, label: -1 as 1 }], null],
    [[{ x: 1, y: 1, label: '1' as unknown as 1 }], null],
  ];
  for (const [points, box] of bad) {
    assert.throws(
      () => normalisePromptLabels(points, box),
      (e: unknown) => e instanceof Sam2Error && e.code === 'invalid-prompt',
      JSON.stringify(points),
    );
  }
});

test('the decoder gets the same tensors from numbers as from names', () => {
  const named = buildDecoderPoints(
    [
      { x: 200, y: 100, label: 'positive' },
      { x: 50, y: 60, label: 'negative' },
    ],
    { x0: 100, y0: 50, x1: 300, y1: 150 },
    2048,
    512,
  );
  const numeric = buildDecoderPoints(
    [
      { x: 100, y: 50, label: 2 },
      { x: 200, y: 100, label: 1 },
      { x: 300, y: 150, label: 3 },
      { x: 50, y: 60, label: 0 },
    ],
    null,
    2048,
    512,
  );
  assert.deepEqual([...numeric.labels], [...named.labels]);
  assert.deepEqual([...numeric.coords], [...named.coords]);
  assert.throws(
    () => buildDecoderPoints([{ x: 1, y: 1, label: 2 }], null, 10, 10),
    (e: unknown) => e instanceof Sam2Error && e.code === 'invalid-prompt',
  );
});
