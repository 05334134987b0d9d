// tools/clips: synthetic clips made in the browser (WebCodecs + mediabunny's muxers) must play in a real
// <video> and seek frame-exactly, with flat colours intact, since tracker tests compare against per-frame ground
// truth. Checked on decoded pixels. Independent of the ML backend, so it runs in the wasm group only.
import { expect } from '@open-wc/testing';
import { testBackend } from './helpers/backend.js';
import { RED } from './helpers/scenes.js';
import { makeClip, type Clip } from '../../tools/clips/synthetic-clip.js';

const W = 320;
const H = 240;
const FPS = 30;
const FRAMES = 60;
const SIDE = 40;
const TOP = 100;
const RGB_RED: [number, number, number] = [0xd8, 0x1e, 0x1e];
const TOLERANCE = 12;

/** The square's left edge in frame i: 4 px per frame, so an off-by-one frame is 4 px off. */
const squareX = (i: number) => 10 + 4 * i;

function draw(ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D, i: number): void {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = RED;
  ctx.fillRect(squareX(i), TOP, SIDE, SIDE);
}

function once(target: EventTarget, type: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(
      type,
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

async function loadVideo(url: string): Promise<HTMLVideoElement> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  document.body.append(video); // rVFC only fires for a video that is rendered
  const loaded = Promise.race([
    once(video, 'loadeddata'),
    once(video, 'error').then(() => {
      throw new Error(`video error ${video.error?.code}: ${video.error?.message}`);
    }),
  ]);
  video.src = url;
  await loaded;
  return video;
}

/** Seeks and resolves once the frame at `time` has been presented; returns the presented frame's mediaTime. */
async function seek(video: HTMLVideoElement, time: number): Promise<number> {
  const presented = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no frame presented after seeking to ${time} s`)), 10_000);
    video.requestVideoFrameCallback((_now, meta) => {
      clearTimeout(timer);
      resolve(meta.mediaTime);
    });
  });
  const seeked = once(video, 'seeked');
  video.currentTime = time;
  await seeked;
  return presented;
}

function pixels(video: HTMLVideoElement): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(video, 0, 0, W, H);
  return ctx.getImageData(0, 0, W, H);
}

function rgbAt(img: ImageData, x: number, y: number): [number, number, number] {
  const k = (y * img.width + x) * 4;
  return [img.data[k]!, img.data[k + 1]!, img.data[k + 2]!];
}

/** First column on row y whose green channel falls below the white/red midpoint: the square's left edge. */
function leftEdge(img: ImageData, y: number): number {
  const threshold = (255 + RGB_RED[1]) / 2;
  for (let x = 0; x < img.width; x++) if (rgbAt(img, x, y)[1] < threshold) return x;
  return -1;
}

function expectColour(actual: [number, number, number], expected: [number, number, number], what: string): void {
  const worst = Math.max(...actual.map((v, c) => Math.abs(v - expected[c]!)));
  expect(worst, `${what}: rgb(${actual.join(',')}) vs rgb(${expected.join(',')})`).to.be.at.most(TOLERANCE);
}

const suite = testBackend() === 'webgpu' ? describe.skip : describe;

// VP9 is what makeClip picks in Chromium; VP8 is its fallback, and unlike VP9 it depends on the WebM Colour
// element for correct colours (VP8 bitstreams carry no colour space).

for (const codec of ['vp9', 'vp8'] as const) {
  suite(`synthetic clips (tools/clips, ${codec})`, function () {
    this.timeout(120_000);
    let clip: Clip;
    let video: HTMLVideoElement;

    before(async () => {
      const t0 = performance.now();
      clip = await makeClip({ width: W, height: H, fps: FPS, frames: FRAMES, draw, codec });
      const ms = performance.now() - t0;
      console.log(`makeClip ${W}x${H}x${FRAMES} (${clip.codec}): ${ms.toFixed(0)} ms, ${clip.blob.size} bytes`);
      video = await loadVideo(clip.url());
    });

    after(() => {
      video?.remove();
      clip?.revokeUrl();
    });

    it('is a WebM file with the requested shape', async () => {
      expect(clip.blob.type).to.equal('video/webm');
      const head = new Uint8Array(await clip.blob.slice(0, 4).arrayBuffer());
      expect([...head]).to.deep.equal([0x1a, 0x45, 0xdf, 0xa3]);
      expect([clip.width, clip.height, clip.fps, clip.frames]).to.deep.equal([W, H, FPS, FRAMES]);
      expect(clip.codec).to.match(codec === 'vp9' ? /^vp09\./ : /^vp8$/);
      expect([video.videoWidth, video.videoHeight]).to.deep.equal([W, H]);
    });

    it('has the duration of its frames', () => {
      expect(video.duration).to.be.closeTo(FRAMES / FPS, 1 / FPS);
    });

    it('seeks frame-exactly, in any order, with flat colours intact', async () => {
      const y = TOP + SIDE / 2;
      for (const i of [30, 0, 59, 17, 1]) {
        const mediaTime = await seek(video, clip.seekTime(i));
        // WebM stores times in whole ms: frame i is at round(i * 1000 / fps) ms, up to 0.5 ms from i / fps.
        expect(mediaTime, `presented frame's time for a seek to frame ${i}`).to.be.closeTo(i / FPS, 0.0006);
        const img = pixels(video);
        const edge = leftEdge(img, y);
        expect(edge, `left edge in frame ${i}`).to.be.within(squareX(i) - 2, squareX(i) + 2);
        expectColour(rgbAt(img, squareX(i) + SIDE / 2, y), RGB_RED, `inside the square, frame ${i}`);
        expectColour(rgbAt(img, W - 10, 20), [255, 255, 255], `background, frame ${i}`);
      }
    });

    it('shows every frame at its own position when stepped through', async () => {
      const y = TOP + SIDE / 2;
      const edges: number[] = [];
      for (let i = 0; i < FRAMES; i++) {
        await seek(video, clip.seekTime(i));
        edges.push(leftEdge(pixels(video), y));
      }
      const off = edges.map((e, i) => [i, e - squareX(i)] as const).filter(([, d]) => Math.abs(d) > 2);
      expect(off, 'frames whose square is more than 2 px from its drawn position: [frame, dx]').to.deep.equal([]);
    });
  });
}
