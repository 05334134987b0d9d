// Complete-mode tracking reads a clip's own frames, whatever its rate: clips at 15, 24, 25, 29.97, 60 fps and at a
// variable rate, in WebM (VP8, VP9) and MP4 (H.264 where this Chromium encodes it, else AV1), generated in the test.
// No `fps` is passed anywhere: the tracked frame count must equal the container's, each frame's time must be its
// container timestamp, each mask must line up with the square drawn on that frame, and frames where the square is
// hidden must be empty. A clip the worker cannot demux (MSE) takes the element path with the same frame count.
// Exports are decoded back with mediabunny and compared to the tracked masks.

import { expect } from '@open-wc/testing';
import { ALL_FORMATS, BlobSource, EncodedPacketSink, Input } from 'mediabunny';
import { WASM_PATHS } from './helpers/element-input.js';
import { testBackend } from './helpers/backend.js';
import { drawScene, iou, RED } from './helpers/scenes.js';
import { createSegmenter, type Segmenter } from '../../src/client/segmenter.js';
import { testWorker, type WorkerHooks } from './helpers/test-worker.js';
import { decodeRle } from '../../src/shared/rle.js';
import { trackVideo, type TrackingSession } from '../../src/client/tracking-session.js';
import { canEncode, makeClip, type Clip, type ClipCodec } from '../../tools/clips/synthetic-clip.js';

const backend = testBackend();
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const W = 320;
const H = 240;
const SIDE = 48;
const FRAMES = 10;
/** The square is behind the grey bar on these frames. */
const HIDDEN = new Set([6]);
const BAR = { x: 0, y: 80, w: W, h: 90 };
const sq = (i: number) => ({ x: 30 + 14 * i, y: 96 });

function frameScene(i: number) {
  const shapes = [{ kind: 'rect' as const, ...sq(i), w: SIDE, h: SIDE, color: RED }];
  if (HIDDEN.has(i)) shapes.push({ kind: 'rect' as const, ...BAR, color: '#8a8a8a' } as never);
  return drawScene(W, H, '#fafafa', shapes);
}
const truth = (i: number) => frameScene(i).truth(0);

const itWasm = backend === 'wasm' ? it : it.skip;

const hooks = new WeakMap<Segmenter, WorkerHooks>();
function segmenter(): Segmenter {
  const worker = testWorker();
  const seg = createSegmenter({ model: VIDEO_MANIFEST, device: backend, wasmPaths: WASM_PATHS, workerUrl: worker.url });
  hooks.set(seg, worker);
  return seg;
}

function clipOf(codec: ClipCodec, rate: { fps: number } | { timestamps: number[] }): Promise<Clip> {
  return makeClip({
    width: W,
    height: H,
    frames: FRAMES,
    codec,
    ...rate,
    draw: (ctx, i) => ctx.drawImage(frameScene(i).canvas, 0, 0),
  });
}

const prompt = {
  frame: 0,
  objectId: 1,
  points: [{ x: sq(0).x + SIDE / 2, y: sq(0).y + SIDE / 2, label: 'positive' as const }],
};

interface Tracked {
  frames: number[];
  times: number[];
  worst: number;
  session: TrackingSession;
}

/** Tracks `source` in complete mode without fps; checks every frame against the drawn truth. */
async function trackAll(seg: Segmenter, source: Blob | HTMLVideoElement, label: string): Promise<Tracked> {
  const session = trackVideo(seg, source, { mode: 'complete', prompts: [prompt] });
  const frames: number[] = [];
  const times: number[] = [];
  let worst = 1;
  for await (const f of session) {
    frames.push(f.frame);
    times.push(f.time);
    const o = f.objects[0]!;
    if (HIDDEN.has(f.frame)) {
      expect(o.present, `${label} frame ${f.frame} hidden`).to.equal(false);
      expect(o.mask.area, `${label} frame ${f.frame} hidden`).to.equal(0);
    } else {
      const s = iou(o.mask.data, truth(f.frame));
      worst = Math.min(worst, s);
      expect(s, `${label} frame ${f.frame}`).to.be.at.least(0.85);
    }
  }
  return { frames, times, worst, session };
}

describe(`complete mode reads the clip's own frames (${backend})`, function () {
  this.timeout(600_000);
  let seg: Segmenter;
  before(() => {
    seg = segmenter();
  });
  after(() => seg.dispose());

  const mp4Codec = async (): Promise<ClipCodec> => ((await canEncode('avc', W, H)) ? 'avc' : 'av1');
  // A variable rate: frame durations of 40, 20, 70, 33, 50 ... ms.
  const vfr = [0, 0.04, 0.06, 0.13, 0.163, 0.213, 0.25, 0.31, 0.33, 0.4];
  const cases: { name: string; codec: () => Promise<ClipCodec>; rate: { fps: number } | { timestamps: number[] } }[] = [
    { name: 'WebM VP9 15 fps', codec: async () => 'vp9', rate: { fps: 15 } },
    { name: 'WebM VP8 24 fps', codec: async () => 'vp8', rate: { fps: 24 } },
    { name: 'WebM VP9 25 fps', codec: async () => 'vp9', rate: { fps: 25 } },
    { name: 'WebM VP9 29.97 fps', codec: async () => 'vp9', rate: { fps: 30000 / 1001 } },
    { name: 'WebM VP8 60 fps', codec: async () => 'vp8', rate: { fps: 60 } },
    { name: 'WebM VP9 variable rate', codec: async () => 'vp9', rate: { timestamps: vfr } },
    { name: 'MP4 29.97 fps', codec: mp4Codec, rate: { fps: 30000 / 1001 } },
    { name: 'MP4 variable rate', codec: mp4Codec, rate: { timestamps: vfr } },
  ];
  const results: string[] = [];
  after(() => console.log(`[video-source ${backend}]\n${results.join('\n')}`));

  for (const c of cases) {
    itWasm(`${c.name}: one tracked frame per container frame, at its own timestamp`, async () => {
      const codec = await c.codec();
      const clip = await clipOf(codec, c.rate);
      const t = await trackAll(seg, clip.blob, c.name);
      const summary = await t.session.finished;
      expect(summary.source).to.equal('demux');
      expect(summary.clip!.frameCount).to.equal(clip.frames);
      expect(summary.frames).to.equal(clip.frames);
      expect(t.frames).to.deep.equal([...Array(clip.frames).keys()]);
      // WebM stores whole milliseconds; MP4 a finer timescale.
      t.times.forEach((time, i) => expect(time, `time of frame ${i}`).to.be.closeTo(clip.timestamps[i]!, 0.0006));
      // WebM need not store the last frame's duration: the clip then ends where its last frame starts.
      const last = clip.timestamps[clip.frames - 1]!;
      expect(summary.clip!.duration).to.be.within(last - 0.001, clip.duration + 0.001);
      expect(summary.clip!.fps).to.be.closeTo(clip.frames / summary.clip!.duration, 1e-9);
      results.push(
        `  ${c.name} (${clip.codec}, ${clip.container}): container ${clip.frames} frames, tracked ${summary.frames}, worst IoU ${t.worst.toFixed(3)}, ${summary.fps.toFixed(1)} frames/s`,
      );
    });
  }

  itWasm(
    'a clip the worker cannot demux (MSE) takes the element path with the right frame count and times',
    async () => {
      const clip = await clipOf('vp9', { fps: 15 });
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const ms = new MediaSource();
      video.src = URL.createObjectURL(ms);
      await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
      const sb = ms.addSourceBuffer('video/webm; codecs="vp9"');
      sb.appendBuffer(await clip.blob.arrayBuffer());
      await new Promise((r) => sb.addEventListener('updateend', r, { once: true }));
      ms.endOfStream();
      if (video.readyState < 2) await new Promise((r) => video.addEventListener('loadeddata', r, { once: true }));
      try {
        const t = await trackAll(seg, video, 'MSE');
        const summary = await t.session.finished;
        expect(summary.source).to.equal('element');
        expect(summary.clip!.frameCount).to.equal(clip.frames);
        expect(t.frames).to.deep.equal([...Array(clip.frames).keys()]);
        t.times.forEach((time, i) => expect(time, `time of frame ${i}`).to.be.closeTo(clip.timestamps[i]!, 0.0006));
        results.push(
          `  MSE WebM VP9 15 fps (element path): container ${clip.frames} frames, tracked ${summary.frames}, worst IoU ${t.worst.toFixed(3)}, ${summary.fps.toFixed(1)} frames/s`,
        );
      } finally {
        video.remove();
      }
    },
  );

  itWasm('a URL source is read in the worker; an unreadable one falls back to the element and says so', async () => {
    const clip = await clipOf('vp9', { fps: 25 });
    const url = URL.createObjectURL(clip.blob);
    try {
      const t = await trackAll(seg, url as unknown as Blob, 'blob URL');
      expect((await t.session.finished).source).to.equal('demux');
    } finally {
      URL.revokeObjectURL(url);
    }
    expect(await hooks.get(seg)!.trackerCount()).to.equal(0);
  });
});

/** Decodes the alpha stream of a WebM cut-out: one 0/1 mask per frame (alpha > 127), and the frame timestamps. */
async function decodeAlpha(blob: Blob): Promise<{ masks: Uint8Array[]; times: number[]; colourFrames: number }> {
  const input = new Input({ formats: ALL_FORMATS, source: new BlobSource(blob) });
  const track = (await input.getPrimaryVideoTrack())!;
  const config = (await track.getDecoderConfig())!;
  const masks: Uint8Array[] = [];
  const times: number[] = [];
  let colourFrames = 0;
  const pending: Promise<void>[] = [];
  const take = (f: VideoFrame, into: (y: Uint8Array, stride: number) => void): void => {
    const y = new Uint8Array(f.allocationSize());
    pending.push(
      f.copyTo(y).then((layout) => {
        into(y, layout[0]!.stride);
        f.close();
      }),
    );
  };
  const alpha = new VideoDecoder({
    output: (f) =>
      take(f, (y, stride) => {
        const m = new Uint8Array(W * H);
        for (let r = 0; r < H; r++) for (let x = 0; x < W; x++) m[r * W + x] = y[r * stride + x]! > 127 ? 1 : 0;
        masks.push(m);
      }),
    error: (e) => {
      throw e;
    },
  });
  const colour = new VideoDecoder({
    output: (f) => {
      colourFrames++;
      times.push(f.timestamp / 1e6);
      f.close();
    },
    error: (e) => {
      throw e;
    },
  });
  alpha.configure(config);
  colour.configure(config);
  for await (const p of new EncodedPacketSink(track).packets()) {
    colour.decode(p.toEncodedVideoChunk());
    expect(p.sideData.alpha, `alpha of the packet at ${p.timestamp}`).to.be.instanceOf(Uint8Array);
    alpha.decode(p.alphaToEncodedVideoChunk());
  }
  await colour.flush();
  await alpha.flush();
  await Promise.all(pending);
  input.dispose();
  return { masks, times, colourFrames };
}

describe(`exportVideo (${backend})`, function () {
  this.timeout(600_000);
  let seg: Segmenter;
  before(() => {
    seg = segmenter();
  });
  after(() => seg.dispose());

  itWasm(
    'cutout: a WebM whose alpha matches every tracked mask (IoU >= 0.95), same frames and timestamps; matte and overlay too',
    async () => {
      const clip = await clipOf('vp9', { fps: 30000 / 1001 });
      const t = await trackAll(seg, clip.blob, 'export source');
      await t.session.finished;
      const progress: number[] = [];
      const cutout = await t.session.exportVideo({ kind: 'cutout', onProgress: (p) => progress.push(p.frames) });
      expect(cutout.type).to.equal('video/webm');
      expect(progress.at(-1)).to.equal(clip.frames);
      const back = await decodeAlpha(cutout);
      expect(back.colourFrames).to.equal(clip.frames);
      expect(back.masks.length).to.equal(clip.frames);
      back.times.forEach((time, i) => expect(time, `time of frame ${i}`).to.be.closeTo(clip.timestamps[i]!, 0.0006));
      const json = t.session.toJSON();
      let worst = 1;
      for (const f of json.frames) {
        const tracked = decodeRle(f.objects[0]!.segmentation);
        const alpha = back.masks[f.frame]!;
        if (f.objects[0]!.area === 0) {
          expect(
            alpha.reduce((a, b) => a + b, 0),
            `frame ${f.frame} alpha is empty`,
          ).to.equal(0);
          continue;
        }
        const s = iou(alpha, tracked);
        worst = Math.min(worst, s);
        expect(s, `alpha of frame ${f.frame}`).to.be.at.least(0.95);
      }
      for (const kind of ['matte', 'overlay'] as const) {
        const blob = await t.session.exportVideo({ kind });
        const input = new Input({ formats: ALL_FORMATS, source: new BlobSource(blob) });
        const stats = await (await input.getPrimaryVideoTrack())!.computePacketStats();
        expect(stats.packetCount, kind).to.equal(clip.frames);
        input.dispose();
      }
      console.log(
        `[export ${backend}] cutout ${cutout.size} bytes, ${back.masks.length} frames, worst alpha IoU ${worst.toFixed(3)}`,
      );
    },
  );

  itWasm('an aborted export rejects with aborted; an element-path session cannot export', async () => {
    const clip = await clipOf('vp8', { fps: 24 });
    const t = await trackAll(seg, clip.blob, 'abort source');
    await t.session.finished;
    const abort = new AbortController();
    const p = t.session.exportVideo({ kind: 'matte', signal: abort.signal, onProgress: () => abort.abort() });
    const e = await p.then(
      () => null,
      (x: unknown) => x as { code?: string },
    );
    expect(e?.code).to.equal('aborted');
    // The worker is still usable.
    const again = await t.session.exportVideo({ kind: 'matte' });
    expect(again.size).to.be.greaterThan(0);
  });
});
