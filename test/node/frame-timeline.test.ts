// The frame table of a clip: which frame a time shows, and where to seek for exactly one frame, for constant,
// fractional (30000/1001) and variable rates, with container timestamps rounded to whole milliseconds as WebM stores them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameIndexAt, frameMidpoint, type FrameTimeline } from '../../src/client/clip-source.js';

const ms = (t: number) => Math.round(t * 1000) / 1000;

test('every frame start maps to its own frame, and every midpoint lies strictly inside its frame', () => {
  for (const fps of [15, 24, 25, 30000 / 1001, 30, 50, 60]) {
    const timestamps = Array.from({ length: 300 }, (_, i) => ms(i / fps));
    const tl: FrameTimeline = { kind: 'demux', timestamps, end: ms(300 / fps) };
    for (let i = 0; i < timestamps.length; i++) {
      assert.equal(frameIndexAt(timestamps, timestamps[i]!), i, `fps ${fps} start of frame ${i}`);
      const mid = frameMidpoint(tl, i);
      assert.ok(
        mid > timestamps[i]! && (i + 1 === timestamps.length ? mid < tl.end : mid < timestamps[i + 1]!),
        `fps ${fps} midpoint of ${i}`,
      );
      assert.equal(frameIndexAt(timestamps, mid), i);
    }
  }
});

test('variable rate: a time just before a frame start belongs to the previous frame', () => {
  const timestamps = [0, 0.04, 0.06, 0.13, 0.163, 0.213];
  for (let i = 1; i < timestamps.length; i++) assert.equal(frameIndexAt(timestamps, timestamps[i]! - 0.0005), i - 1);
  assert.equal(frameIndexAt(timestamps, 10), timestamps.length - 1);
  assert.equal(frameIndexAt(timestamps, -1), 0);
  // The last frame's midpoint without a known end: a hair after its start, still that frame.
  const tl: FrameTimeline = { kind: 'element', timestamps, end: 0.213 };
  assert.equal(frameIndexAt(timestamps, frameMidpoint(tl, 5)), 5);
});
