// Corrections far behind the tracked frame (issue 10): a prompt 20 frames back is decoded on exactly the memories,
// pointers and mask prompt that frame had when it was tracked, and the frames after it are tracked again.
import { expect } from '@open-wc/testing';
import { WASM_PATHS } from './helpers/element-input.js';
import { testBackend } from './helpers/backend.js';
import { drawScene, iou, RED, type Shape } from './helpers/scenes.js';
import { createSegmenter, type Segmenter } from '../../src/client/segmenter.js';
import { testWorker } from './helpers/test-worker.js';
import { trackVideo } from '../../src/client/tracking-session.js';
import { makeClip } from '../../tools/clips/synthetic-clip.js';

const backend = testBackend();
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const W = 320;
const H = 240;
const SIDE = 48;
const N = 30;
const BACK = 20;

type Sq = { x: number; y: number };
/** B is a static decoy of A's colour; A starts next to it and moves away: memory alone drags B along. */
const B: Sq = { x: 10, y: 96 };
/** `step` px per frame: the session's 30-frame clip moves 6 (A leaves B's memory reach after the correction), the
 * tracker's 45 frames move 4 to stay in the picture. */
let step = 6;
const A = (i: number): Sq => ({ x: 66 + step * i, y: 96 });
const scene = (i: number) =>
  drawScene(
    W,
    H,
    '#ffffff',
    [B, A(i)].map((s): Shape => ({ kind: 'rect', x: s.x, y: s.y, w: SIDE, h: SIDE, color: RED })),
  );
const centre = (s: Sq) => ({ x: s.x + SIDE / 2, y: s.y + SIDE / 2 });
/** The user's fix: A, and not B. */
const fix = (i: number) => [
  { ...centre(A(i)), label: 'positive' as const },
  { ...centre(B), label: 'negative' as const },
];

describe(`corrections far back (${backend})`, function () {
  this.timeout(600_000);
  let seg: Segmenter;
  before(() => {
    const worker = testWorker();
    seg = createSegmenter({ model: VIDEO_MANIFEST, device: backend, wasmPaths: WASM_PATHS, workerUrl: worker.url });
  });
  after(() => seg.dispose());

  it(`a correction ${BACK} frames back is exact with history, a new conditioning frame without`, async () => {
    // Far from the conditioning frame too: frames next to it are kept anyway (a backward pass starts there).
    step = 4;
    const frames = 45;
    const last = 40;
    const target = last - BACK;
    /** Prompts A on frame 0 (no negative: B comes along), tracks 0..upTo, then corrects `target`. */
    const run = async (upTo: number, history?: number) => {
      const numFrames = frames;
      const t = await seg.openTracker(history === undefined ? { numFrames } : { numFrames, history });
      await t.addPrompt(0, scene(0).canvas, { points: [{ ...centre(A(0)), label: 'positive' }] });
      for (let i = 0; i <= upTo; i++) await t.track(i, scene(i).canvas, 1);
      const r = await t.addPrompt(target, scene(target).canvas, { points: fix(target) });
      const stats = await t.stats();
      await t.close();
      return { r, stats };
    };
    const far = await run(last, 30);
    expect(far.r.kind).to.equal('correction');
    expect(far.r.invalidated).to.deep.equal(Array.from({ length: BACK }, (_, k) => target + 1 + k));
    // The same correction made right after tracking that frame: byte for byte the same mask and scores.
    const near = await run(target, 30);
    expect(near.r.kind).to.equal('correction');
    expect(far.r.mask.data).to.deep.equal(near.r.mask.data);
    expect(far.r.score).to.equal(near.r.score);
    expect(far.r.objectScore).to.equal(near.r.objectScore);
    expect(iou(far.r.mask.data, scene(target).truth(1))).to.be.at.least(0.9);
    // Without history the frame's state is gone: the prompt starts a new conditioning frame.
    const plain = await run(last);
    expect(plain.r.kind).to.equal('initial');
    // What the history costs, as stats() reports it.
    const kept = far.stats;
    const base = plain.stats;
    expect(kept.memories).to.be.greaterThan(base.memories);
    expect(kept.bytes).to.be.greaterThan(base.bytes);
    console.log(
      `[corrections ${backend}] history 30: ${kept.memories} memories, ${kept.bytes} bytes; ` +
        `history 0: ${base.memories} memories, ${base.bytes} bytes ` +
        `(${((kept.bytes - base.bytes) / Math.max(1, kept.memories - base.memories) / 1024).toFixed(1)} KiB per extra frame on the twin)`,
    );
  });

  it(`a session corrected ${BACK} frames back re-tracks the frames after it`, async () => {
    step = 6;
    const c = await makeClip({
      width: W,
      height: H,
      fps: 30,
      frames: N,
      draw: (ctx, i) => ctx.drawImage(scene(i).canvas, 0, 0),
    });
    const run = async (correct: boolean) => {
      const s = trackVideo(seg, c.blob, {
        prompts: [{ frame: 0, points: [{ ...centre(A(0)), label: 'positive' }] }],
      });
      const masks = new Map<number, Uint8Array>();
      const order: number[] = [];
      let corrected: Uint8Array | null = null;
      try {
        for await (const f of s) {
          order.push(f.frame);
          masks.set(f.frame, f.objects[0]!.mask.data);
          if (correct && f.frame === BACK + 5 && corrected === null) {
            s.pause();
            const r = await s.addPrompt({ frame: 5, objectId: 1, points: fix(5) });
            corrected = r.mask.data;
            masks.set(5, corrected);
            s.resume();
          }
        }
        return { masks, order, corrected, summary: await s.finished };
      } finally {
        await s.stop().catch(() => undefined);
      }
    };
    const plain = await run(false);
    const fixed = await run(true);
    expect(fixed.summary.reason).to.equal('completed');
    // Frames 6.. came out a second time after the correction.
    const again = fixed.order.indexOf(6, fixed.order.indexOf(BACK + 5));
    expect(again, `frames ${fixed.order.join(',')}`).to.be.greaterThan(0);
    expect(fixed.order.slice(again, again + N - 6)).to.deep.equal(Array.from({ length: N - 6 }, (_, k) => 6 + k));
    const truth = (i: number) => scene(i).truth(1);
    const line = (m: Map<number, Uint8Array>) =>
      [...Array(N).keys()].map((i) => iou(m.get(i)!, truth(i)).toFixed(2)).join(' ');
    console.log(`[corrections ${backend}] IoU with A, plain:     ${line(plain.masks)}`);
    console.log(`[corrections ${backend}] IoU with A, corrected: ${line(fixed.masks)}`);
    expect(iou(fixed.corrected!, truth(5)), 'the corrected frame').to.be.at.least(0.9);
    let improved = 0;
    for (let i = 6; i < N; i++) {
      const before = iou(plain.masks.get(i)!, truth(i));
      const after = iou(fixed.masks.get(i)!, truth(i));
      expect(after, `frame ${i} after the correction`).to.be.at.least(0.85);
      if (after > before + 0.05) improved++;
    }
    expect(improved, 'frames after the corrected one that it improved').to.be.at.least(3);
  });
});
