// Video tracking through the public paths: the headless client's worker-side tracker, `trackVideo()` sessions over
// real <video> clips (generated in the test with WebCodecs), and the element's `track()`. Tracker behaviour in depth
// is in tracker.test.ts; here the question is whether the SDK delivers it end to end.

import { expect } from '@open-wc/testing';
import { testBackend } from './helpers/backend.js';
import { rejection } from './helpers/rejection.js';
import { drawScene, iou, RED, type Shape } from './helpers/scenes.js';
import { createSegmenter, type Segmenter, type SegmenterDebugHooks } from '../../src/engine/client.js';

const backend = testBackend();
const HF_MODEL = new URL('/demo/models/sam2-twin-hf/', location.href).href;
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const W = 320;
const H = 240;
const SIDE = 48;

function segmenter(model = VIDEO_MANIFEST): Segmenter & SegmenterDebugHooks {
  return createSegmenter({
    model,
    device: backend,
    wasmPaths: '/node_modules/onnxruntime-web/dist/',
    workerUrl: new URL('/src/workers/sam2.worker.ts', location.href),
  }) as Segmenter & SegmenterDebugHooks;
}

type Sq = { x: number; y: number; color?: string };
function scene(squares: readonly Sq[]) {
  const shapes: Shape[] = squares.map((s) => ({ kind: 'rect', x: s.x, y: s.y, w: SIDE, h: SIDE, color: s.color ?? RED }));
  return drawScene(W, H, '#ffffff', shapes);
}
const centre = (s: Sq) => ({ x: s.x + SIDE / 2, y: s.y + SIDE / 2 });

// WebGPU under SwiftShader takes ~2 s per tracked frame: the webgpu group runs a short clip only.
const itWasm = backend === 'wasm' ? it : it.skip;

describe(`tracking through the client (${backend})`, function () {
  this.timeout(600_000);
  let seg: Segmenter & SegmenterDebugHooks;
  before(() => {
    seg = segmenter();
  });
  after(() => seg.dispose());

  it('rejects openTracker() on an image-only bundle with model-contract naming the bundles that can track', async () => {
    const hf = segmenter(HF_MODEL);
    try {
      const e = await rejection(hf.openTracker());
      expect(e.code).to.equal('model-contract');
      expect(e.message).to.match(/sam2-video-4g\/1/);
      expect(e.message).to.match(/twin/);
      // The segmenter still segments images.
      await hf.setImage(scene([{ x: 100, y: 80 }]).canvas);
      const r = await hf.segment({ points: [{ x: 124, y: 104, label: 'positive' }] });
      expect(r.mask.area).to.be.greaterThan(1000);
    } finally {
      hf.dispose();
    }
  });

  it('tracks two objects with one encoder pass per frame, and close() frees the worker tracker', async () => {
    const n = backend === 'wasm' ? 16 : 4;
    const a = (i: number): Sq => ({ x: 20 + 12 * i, y: 30 });
    const b = (i: number): Sq => ({ x: 240 - 10 * i, y: 150, color: '#1e3cd8' });
    const t = await seg.openTracker({ numFrames: n });
    expect(await seg.__debugTrackerCount()).to.equal(1);
    const f0 = scene([a(0), b(0)]);
    const pa = await t.addPrompt(0, f0.canvas, { objectId: 1, points: [{ ...centre(a(0)), label: 'positive' }] });
    const pb = await t.addPrompt(0, f0.canvas, { objectId: 2, points: [{ ...centre(b(0)), label: 'positive' }] });
    expect(pa.kind).to.equal('initial');
    expect(iou(pa.mask.data, f0.truth(0))).to.be.at.least(0.9);
    expect(iou(pb.mask.data, f0.truth(1))).to.be.at.least(0.9);
    for (let i = 0; i < n; i++) {
      const f = scene([a(i), b(i)]);
      const r = await t.track(i, f.canvas, 1);
      expect(r.objects.map((o) => o.objectId)).to.deep.equal([1, 2]);
      expect(iou(r.objects[0]!.mask.data, f.truth(0)), `A frame ${i}`).to.be.at.least(0.85);
      expect(iou(r.objects[1]!.mask.data, f.truth(1)), `B frame ${i}`).to.be.at.least(0.85);
      expect(r.objects[0]!.rle.size).to.deep.equal([H, W]);
    }
    const s = await t.stats();
    // Frame 0 is encoded once for both prompts and reused by track(0); frames 1..n-1 once each.
    expect(s.timings.imageEncoder.calls).to.equal(n);
    expect(s.objects).to.equal(2);
    const last = await t.close();
    expect(last!.bytes).to.be.greaterThan(0);
    expect(await seg.__debugTrackerCount()).to.equal(0);
    expect((await rejection(t.track(n, scene([a(0)]).canvas))).code).to.equal('aborted');
  });

  itWasm('rejects a bad frame index with invalid-prompt and keeps tracking', async () => {
    const t = await seg.openTracker({ numFrames: 5 });
    const f0 = scene([{ x: 50, y: 50 }]);
    expect((await rejection(t.addPrompt(9, f0.canvas, { points: [{ x: 74, y: 74, label: 'positive' }] }))).code).to.equal('invalid-prompt');
    expect((await rejection(t.addPrompt(0, f0.canvas, { points: [] }))).code).to.equal('invalid-prompt');
    await t.addPrompt(0, f0.canvas, { points: [{ x: 74, y: 74, label: 'positive' }] });
    const r = await t.track(1, scene([{ x: 60, y: 50 }]).canvas);
    expect(r.objects[0]!.present).to.equal(true);
    await t.close();
  });
});
