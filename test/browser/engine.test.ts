// The headless engine end to end in a real browser: client → module worker → onnxruntime-web on the group's
// backend, on both twin bundles. Covers prompts, selection, refinement, errors with codes, worker crash recovery,
// cancellation and supersession.

import { expect } from '@open-wc/testing';
import { testBackend } from './helpers/backend.js';
import { rejection } from './helpers/rejection.js';
import { containment, drawScene, iou, objectsScene, RED, BLUE, GREEN } from './helpers/scenes.js';
import { createSegmenter, type Segmenter, type SegmenterOptions } from '../../src/client/segmenter.js';
import { testWorker, type WorkerHooks } from './helpers/test-worker.js';
import { clearCache } from '../../src/shared/cache.js';
import type { ModelProgress, SegmentResultData } from '../../src/shared/types.js';
import { Embedding, type ModelAdapter } from '../../src/engine/adapters.js';
import { hfPreprocess } from '../../src/engine/model-resolve.js';
import { HF_SAM2_CONTRACT } from '../../src/engine/contracts.js';
import { ImageEngine } from '../../src/engine/image-engine.js';
import type { DecoderPoints } from '../../src/engine/math/prompts.js';

const backend = testBackend();

const HF_MODEL = new URL('/demo/models/sam2-twin-hf/', location.href).href;
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;

/** Test hooks of each segmenter's worker. */
const hooks = new WeakMap<Segmenter, WorkerHooks>();

function segmenter(model: string, extra: SegmenterOptions = {}): Segmenter {
  // The test worker entry is the real engine plus hooks (kill, crash); the dev server maps .js imports to .ts sources.
  const worker = testWorker();
  const seg = createSegmenter({
    model,
    device: backend,
    wasmPaths: '/node_modules/onnxruntime-web/dist/',
    workerUrl: worker.url,
    ...extra,
  });
  hooks.set(seg, worker);
  return seg;
}

function checkMask(r: SegmentResultData, w: number, h: number): void {
  const m = r.mask;
  expect([m.width, m.height]).to.deep.equal([w, h]);
  expect(m.data.length).to.equal(w * h);
  let area = 0;
  for (const v of m.data) area += v;
  expect(m.area).to.equal(area);
  const [bx, by, bw, bh] = m.bbox;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (m.data[y * w + x] && (x < bx || x >= bx + bw || y < by || y >= by + bh))
        throw new Error(`pixel ${x},${y} outside bbox`);
    }
  }
}

for (const kind of ['hf', 'canonical'] as const) {
  const model = kind === 'hf' ? HF_MODEL : VIDEO_MANIFEST;

  describe(`engine, ${kind === 'hf' ? 'onnx-community layout' : 'canonical bundle'} (${backend})`, () => {
    let seg: Segmenter;
    const progress: ModelProgress[] = [];

    before(async () => {
      // Models are cached across test files (one browser profile): start cold so the load really downloads.
      await clearCache();
      seg = segmenter(model, { device: 'auto', onProgress: (p) => progress.push(p) });
    });
    after(() => seg.dispose());

    it('ready reports the group backend, threads, contract and download progress', async () => {
      const t0 = performance.now();
      const info = await seg.ready;
      console.log(
        `${kind}: ready in ${(performance.now() - t0).toFixed(0)} ms on ${info.backend}, ${info.threads} thread(s)`,
      );
      // device 'auto': the wasm group's browser has no WebGPU adapter, the webgpu group's has one.
      expect(info.backend).to.equal(backend);
      expect(info.threads).to.equal(globalThis.crossOriginIsolated ? info.threads : 1);
      expect(info.contract).to.equal(kind === 'hf' ? 'onnx-community/sam2' : 'sam2-video-4g/1');
      expect(info.capabilities).to.include('image');
      const downloads = progress.filter((p) => p.phase === 'download');
      const files = [...new Set(downloads.map((p) => p.file))].sort();
      expect(files).to.deep.equal(
        kind === 'hf'
          ? ['onnx/prompt_encoder_mask_decoder.onnx', 'onnx/vision_encoder.onnx']
          : ['image_encoder.onnx', 'mask_decoder.onnx'],
      );
      for (const f of files) {
        const last = downloads.filter((p) => p.file === f).at(-1)!;
        expect(last.loaded).to.be.above(0);
        expect(last.loaded).to.equal(last.total);
      }
    });

    it('one click per object segments it at IoU >= 0.9 at natural size (640x360)', async () => {
      const w = 640;
      const h = 360;
      const { scene, centres } = objectsScene(w, h);
      const info = await seg.setImage(scene.canvas);
      expect({ width: info.width, height: info.height }).to.deep.equal({ width: w, height: h });
      for (let i = 0; i < centres.length; i++) {
        const [x, y] = centres[i]!;
        const t0 = performance.now();
        const r = await seg.segment({ points: [{ x, y, label: 'positive' }], objectId: 10 + i });
        if (i === 0) console.log(`${kind}: segment in ${(performance.now() - t0).toFixed(1)} ms`);
        checkMask(r, w, h);
        expect(r.objectId).to.equal(10 + i);
        expect(r.candidate).to.be.within(1, 3);
        expect(r.score).to.be.within(0, 1);
        expect(r.objectScore).to.be.above(0);
        const score = iou(r.mask.data, scene.truth(i));
        expect(score, `object ${i}: IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
      }
    });

    it('accepts ImageData, Blob and ImageBitmap sources', async () => {
      const { scene, centres } = objectsScene(320, 240);
      const ctx = scene.canvas.getContext('2d')!;
      const blob = await new Promise<Blob>((res) => scene.canvas.toBlob((b) => res(b!), 'image/png'));
      const bitmap = await createImageBitmap(scene.canvas);
      for (const source of [ctx.getImageData(0, 0, 320, 240), blob, bitmap]) {
        await seg.setImage(source);
        const [x, y] = centres[1]!;
        const r = await seg.segment({ points: [{ x, y, label: 'positive' }] });
        expect(iou(r.mask.data, scene.truth(1))).to.be.at.least(0.9);
      }
      // The caller's bitmap is not consumed.
      expect(bitmap.width).to.equal(320);
    });

    it('a negative click excludes a second object of the same colour', async () => {
      const w = 800;
      const h = 600;
      const scene = drawScene(w, h, '#ffffff', [
        { kind: 'rect', x: 80, y: 100, w: 200, h: 180, color: RED },
        { kind: 'rect', x: 480, y: 320, w: 220, h: 200, color: RED },
      ]);
      await seg.setImage(scene.canvas);
      const r = await seg.segment({
        points: [
          { x: 180, y: 190, label: 'positive' },
          { x: 590, y: 420, label: 'negative' },
        ],
        refine: false,
      });
      expect(iou(r.mask.data, scene.truth(0))).to.be.at.least(0.9);
      expect(containment(scene.truth(1), r.mask.data)).to.be.below(0.01);
      // Two points take the single-mask path where the bundle has token 0 (stable twin masks).
      if (kind === 'canonical') expect(r.candidate).to.equal(0);
    });

    it('a box selects the object in it', async () => {
      const w = 900;
      const h = 500;
      const scene = drawScene(w, h, '#ffffff', [
        { kind: 'circle', cx: 250, cy: 250, r: 120, color: BLUE },
        { kind: 'rect', x: 500, y: 60, w: 360, h: 380, color: GREEN },
      ]);
      await seg.setImage(scene.canvas);
      const r = await seg.segment({ box: { x0: 100, y0: 100, x1: 400, y1: 400 } });
      checkMask(r, w, h);
      expect(iou(r.mask.data, scene.truth(0))).to.be.at.least(0.9);
    });

    it('refinement (previous mask as prompt) keeps the mask', async () => {
      const { scene, centres } = objectsScene(700, 500);
      await seg.setImage(scene.canvas);
      const [x, y] = centres[1]!;
      const first = await seg.segment({ points: [{ x, y, label: 'positive' }], objectId: 3 });
      const again = await seg.segment({ points: [{ x, y, label: 'positive' }], objectId: 3 });
      expect(iou(again.mask.data, first.mask.data)).to.be.at.least(0.99);
      expect(iou(again.mask.data, scene.truth(1))).to.be.at.least(0.9);
      await seg.clear(3);
      const cleared = await seg.segment({ points: [{ x, y, label: 'positive' }], objectId: 3 });
      // Without the mask prompt the decode is the first one again.
      expect(iou(cleared.mask.data, first.mask.data)).to.equal(1);
    });

    it('an invalid prompt rejects with invalid-prompt and the next segment still works', async () => {
      const { scene, centres } = objectsScene(400, 300);
      await seg.setImage(scene.canvas);
      const bad = await rejection(seg.segment({ points: [{ x: Number.NaN, y: 10, label: 'positive' }] }));
      expect(bad.code).to.equal('invalid-prompt');
      expect(bad.message).to.contain('points[0].x');
      expect((await rejection(seg.segment({ points: [] }))).code).to.equal('invalid-prompt');
      expect((await rejection(seg.segment({ box: { x0: 50, y0: 50, x1: 10, y1: 10 } }))).code).to.equal(
        'invalid-prompt',
      );
      const [x, y] = centres[2]!;
      const r = await seg.segment({ points: [{ x, y, label: 'positive' }] });
      expect(iou(r.mask.data, scene.truth(2))).to.be.at.least(0.9);
    });
  });
}

describe(`engine: errors, crashes, cancellation (${backend})`, () => {
  it('segment() before setImage() rejects with not-ready', async () => {
    const seg = segmenter(VIDEO_MANIFEST);
    try {
      expect((await rejection(seg.segment({ points: [{ x: 1, y: 1, label: 'positive' }] }))).code).to.equal(
        'not-ready',
      );
    } finally {
      seg.dispose();
    }
  });

  it('a graph that lacks a contract tensor rejects with model-contract naming graph and tensor', async () => {
    const manifest = (await (await fetch(VIDEO_MANIFEST)).json()) as {
      graphs: Record<string, { url: string; bytes: number; sha256: string }>;
    };
    // The decoder entry points at the encoder file (with its true size and digest): integrity passes, contract fails.
    manifest.graphs['mask_decoder'] = {
      ...manifest.graphs['image_encoder']!,
      url: new URL('image_encoder.onnx', VIDEO_MANIFEST).href,
    };
    manifest.graphs['image_encoder']!.url = new URL('image_encoder.onnx', VIDEO_MANIFEST).href;
    const url = `data:application/json,${encodeURIComponent(JSON.stringify(manifest))}`;
    const seg = segmenter(url);
    try {
      const e = await rejection(seg.ready);
      expect(e.code).to.equal('model-contract');
      expect(e.message).to.contain('mask_decoder: missing input "image_embed"');
      // Calls fail the same way instead of hanging.
      expect((await rejection(seg.segment({ points: [{ x: 1, y: 1, label: 'positive' }] }))).code).to.equal(
        'model-contract',
      );
    } finally {
      seg.dispose();
    }
  });

  it('a corrupted sha256 rejects with model-integrity; a missing file with model-fetch', async () => {
    const manifest = (await (await fetch(VIDEO_MANIFEST)).json()) as {
      graphs: Record<string, { url: string; sha256: string }>;
    };
    for (const g of Object.values(manifest.graphs)) g.url = new URL(g.url, VIDEO_MANIFEST).href;
    manifest.graphs['mask_decoder']!.sha256 = '0'.repeat(64);
    const seg = segmenter(`data:application/json,${encodeURIComponent(JSON.stringify(manifest))}`);
    const missing = segmenter(new URL('/demo/models/no-such-model/', location.href).href);
    try {
      const e = await rejection(seg.ready);
      expect(e.code).to.equal('model-integrity');
      expect(e.message).to.contain('mask_decoder.onnx');
      expect((await rejection(missing.ready)).code).to.equal('model-fetch');
    } finally {
      seg.dispose();
      missing.dispose();
    }
  });

  describe('one segmenter', () => {
    let seg: Segmenter;
    const { scene, centres } = objectsScene(640, 360);
    const click = (i: number) => ({
      points: [{ x: centres[i]![0], y: centres[i]![1], label: 'positive' as const }],
      refine: false,
    });

    before(async () => {
      seg = segmenter(VIDEO_MANIFEST);
      await seg.setImage(scene.canvas);
    });
    after(() => seg.dispose());

    it('restarts a terminated worker on the next call, with the model and the current image', async () => {
      const before = await seg.segment(click(0));
      // A call in flight when the worker dies rejects with worker-crashed: an encode, posted but not finished.
      const inFlight = seg.setImage(scene.canvas);
      await new Promise((r) => setTimeout(r, 20));
      hooks.get(seg)!.kill();
      expect((await rejection(inFlight)).code).to.equal('worker-crashed');
      const t0 = performance.now();
      const after = await seg.segment(click(0));
      console.log(`restart + re-encode + segment: ${(performance.now() - t0).toFixed(0)} ms`);
      expect(iou(after.mask.data, before.mask.data)).to.equal(1);
    });

    it('replaces a worker whose error event fires', async () => {
      await seg.ready;
      await hooks.get(seg)!.crash();
      // The error event arrives asynchronously; the next call runs on whichever worker is current.
      await new Promise((r) => setTimeout(r, 100));
      const r = await seg.segment(click(2));
      expect(iou(r.mask.data, scene.truth(2))).to.be.at.least(0.9);
    });

    it('an aborted signal rejects with aborted; aborting a queued call skips it', async () => {
      const ctl = new AbortController();
      ctl.abort();
      expect((await rejection(seg.segment(click(0), { signal: ctl.signal }))).code).to.equal('aborted');
      // Queue a segment behind an encode, then abort it while it waits.
      const ctl2 = new AbortController();
      const encoding = seg.setImage(scene.canvas);
      const queued = seg.segment(click(0), { signal: ctl2.signal });
      ctl2.abort();
      expect((await rejection(queued)).code).to.equal('aborted');
      await encoding;
      const r = await seg.segment(click(0));
      expect(iou(r.mask.data, scene.truth(0))).to.be.at.least(0.9);
    });

    it('a newer segment() for the same object supersedes a queued one; other objects are not affected', async () => {
      const encoding = seg.setImage(scene.canvas);
      const older = seg.segment({ ...click(0), objectId: 1 });
      const other = seg.segment({ ...click(2), objectId: 2 });
      const newer = seg.segment({ ...click(1), objectId: 1 });
      await encoding;
      expect((await rejection(older)).code).to.equal('aborted');
      expect(iou((await newer).mask.data, scene.truth(1))).to.be.at.least(0.9);
      expect(iou((await other).mask.data, scene.truth(2))).to.be.at.least(0.9);
    });

    it('rejects every call after dispose()', async () => {
      const s = segmenter(VIDEO_MANIFEST);
      const loading = s.ready;
      s.dispose();
      expect((await rejection(loading)).code).to.equal('aborted');
      expect((await rejection(s.segment(click(0)))).code).to.equal('aborted');
    });
  });
});

describe('engine: letterboxed (longest_edge) preprocessing, fake decoder', () => {
  it('maps prompts into the content area and masks back to natural size', async () => {
    const pre = hfPreprocess({ size: { longest_edge: 1024 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] });
    expect(pre).to.deep.equal({ size: 1024, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resize: 'longest-edge' });
    expect(hfPreprocess({ size: { height: 1024, width: 1024 } }).resize).to.equal('stretch');
    // A decoder that answers with a disc of radius 8 (low-res pixels) around the first prompt point.
    const seen: number[][] = [];
    const adapter: ModelAdapter = {
      contract: HF_SAM2_CONTRACT,
      preprocess: pre,
      hasMaskInput: false,
      encode: async () => new Embedding({}),
      decode: async (_e: Embedding, p: DecoderPoints) => {
        seen.push(Array.from(p.coords));
        const cx = p.coords[0]! / 4;
        const cy = p.coords[1]! / 4;
        const m = new Float32Array(256 * 256);
        for (let y = 0; y < 256; y++)
          for (let x = 0; x < 256; x++) m[y * 256 + x] = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) < 8 ? 1 : -1;
        return { masks: [m, m, m], iou: [0.5, 0.9, 0.1], objectScore: 1, hasSingleMaskToken: false };
      },
      release: async () => undefined,
    };
    const engine = new ImageEngine(adapter);
    const scene = drawScene(800, 400, '#ffffff', []);
    await engine.setImage(await createImageBitmap(scene.canvas));
    const r = await engine.segment({ points: [{ x: 600, y: 100, label: 'positive' }] });
    // 800x400 letterboxes to 1024x512: x scales by 1024/800, y by 512/400 (not by 1024/400).
    expect(seen[0]![0]).to.be.closeTo(768, 1e-3);
    expect(seen[0]![1]).to.be.closeTo(128, 1e-3);
    expect(r.candidate).to.equal(2);
    expect(r.score).to.be.closeTo(0.9, 1e-6);
    // The disc (radius 8 low-res px = 25 natural px) comes back centred on the click, round, not stretched.
    const [bx, by, bw, bh] = r.mask.bbox;
    expect(bx + bw / 2).to.be.closeTo(600, 2);
    expect(by + bh / 2).to.be.closeTo(100, 2);
    expect(bw).to.be.closeTo(50, 3);
    expect(bh).to.be.closeTo(50, 3);
    await engine.dispose();
  });
});
