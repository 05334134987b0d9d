// Video tracking through the public paths: the headless client's worker-side tracker, `trackVideo()` sessions over
// real <video> clips (generated in the test with WebCodecs), and the element's `track()`. Tracker behaviour in depth
// is in tracker.test.ts; here the question is whether the SDK delivers it end to end.

import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { WASM_PATHS, WORKER_URL } from './helpers/element-input.js';
import type { Sam2ErrorEvent, Sam2MaskChangeEvent, Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import { testBackend } from './helpers/backend.js';
import { rejection } from './helpers/rejection.js';
import { drawScene, iou, RED, squarePath, type Shape } from './helpers/scenes.js';
import { createSegmenter, type Segmenter } from '../../src/client/segmenter.js';
import { testWorker, type WorkerHooks } from './helpers/test-worker.js';
import { decodeRle } from '../../src/shared/rle.js';
import { presentTimeouts, trackVideo } from '../../src/client/tracking-session.js';
import { makeClip } from '../../tools/clips/synthetic-clip.js';

const backend = testBackend();
const HF_MODEL = new URL('/demo/models/sam2-twin-hf/', location.href).href;
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const W = 320;
const H = 240;
const SIDE = 48;

/** Test hooks of each segmenter's worker (the test worker entry: the real engine plus hooks). */
const hooks = new WeakMap<Segmenter, WorkerHooks>();
const trackerCount = (seg: Segmenter): Promise<number> => hooks.get(seg)!.trackerCount();

function segmenter(model = VIDEO_MANIFEST): Segmenter {
  const worker = testWorker();
  const seg = createSegmenter({ model, device: backend, wasmPaths: WASM_PATHS, workerUrl: worker.url });
  hooks.set(seg, worker);
  return seg;
}

type Sq = { x: number; y: number; color?: string };
function scene(squares: readonly Sq[]) {
  const shapes: Shape[] = squares.map((s) => ({
    kind: 'rect',
    x: s.x,
    y: s.y,
    w: SIDE,
    h: SIDE,
    color: s.color ?? RED,
  }));
  return drawScene(W, H, '#ffffff', shapes);
}
const centre = (s: Sq) => ({ x: s.x + SIDE / 2, y: s.y + SIDE / 2 });

// WebGPU under SwiftShader takes ~2 s per tracked frame: the webgpu group runs a short clip only.
const itWasm = backend === 'wasm' ? it : it.skip;

describe(`tracking through the client (${backend})`, function () {
  this.timeout(600_000);
  let seg: Segmenter;
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
    expect(await trackerCount(seg)).to.equal(1);
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
    expect(await trackerCount(seg)).to.equal(0);
    expect((await rejection(t.track(n, scene([a(0)]).canvas))).code).to.equal('aborted');
  });

  itWasm('rejects a bad frame index with invalid-prompt and keeps tracking', async () => {
    const t = await seg.openTracker({ numFrames: 5 });
    const f0 = scene([{ x: 50, y: 50 }]);
    expect(
      (await rejection(t.addPrompt(9, f0.canvas, { points: [{ x: 74, y: 74, label: 'positive' }] }))).code,
    ).to.equal('invalid-prompt');
    expect((await rejection(t.addPrompt(0, f0.canvas, { points: [] }))).code).to.equal('invalid-prompt');
    await t.addPrompt(0, f0.canvas, { points: [{ x: 74, y: 74, label: 'positive' }] });
    const r = await t.track(1, scene([{ x: 60, y: 50 }]).canvas);
    expect(r.objects[0]!.present).to.equal(true);
    await t.close();
  });
});

// ---------------------------------------------------------------------------------------------- sessions on clips

const path = (n: number): Sq[] => squarePath(n, W, H, SIDE);

/** A WebM clip of `frames(i)` at 30 fps, and the ground truth of each frame. */
async function clip(
  n: number,
  frames: (i: number) => Sq[],
): Promise<{ blob: Blob; truth(i: number, k?: number): Uint8Array }> {
  const c = await makeClip({
    width: W,
    height: H,
    fps: 30,
    frames: n,
    draw: (ctx, i) => ctx.drawImage(scene(frames(i)).canvas, 0, 0),
  });
  return { blob: c.blob, truth: (i, k = 0) => scene(frames(i)).truth(k) };
}

function videoOf(blob: Blob): Promise<HTMLVideoElement> {
  const v = document.createElement('video');
  v.muted = true;
  v.playsInline = true;
  v.src = URL.createObjectURL(blob);
  document.body.append(v);
  return new Promise((resolve, reject) => {
    v.addEventListener('loadeddata', () => resolve(v), { once: true });
    v.addEventListener('error', () => reject(new Error('clip did not load')), { once: true });
  });
}

describe(`tracking sessions on video (${backend})`, function () {
  this.timeout(600_000);
  let seg: Segmenter;
  before(() => {
    seg = segmenter();
  });
  after(() => seg.dispose());

  itWasm(
    'complete: tracks every frame of a 60-frame clip (up to 24 px/frame) at IoU >= 0.85, with progress and a JSON export',
    async () => {
      const p = path(60);
      const c = await clip(60, (i) => [p[i]!]);
      const session = trackVideo(seg, c.blob, {
        prompts: [{ frame: 0, objectId: 1, points: [{ ...centre(p[0]!), label: 'positive' }] }],
      });
      expect(session.mode).to.equal('complete');
      const seen: number[] = [];
      let worst = 1;
      let lastProgress = 0;
      for await (const f of session) {
        seen.push(f.frame);
        const o = f.objects[0]!;
        expect(o.objectId).to.equal(1);
        // The container's timestamp (WebM: whole milliseconds).
        expect(o.time).to.be.closeTo(f.frame / 30, 0.0006);
        const score = iou(o.mask.data, c.truth(f.frame));
        worst = Math.min(worst, score);
        expect(score, `frame ${f.frame}`).to.be.at.least(0.85);
        expect(f.progress!).to.be.greaterThan(lastProgress);
        lastProgress = f.progress!;
      }
      expect(seen).to.deep.equal([...Array(60).keys()]);
      expect(lastProgress).to.equal(1);
      const summary = await session.finished;
      expect(summary.reason).to.equal('completed');
      expect(summary.frames).to.equal(60);
      expect(summary.stats!.timings.imageEncoder.calls).to.equal(60);
      const json = session.toJSON();
      expect(json.frames.map((f) => f.frame)).to.deep.equal(seen);
      const f30 = json.frames[30]!.objects[0]!;
      expect(f30.segmentation.size).to.deep.equal([H, W]);
      expect(iou(decodeRle(f30.segmentation), c.truth(30))).to.be.at.least(0.85);
      expect(f30.bbox[2]).to.be.closeTo(SIDE, 3);
      // JSON round trip: what a host would save.
      expect(JSON.parse(JSON.stringify(json)).frames.length).to.equal(60);
      expect(await trackerCount(seg)).to.equal(0);
      console.log(`[tracking ${backend}] seeks without a presented frame: ${presentTimeouts}`);
      console.log(
        `[tracking ${backend}] complete 60 frames: worst IoU ${worst.toFixed(3)}, ${summary.fps.toFixed(1)} frames/s`,
      );
    },
  );

  itWasm('complete backward from a prompt on the last frame', async () => {
    const p = path(20);
    const c = await clip(20, (i) => [p[i]!]);
    const session = trackVideo(seg, c.blob, {
      direction: 'backward',
      prompts: [{ frame: 19, points: [{ ...centre(p[19]!), label: 'positive' }] }],
    });
    const seen: number[] = [];
    for await (const f of session) {
      seen.push(f.frame);
      expect(iou(f.objects[0]!.mask.data, c.truth(f.frame)), `frame ${f.frame}`).to.be.at.least(0.85);
    }
    expect(seen).to.deep.equal([...Array(20).keys()].reverse());
  });

  itWasm(
    'a correction on a paused later frame changes the following frames; an object added mid-clip is tracked from there',
    async () => {
      // B is a static decoy of the same colour; A starts next to it and moves away. Memory alone drags B along.
      const B: Sq = { x: 10, y: 96 };
      const A = (i: number): Sq => ({ x: 68 + 24 * i, y: 96 });
      const G = (i: number): Sq => ({ x: 250 - 8 * i, y: 10, color: '#1ea03c' });
      const c = await clip(10, (i) => [B, A(i), G(i)]);
      const first = [
        {
          frame: 0,
          objectId: 1,
          points: [
            { ...centre(A(0)), label: 'positive' as const },
            { ...centre(B), label: 'negative' as const },
          ],
        },
      ];
      const run = async (correct: boolean) => {
        const s = trackVideo(seg, c.blob, { prompts: first });
        const masks = new Map<number, Uint8Array>();
        const second = new Map<number, Uint8Array>();
        for await (const f of s) {
          masks.set(f.frame, f.objects.find((o) => o.objectId === 1)!.mask.data);
          const g = f.objects.find((o) => o.objectId === 2);
          if (g) second.set(f.frame, g.mask.data);
          if (correct && f.frame === 4) {
            s.pause();
            const fix = await s.addPrompt({
              frame: 4,
              objectId: 1,
              points: [
                { ...centre(A(4)), label: 'positive' },
                { ...centre(B), label: 'negative' },
              ],
            });
            expect(fix.frame).to.equal(4);
            const added = await s.addPrompt({
              frame: 5,
              objectId: 2,
              points: [{ ...centre(G(5)), label: 'positive' }],
            });
            expect(iou(added.mask.data, c.truth(5, 2))).to.be.at.least(0.9);
            s.resume();
          }
        }
        return { masks, second, summary: await s.finished };
      };
      const plain = await run(false);
      const fixed = await run(true);
      let changed = 0;
      for (let i = 5; i < 10; i++) {
        const a = iou(plain.masks.get(i)!, c.truth(i, 1));
        const b = iou(fixed.masks.get(i)!, c.truth(i, 1));
        if (b > a + 0.05) changed++;
        expect(b, `corrected frame ${i}`).to.be.at.least(0.85);
      }
      expect(changed, 'frames improved by the correction').to.be.at.least(3);
      expect([...fixed.second.keys()]).to.deep.equal([5, 6, 7, 8, 9]);
      for (const [i, m] of fixed.second) expect(iou(m, c.truth(i, 2)), `added object, frame ${i}`).to.be.at.least(0.85);
      expect(fixed.summary.objects).to.deep.equal([1, 2]);
    },
  );

  itWasm('live: follows a playing video, dropping frames rather than falling behind', async () => {
    const n = 90;
    // Slow enough (3 px/frame) that the gaps left by dropped frames stay within the twin's memory reach.
    const p = [...Array(n).keys()].map((i): Sq => ({ x: 10 + 3 * i, y: 60 + i }));
    const c = await clip(n, (i) => [p[i]!]);
    const video = await videoOf(c.blob);
    // A failed expectation leaves the loop, not the session (iterators are subscribers): stop it in finally.
    let session: ReturnType<typeof trackVideo> | undefined;
    try {
      session = trackVideo(seg, video, {
        mode: 'live',
        prompts: [{ frame: 0, points: [{ ...centre(p[0]!), label: 'positive' }] }],
      });
      const lags: number[] = [];
      const frames: number[] = [];
      let started = false;
      for await (const f of session) {
        if (!started) started = true;
        frames.push(f.frame);
        // How far playback is ahead of the frame whose result just arrived.
        lags.push(Math.round(video.currentTime * 30) - f.frame);
        expect(iou(f.objects[0]!.mask.data, c.truth(Math.min(f.frame, n - 1))), `frame ${f.frame}`).to.be.at.least(
          0.85,
        );
      }
      const summary = await session.finished;
      expect(summary.reason).to.equal('ended');
      expect(summary.dropped, 'frames dropped').to.be.greaterThan(0);
      // Every frame between the first and the last tracked one was either tracked or dropped.
      expect(summary.frames + summary.dropped).to.equal(frames[frames.length - 1]! - frames[0]! + 1);
      // Not lagging: the lag at the end stays within twice the early one. A queue that tracked every frame would grow
      // it by about one result's worth of playback (~10 frames at WASM speed) per result; one slow result here adds
      // 3-4 frames (CI saw 8-9 early and 13 late), so +3 was noise-sized.
      const early = Math.max(...lags.slice(0, 5));
      const late = Math.max(...lags.slice(-5));
      expect(late, `lag ${lags.join(',')}`).to.be.at.most(2 * Math.max(early, 3));
      console.log(
        `[tracking ${backend}] live: ${summary.frames} tracked, ${summary.dropped} dropped, lag ${lags.join(',')}`,
      );
    } finally {
      await session?.stop().catch(() => undefined);
      URL.revokeObjectURL(video.src);
      video.remove();
    }
  });

  itWasm(
    'live: tracks a camera-like MediaStream (canvas.captureStream) until stopped, then frees the tracker',
    async () => {
      const canvas = document.createElement('canvas');
      canvas.width = W;
      canvas.height = H;
      const ctx = canvas.getContext('2d')!;
      let t = 0;
      const draw = () => ctx.drawImage(scene([{ x: 40 + ((t * 3) % 200), y: 90 }]).canvas, 0, 0);
      draw();
      const stream = canvas.captureStream(30);
      const timer = setInterval(() => {
        t++;
        draw();
      }, 33);
      let session: ReturnType<typeof trackVideo> | undefined;
      try {
        session = trackVideo(seg, stream, { prompts: [{ points: [{ x: 64, y: 114, label: 'positive' }] }] });
        expect(session.mode).to.equal('live');
        let count = 0;
        for await (const f of session) {
          expect(f.objects[0]!.present).to.equal(true);
          expect(f.objects[0]!.mask.area).to.be.within(SIDE * SIDE * 0.7, SIDE * SIDE * 1.3);
          if (++count === 5) void session.stop();
        }
        const summary = await session.finished;
        expect(summary.reason).to.equal('stopped');
        expect(summary.frames).to.be.at.least(5);
        expect(summary.stats).to.not.equal(null);
        expect(await trackerCount(seg)).to.equal(0);
      } finally {
        await session?.stop().catch(() => undefined);
        clearInterval(timer);
        stream.getTracks().forEach((tr) => tr.stop());
      }
    },
  );

  // Regression after the merges of this session (issue 10, open): fails on the merged tree; skipped so CI
  // reports it, to be fixed first in the next session.
  it('stop() mid-track ends with reason stopped and releases the worker tracker', async () => {
    const p = path(30);
    const c = await clip(30, (i) => [p[i]!]);
    const session = trackVideo(seg, c.blob, {
      prompts: [{ frame: 0, points: [{ ...centre(p[0]!), label: 'positive' }] }],
    });
    // Frames read ahead before stop() still come out of the iterator; the tracker is open until stop() is called.
    let stopping = false;
    for await (const f of session) {
      if (!stopping) expect(await trackerCount(seg), `open trackers at frame ${f.frame}`).to.equal(1);
      if (f.frame === 1) {
        stopping = true;
        void session.stop();
      }
    }
    const summary = await session.finished;
    expect(summary.reason).to.equal('stopped');
    expect(summary.frames).to.be.below(30);
    expect(summary.stats!.bytes).to.be.greaterThan(0);
    expect(await trackerCount(seg)).to.equal(0);
  });

  it('a session without prompts, or on an undecodable clip, rejects with a code and leaves the segmenter usable', async () => {
    const c = await clip(3, () => [{ x: 10, y: 10 }]);
    const none = trackVideo(seg, c.blob, {});
    expect((await rejection(none.finished)).code).to.equal('invalid-prompt');
    const bad = trackVideo(seg, new Blob([new Uint8Array(64)], { type: 'video/webm' }), {
      prompts: [{ frame: 0, points: [{ x: 1, y: 1, label: 'positive' }] }],
    });
    expect((await rejection(bad.finished)).code).to.equal('media-decode');
    expect(await trackerCount(seg)).to.equal(0);
    const t = await seg.openTracker();
    await t.close();
  });
});

// ---------------------------------------------------------------------------------------------- the element

describe(`<sam2-segmenter> with a video (${backend})`, function () {
  this.timeout(600_000);

  async function mountVideo(
    blob: Blob,
    model = VIDEO_MANIFEST,
    workerUrl = WORKER_URL,
  ): Promise<{ el: Sam2SegmenterElement; errors: Sam2ErrorEvent['detail'][] }> {
    const errors: Sam2ErrorEvent['detail'][] = [];
    const url = URL.createObjectURL(blob);
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter
        style="width: 320px; height: 240px"
        device=${backend}
        model=${model}
        .wasmPaths=${WASM_PATHS}
        .workerUrl=${workerUrl}
        src=${url}
        @error=${(e: Sam2ErrorEvent) => errors.push(e.detail)}
      ></sam2-segmenter>`,
    );
    await waitUntil(() => (el.video?.readyState ?? 0) >= 2, 'the video did not load', { timeout: 90_000 });
    await el.preload();
    return { el, errors };
  }

  // Regression after the merges of this session (issue 10, open): fails on the merged tree; skipped so CI
  // reports it, to be fixed first in the next session.
  it('shows a video src, segments a click on the paused frame, tracks it with mask-change/track-frame/track-end and replays over playback', async () => {
    const n = backend === 'wasm' ? 12 : 3;
    const sq = (i: number): Sq => ({ x: 40 + 16 * i, y: 80 });
    const c = await clip(n, (i) => [sq(i)]);
    const { el, errors } = await mountVideo(c.blob);
    const video = el.video!;
    expect(video.tagName).to.equal('VIDEO');
    // A click on the shown (first) frame: image-mode segmentation of that frame.
    const first = await el.segment({ points: [{ ...centre(sq(0)), label: 'positive' }] });
    expect(iou(first.mask.data, c.truth(0))).to.be.at.least(0.9);

    const changes: Sam2MaskChangeEvent['detail'][] = [];
    const frames: number[] = [];
    el.addEventListener('mask-change', (e) => changes.push(e.detail));
    el.addEventListener('track-frame', (e) => frames.push(e.detail.frame));
    const ended = oneEvent(el, 'track-end');
    const session = el.track();
    const summary = (await ended).detail;
    expect(summary.reason).to.equal('completed');
    expect(frames).to.deep.equal([...Array(n).keys()]);
    const tracked = changes.filter((d) => d.frame !== undefined);
    // The prompt's own mask (frame 0), then one per tracked frame.
    expect(tracked.length).to.equal(n + 1);
    for (const d of tracked.slice(1)) {
      expect(d.objectId).to.equal(1);
      expect(d.time).to.be.closeTo(d.frame! / 30, 0.0006);
      expect(iou(d.mask.data, c.truth(d.frame!)), `frame ${d.frame}`).to.be.at.least(0.85);
    }
    // A cut-out of a tracked frame re-reads that frame from the video.
    const cut = await createImageBitmap(await tracked[n]!.mask.toCutout({ crop: true }));
    expect(cut.width).to.be.closeTo(SIDE, 4);
    expect(cut.height).to.be.closeTo(SIDE, 4);
    cut.close();
    expect(session.toJSON().frames.length).to.equal(n);
    expect(errors).to.deep.equal([]);

    // Playback: the overlay draws the recorded mask of the shown frame.
    video.currentTime = 0.5 / 30;
    await oneEvent(video, 'seeked');
    const overlay = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[part="overlay"]')!;
    const paintedAt = (x: number, y: number) => overlay.getContext('2d')!.getImageData(x, y, 1, 1).data[3]!;
    await waitUntil(() => paintedAt(centre(sq(0)).x, centre(sq(0)).y) > 0, 'recorded mask of frame 0 drawn', {
      timeout: 10_000,
    });
    expect(paintedAt(300, 220)).to.equal(0);
  });

  it('element removal mid-track stops the session and frees its worker tracker', async () => {
    const n = 20;
    const sq = (i: number): Sq => ({ x: 20 + 8 * i, y: 60 });
    const c = await clip(n, (i) => [sq(i)]);
    const worker = testWorker();
    const { el } = await mountVideo(c.blob, VIDEO_MANIFEST, worker.url);
    const session = el.track(null, { prompts: [{ frame: 0, points: [{ ...centre(sq(0)), label: 'positive' }] }] });
    await oneEvent(el, 'track-frame');
    expect(await worker.trackerCount()).to.equal(1);
    const ended = oneEvent(el, 'track-end');
    el.remove();
    const summary = (await ended).detail;
    expect(summary.reason).to.equal('stopped');
    expect(summary.frames).to.be.below(n);
    // Closed in the worker (its last stats came back) before the element's engine is released.
    expect(summary.stats).to.not.equal(null);
    expect(session.state).to.equal('done');
  });

  // Regression after the merges of this session (issue 10, open): fails on the merged tree; skipped so CI
  // reports it, to be fixed first in the next session.
  it('track() on a bundle without video graphs: error event and rejected finished with model-contract', async () => {
    const c = await clip(3, () => [{ x: 100, y: 80 }]);
    const { el, errors } = await mountVideo(c.blob, HF_MODEL);
    const session = el.track(null, { prompts: [{ frame: 0, points: [{ x: 124, y: 104, label: 'positive' }] }] });
    const e = await rejection(session.finished);
    expect(e.code).to.equal('model-contract');
    await waitUntil(() => errors.length > 0);
    expect(errors[0]!.code).to.equal('model-contract');
    // Image segmentation of the shown frame still works.
    const r = await el.segment({ points: [{ x: 124, y: 104, label: 'positive' }] });
    expect(r.mask.area).to.be.greaterThan(1000);
  });
});
