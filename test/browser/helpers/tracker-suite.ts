// The video tracker (src/engine/tracker) on the real twin graphs of each bundle layout, on the group's backend: synthetic clips of
// squares at 320x240, tracked through SAM 2's memory rules (sam2-reference.md §3).

import { expect } from '@open-wc/testing';
import { testBackend } from './backend.js';
import { bounce, drawScene, iou, area, containment, squarePath, type Shape } from './scenes.js';
import { openLayoutTwin, type LayoutName, type LayoutTwin } from './layouts.js';
import { planMemory } from '../../../src/engine/tracker/memory-bank.js';
import { webgpuHasF16 } from '../../../src/engine/runtime.js';
import {
  VideoTracker,
  toNaturalMask,
  type ObjectFrameResult,
  type VideoTrackerOptions,
} from '../../../src/engine/tracker/video-tracker.js';

const backend = testBackend();
const W = 320;
const H = 240;
const SIDE = 48;
const RED = '#d81e1e';
const BLUE = '#1e3cd8';
const GREEN = '#1ea03c';

type Square = { x: number; y: number; color?: string };

/** A frame with squares of side 48 (later ones on top), optionally a grey cover over square `cover`. */
function frame(squares: readonly Square[], cover?: number) {
  const shapes: Shape[] = squares.map((s) => ({
    kind: 'rect',
    x: s.x,
    y: s.y,
    w: SIDE,
    h: SIDE,
    color: s.color ?? RED,
  }));
  if (cover !== undefined) {
    const s = squares[cover]!;
    shapes.push({ kind: 'rect', x: s.x - 20, y: s.y - 20, w: 88, h: 88, color: '#808080' });
  }
  return drawScene(W, H, '#ffffff', shapes);
}

const trajectory = (n: number) => squarePath(n, W, H, SIDE);

const centre = (s: Square) => ({ x: s.x + SIDE / 2, y: s.y + SIDE / 2 });
const mask = (r: ObjectFrameResult) => toNaturalMask(r.lowRes, r.width, r.height);

const get = (r: { objects: ObjectFrameResult[] }, id: number) => r.objects.find((o) => o.objectId === id)!;

// WebGPU under SwiftShader runs a tracked frame in about 2 s, so the behaviour suite runs on WASM and the
// webgpu group checks that a short clip tracks the same way on both backends (the last test of each layout).
const itWasm = backend === 'wasm' ? it : it.skip;

// One suite, every bundle layout: the canonical four-graph twin and the twins of the public video exports (A: fixed
// bank at S = 1024, B: fixed bank at S = 512 with fp16 inside, C: EdgeTAM's dynamic memory). The canonical layout
// runs the long clips; the export layouts shorter ones (each of their frames costs more host-side packing).
/**
 * The tracker's behaviour suite on one layout's twin (one test file per layout, so that each fits the runner's time
 * box; `part` 1 or 2 runs half of the WASM tests, for layouts too slow for one box).
 */
export function trackerSuite(name: LayoutName, part?: 1 | 2): void {
  const first = part === 2 ? it.skip : itWasm;
  const second = part === 1 ? it.skip : itWasm;
  describe(`video tracker on the ${name} twin${part ? `, part ${part}` : ''} (${backend})`, function () {
    this.timeout(1_200_000);
    const long = name === '4g';
    let twin: LayoutTwin;
    const tracker = (opts: VideoTrackerOptions = {}): { t: VideoTracker } => ({
      t: new VideoTracker(twin.make(), opts),
    });
    const noObjScore = () => twin.make().settings.noObjScore;

    before(async () => {
      twin = await openLayoutTwin(name as LayoutName, backend);
    });

    first('follows a square moving up to 24 px per frame at IoU >= 0.85 on every frame', async () => {
      const n = long ? 60 : 24;
      const path = trajectory(60);
      const { t } = tracker({ numFrames: n });
      const sq = (i: number): Square => path[i]!;
      const f0 = frame([sq(0)]);
      const p = await t.addPrompt(0, 1, [{ ...centre(sq(0)), label: 'positive' }], null, f0.canvas);
      expect(p.kind).to.equal('initial');
      let worst = 1;
      for (let i = 0; i < n; i++) {
        const f = frame([sq(i)]);
        const r = get(await t.track(i, f.canvas, 1), 1);
        const score = iou(mask(r), f.truth(0));
        worst = Math.min(worst, score);
        expect(r.present, `frame ${i} present`).to.equal(true);
        expect(score, `frame ${i} IoU`).to.be.at.least(0.85);
      }
      console.log(`[tracker ${name} ${backend}] ${n}-frame square: worst IoU ${worst.toFixed(3)}`);
    });

    first('a square hidden for 2 frames is absent there (score <= 0, empty mask) and found again', async () => {
      const { t } = tracker({ numFrames: 30 });
      const sq = (i: number): Square => ({ x: 20 + 9 * i, y: 20 + 5 * i });
      const hidden = new Set([12, 13]);
      await t.addPrompt(0, 1, [{ ...centre(sq(0)), label: 'positive' }], null, frame([sq(0)]).canvas);
      for (let i = 0; i < 26; i++) {
        const f = frame([sq(i)], hidden.has(i) ? 0 : undefined);
        const r = get(await t.track(i, f.canvas), 1);
        if (hidden.has(i)) {
          expect(r.present, `frame ${i}`).to.equal(false);
          expect(r.objectScore).to.be.at.most(0);
          expect(area(mask(r)), `frame ${i} mask area`).to.equal(0);
          expect(r.lowRes.every((v) => v === noObjScore())).to.equal(true);
        } else {
          expect(r.present, `frame ${i}`).to.equal(true);
          expect(iou(mask(r), f.truth(0)), `frame ${i}`).to.be.at.least(0.85);
        }
      }
      // The absent frames' pointers are no_obj_ptr (gated on the host, or in the graph: the twins' is zeros).
      const o = t.objectState(1)!;
      // (v + 0 folds −0 into 0: an in-graph gate multiplies the pointer by 0.)
      expect([...o.nonCond.get(13)!.objPtr].map((v) => v + 0)).to.deep.equal([
        ...(t.layout.noObjPtr ?? new Float32Array(256)),
      ]);
    });

    first('two identical squares tracked as two objects never swap', async () => {
      const { t } = tracker({ numFrames: 30 });
      const at = (i: number): [Square, Square] => [
        { x: bounce(10 + 20 * i, W - SIDE), y: 30 },
        { x: bounce(262 - 20 * i, W - SIDE), y: 160 },
      ];
      const [a0, b0] = at(0);
      const f0 = frame([a0, b0]);
      await t.addPrompt(
        0,
        1,
        [
          { ...centre(a0), label: 'positive' },
          { ...centre(b0), label: 'negative' },
        ],
        null,
        f0.canvas,
      );
      await t.addPrompt(
        0,
        2,
        [
          { ...centre(b0), label: 'positive' },
          { ...centre(a0), label: 'negative' },
        ],
        null,
        f0.canvas,
      );
      for (let i = 0; i < 30; i++) {
        const f = frame(at(i));
        const r = await t.track(i, f.canvas);
        const ma = mask(get(r, 1));
        const mb = mask(get(r, 2));
        expect(iou(ma, f.truth(0)), `A frame ${i}`).to.be.at.least(0.85);
        expect(iou(mb, f.truth(1)), `B frame ${i}`).to.be.at.least(0.85);
        expect(containment(f.truth(1), ma), `A holds B, frame ${i}`).to.be.below(0.01);
        expect(containment(f.truth(0), mb), `B holds A, frame ${i}`).to.be.below(0.01);
      }
    });

    first('a correction with negative/positive points on a later frame changes the following frames', async () => {
      // B is a static decoy of the same colour; A starts next to it and moves away. Memory alone drags B along.
      const B: Square = { x: 10, y: 96 };
      const A = (i: number): Square => ({ x: 68 + 24 * i, y: 96 });
      const run = async (correctAt: number | null) => {
        const { t } = tracker({ numFrames: 10 });
        const f0 = frame([B, A(0)]);
        await t.addPrompt(
          0,
          1,
          [
            { ...centre(A(0)), label: 'positive' },
            { ...centre(B), label: 'negative' },
          ],
          null,
          f0.canvas,
        );
        const masks: Uint8Array[] = [];
        for (let i = 0; i < 10; i++) {
          const f = frame([B, A(i)]);
          let r = get(await t.track(i, f.canvas), 1);
          if (i === correctAt) {
            const c = await t.addPrompt(
              i,
              1,
              [
                { ...centre(A(i)), label: 'positive' },
                { ...centre(B), label: 'negative' },
              ],
              null,
              f.canvas,
            );
            expect(c.kind).to.equal('correction');
            r = c;
          }
          masks.push(mask(r));
        }
        return masks;
      };
      const plain = await run(null);
      const corrected = await run(4);
      const truthA = (i: number) => frame([B, A(i)]).truth(1);
      const truthB = frame([B, A(0)]).truth(0);
      // Without the correction the decoy is in the mask from some frame on and stays there (0.85: the 512 layout's
      // coarser colour grid leaves a thinner edge of it out).
      expect(containment(truthB, plain[9]!)).to.be.above(0.85);
      for (let i = 4; i < 10; i++) {
        expect(containment(truthB, corrected[i]!), `frame ${i} holds the decoy`).to.be.below(0.01);
        expect(iou(corrected[i]!, truthA(i)), `frame ${i}`).to.be.at.least(0.85);
        expect(iou(corrected[i]!, plain[i]!), `frame ${i} unchanged`).to.be.below(0.9);
      }
      for (let i = 0; i < 4; i++) expect(iou(corrected[i]!, plain[i]!), `frame ${i} before`).to.equal(1);
    });

    second('an object added mid-clip is tracked from there on and leaves the first object unchanged', async () => {
      const a = (i: number): Square => ({ x: 10 + 12 * i, y: 20 });
      const b = (i: number): Square => ({ x: 250 - 8 * i, y: 170, color: BLUE });
      const n = long ? 20 : 14;
      const solo = tracker({ numFrames: n }).t;
      const duo = tracker({ numFrames: n }).t;
      const f0 = frame([a(0), b(0)]);
      for (const t of [solo, duo]) await t.addPrompt(0, 1, [{ ...centre(a(0)), label: 'positive' }], null, f0.canvas);
      for (let i = 0; i < n; i++) {
        const f = frame([a(i), b(i)]);
        const rs = await solo.track(i, f.canvas);
        if (i === 10) {
          const p = await duo.addPrompt(10, 2, [{ ...centre(b(10)), label: 'positive' }], null, f.canvas);
          expect(p.kind).to.equal('initial');
        }
        const rd = await duo.track(i, f.canvas);
        expect(
          rd.objects.map((o) => o.objectId),
          `frame ${i}`,
        ).to.deep.equal(i < 10 ? [1] : [1, 2]);
        // Objects never influence each other: A's logits are bit-identical with and without B.
        expect([...get(rd, 1).lowRes], `A frame ${i}`).to.deep.equal([...get(rs, 1).lowRes]);
        expect(iou(mask(get(rd, 1)), f.truth(0)), `A frame ${i}`).to.be.at.least(0.85);
        if (i >= 10) expect(iou(mask(get(rd, 2)), f.truth(1)), `B frame ${i}`).to.be.at.least(0.85);
      }
    });

    second('the encoder runs once per frame whatever the number of objects', async () => {
      const { t } = tracker({ numFrames: 10 });
      const encoderGraph = name === '4g' ? 'image_encoder' : 'vision_encoder';
      const runs0 = twin.calls[encoderGraph]!;
      const sq = (i: number): Square[] => [
        { x: 10 + 10 * i, y: 10 },
        { x: 150, y: 20 + 8 * i, color: BLUE },
        { x: 250 - 10 * i, y: 180, color: GREEN },
      ];
      const f0 = frame(sq(0));
      for (let k = 0; k < 3; k++)
        await t.addPrompt(0, k + 1, [{ ...centre(sq(0)[k]!), label: 'positive' }], null, f0.canvas);
      expect(t.timings.imageEncoder.calls).to.equal(1);
      for (let i = 0; i < 10; i++) {
        const f = frame(sq(i));
        const r = await t.track(i, f.canvas);
        for (let k = 0; k < 3; k++)
          expect(iou(mask(get(r, k + 1)), f.truth(k)), `object ${k} frame ${i}`).to.be.at.least(0.85);
      }
      // Frame 0 was encoded once for the three prompts and reused; frames 1..9 once each.
      expect(twin.calls[encoderGraph]! - runs0).to.equal(10);
      expect(t.timings.imageEncoder.calls).to.equal(10);
      expect(t.timings.memoryAttention.calls).to.equal(3 * 9);
      expect(t.timings.maskDecoder.calls).to.equal(3 + 3 * 9);
      expect(t.timings.memoryEncoder.calls).to.equal(3 + 3 * 9); // 3 at preflight (binarised), then one per tracked frame
    });

    second('tracks backward from a prompt on the last frame', async () => {
      const n = long ? 60 : 24;
      const path = trajectory(n);
      const sq = (i: number): Square => path[i]!;
      const { t } = tracker({ numFrames: n });
      await t.addPrompt(n - 1, 1, [{ ...centre(sq(n - 1)), label: 'positive' }], null, frame([sq(n - 1)]).canvas);
      for (let i = n - 1; i >= 0; i--) {
        const f = frame([sq(i)]);
        const r = get(await t.track(i, f.canvas, -1), 1);
        expect(iou(mask(r), f.truth(0)), `frame ${i}`).to.be.at.least(0.85);
      }
      const o = t.objectState(1)!;
      expect([...o.tracked.values()].every((d) => d === -1)).to.equal(true);
      // The bank holds the last frames tracked (0..15) and the 15 next to the conditioning frame (for a later forward pass).
      expect(
        [...o.nonCond.keys()].every((k) => k < 16 || k >= n - 16),
        [...o.nonCond.keys()].join(),
      ).to.equal(true);
    });

    second(
      'tracks backward after forward from a prompt mid-clip, starting from the forward pass memories',
      async () => {
        const n = 16;
        const p = 8;
        const path = trajectory(n);
        const sq = (i: number): Square => path[i]!;
        const { t } = tracker({ numFrames: n });
        await t.addPrompt(p, 1, [{ ...centre(sq(p)), label: 'positive' }], null, frame([sq(p)]).canvas);
        for (let i = p; i < n; i++) {
          const f = frame([sq(i)]);
          expect(iou(mask(get(await t.track(i, f.canvas, 1), 1)), f.truth(0)), `forward frame ${i}`).to.be.at.least(
            0.85,
          );
        }
        // The forward memories next to the prompt are still held, and the first backward frame is conditioned on them.
        const o = t.objectState(1)!;
        const held = [p + 1, p + 2, p + 3, p + 4, p + 5].filter((k) => o.nonCond.get(k)?.maskmem);
        expect(held).to.deep.equal([p + 1, p + 2, p + 3, p + 4, p + 5]);
        const plan = planMemory(o, p - 1, -1, { numMaskmem: 7, maxObjPtrs: 16, maxCondFramesInAttn: -1, numFrames: n });
        expect(plan.slots.map((s) => s.frame)).to.deep.equal([p, p + 1, p + 2, p + 3, p + 4, p + 5]);
        const attended = t.timings.memoryAttention.calls;
        for (let i = p - 1; i >= 0; i--) {
          const f = frame([sq(i)]);
          expect(iou(mask(get(await t.track(i, f.canvas, -1), 1)), f.truth(0)), `backward frame ${i}`).to.be.at.least(
            0.85,
          );
        }
        expect(t.timings.memoryAttention.calls - attended).to.equal(p);
      },
    );

    (long ? second : it.skip)(
      'memory held after 200 frames equals that after 60 (bounded), and frames per second',
      async () => {
        const path = trajectory(200);
        const sq = (i: number): Square => path[i]!;
        const { t } = tracker(); // live-like: numFrames unknown
        await t.addPrompt(0, 1, [{ ...centre(sq(0)), label: 'positive' }], null, frame([sq(0)]).canvas);
        let at60 = 0;
        let worst = 1;
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) {
          const f = frame([sq(i)]);
          const r = get(await t.track(i, f.canvas), 1);
          worst = Math.min(worst, iou(mask(r), f.truth(0)));
          if (i === 59) at60 = t.memoryStats().bytes;
        }
        const elapsed = performance.now() - t0;
        const stats = t.memoryStats();
        expect(stats.bytes).to.equal(at60);
        expect(stats.encodedFrames).to.be.at.most(1);
        expect(stats.objects[0]!.memories).to.equal(14); // 1 conditioning + 7 recent + 6 next to the conditioning frame
        expect(worst).to.be.at.least(0.85);
        const tm = t.timings;
        const per = (k: keyof typeof tm) => `${k} ${(tm[k].ms / 200).toFixed(1)} ms (${tm[k].calls} calls)`;
        const graphMs = Object.values(tm).reduce((a, g) => a + g.ms, 0);
        console.log(
          `[tracker ${name} ${backend}] 200 frames, 1 object: ${((200 * 1000) / elapsed).toFixed(1)} frames/s ` +
            `(${(elapsed / 200).toFixed(1)} ms/frame incl. drawing + preprocessing; graphs ${(graphMs / 200).toFixed(1)} ms/frame: ` +
            `${(['imageEncoder', 'memoryAttention', 'maskDecoder', 'memoryEncoder'] as const).map(per).join(', ')}); ` +
            `bank ${(stats.bytes / 1048576).toFixed(2)} MiB after 60 and after 200 frames; worst IoU ${worst.toFixed(3)}`,
        );
      },
    );

    if (backend === 'webgpu' && part !== 2) {
      it('WASM and WebGPU track a short clip the same way', async function () {
        // fp16 graphs need 'shader-f16' on WebGPU (the loader refuses them without it; SwiftShader has none).
        if (name === 'B512' && !(await webgpuHasF16())) this.skip();
        const n = long ? 12 : 4;
        const path = trajectory(n);
        const sq = (i: number): Square => path[i]!;
        const onWasm = new VideoTracker((await openLayoutTwin(name as LayoutName, 'wasm')).make(), { numFrames: n });
        const { t: onGpu } = tracker({ numFrames: n });
        const f0 = frame([sq(0)]);
        for (const t of [onWasm, onGpu])
          await t.addPrompt(0, 1, [{ ...centre(sq(0)), label: 'positive' }], null, f0.canvas);
        let worst = 1;
        let maxScoreDiff = 0;
        for (let i = 0; i < n; i++) {
          const f = frame([sq(i)]);
          const a = get(await onWasm.track(i, f.canvas, 1), 1);
          const b = get(await onGpu.track(i, f.canvas, 1), 1);
          expect(b.present, `frame ${i}`).to.equal(a.present);
          expect(iou(mask(b), f.truth(0)), `frame ${i} on WebGPU`).to.be.at.least(0.85);
          worst = Math.min(worst, iou(mask(a), mask(b)));
          maxScoreDiff = Math.max(maxScoreDiff, Math.abs(a.objectScore - b.objectScore));
        }
        console.log(
          `[tracker ${name}] WASM vs WebGPU over ${n} frames: worst mask IoU ${worst.toFixed(4)}, max object-score diff ${maxScoreDiff.toExponential(2)}`,
        );
        expect(worst).to.be.at.least(0.99);
        onWasm.dispose();
        onGpu.dispose();
      });
    }
  });
}
