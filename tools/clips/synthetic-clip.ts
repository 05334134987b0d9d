// Synthetic video clips made in the browser: each frame is drawn on a canvas, encoded with WebCodecs (every
// frame a keyframe, near-lossless so flat colours stay flat) and muxed into WebM with a cue per frame
// (./webm.ts), so a <video> seeks to any frame exactly. Tests use them as per-frame ground truth; the demo for
// its sample clip. Works in headless Chromium without a GPU (libvpx software encoders).
import { muxWebm, type EncodedFrame, type WebmColour } from './webm.js';

export type ClipContext = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

export interface ClipOptions {
  width: number;
  height: number;
  /** Frames per second (default 30): frame i has timestamp i / fps and is shown until (i + 1) / fps. */
  fps?: number;
  frames: number;
  /** Restrict to one codec (default: the best this browser accepts, VP9 first). */
  codec?: 'vp9' | 'vp8';
  /** Paints frame `frame`. The canvas is reset to opaque black before each call. */
  draw(ctx: ClipContext, frame: number): void;
}

export interface Clip {
  blob: Blob;
  fps: number;
  frames: number;
  width: number;
  height: number;
  /** WebCodecs codec string used, e.g. 'vp09.00.10.08'. */
  codec: string;
  /** Middle of frame i in seconds: the safest `currentTime` to seek to for exactly that frame. */
  seekTime(frame: number): number;
  /** An object URL for the blob, created on first call and reused; `revokeUrl()` releases it. */
  url(): string;
  revokeUrl(): void;
}

// TypeScript 5.9's DOM lib has only the `avc` per-frame options; Chromium also reads `vp9` (and `av1`).
type EncodeOptions = VideoEncoderEncodeOptions & { vp9?: { quantizer?: number } };

interface Candidate {
  codecId: 'V_VP8' | 'V_VP9';
  config: VideoEncoderConfig;
  options: EncodeOptions;
}

// Best first. VP9 in quantizer mode at a low quantizer (0-63 scale) is near-lossless regardless of content;
// Chromium 156 does not accept quantizer mode for VP8, so the fallbacks ask for a bitrate far above what the
// content needs (3.5 bits per pixel per frame: 8 Mbps at 320x240, 30 fps) instead.
function candidates(width: number, height: number, fps: number): Candidate[] {
  const base = { width, height, framerate: fps, latencyMode: 'quality' as const };
  const bitrate = Math.max(2e6, Math.round(width * height * fps * 3.5));
  const key = { keyFrame: true };
  return [
    {
      codecId: 'V_VP9',
      config: { ...base, codec: 'vp09.00.10.08', bitrateMode: 'quantizer' },
      options: { ...key, vp9: { quantizer: 4 } },
    },
    { codecId: 'V_VP9', config: { ...base, codec: 'vp09.00.10.08', bitrate, bitrateMode: 'variable' }, options: key },
    { codecId: 'V_VP8', config: { ...base, codec: 'vp8', bitrate, bitrateMode: 'variable' }, options: key },
  ];
}

async function pickEncoder(width: number, height: number, fps: number, only?: 'vp9' | 'vp8'): Promise<Candidate> {
  const wanted = only === undefined ? null : only === 'vp9' ? 'V_VP9' : 'V_VP8';
  for (const c of candidates(width, height, fps)) {
    if (wanted !== null && c.codecId !== wanted) continue;
    const support = await VideoEncoder.isConfigSupported(c.config).catch(() => null);
    if (support?.supported) return c;
  }
  throw new Error(`no ${only ?? 'VP8/VP9'} VideoEncoder for ${width}x${height} in this browser`);
}

function canvasFor(width: number, height: number): { source: OffscreenCanvas | HTMLCanvasElement; ctx: ClipContext } {
  // alpha: false: an opaque canvas encodes the same whatever the encoder does with alpha.
  if (typeof OffscreenCanvas !== 'undefined') {
    const source = new OffscreenCanvas(width, height);
    const ctx = source.getContext('2d', { alpha: false });
    if (ctx) return { source, ctx };
  }
  const source = document.createElement('canvas');
  source.width = width;
  source.height = height;
  const ctx = source.getContext('2d', { alpha: false });
  if (!ctx) throw new Error('no 2D canvas context');
  return { source, ctx };
}

// WebCodecs colour-space names to H.273 code points (the subset browsers report).
const MATRIX: Record<string, number> = { rgb: 0, bt709: 1, bt470bg: 5, smpte170m: 6, 'bt2020-ncl': 9 };
const TRANSFER: Record<string, number> = { bt709: 1, smpte170m: 6, linear: 8, 'iec61966-2-1': 13, pq: 16, hlg: 18 };
const PRIMARIES: Record<string, number> = { bt709: 1, bt470bg: 5, smpte170m: 6, bt2020: 9, smpte432: 12 };

function colourOf(cs: VideoColorSpaceInit | undefined): WebmColour | undefined {
  if (!cs) return undefined;
  const colour: WebmColour = {};
  if (cs.matrix && cs.matrix in MATRIX) colour.matrix = MATRIX[cs.matrix];
  if (typeof cs.fullRange === 'boolean') colour.fullRange = cs.fullRange;
  if (cs.transfer && cs.transfer in TRANSFER) colour.transfer = TRANSFER[cs.transfer];
  if (cs.primaries && cs.primaries in PRIMARIES) colour.primaries = PRIMARIES[cs.primaries];
  return Object.keys(colour).length > 0 ? colour : undefined;
}

/** Renders, encodes and muxes a clip. */
export async function makeClip(options: ClipOptions): Promise<Clip> {
  const { width, height, frames } = options;
  const fps = options.fps ?? 30;
  if (!(Number.isInteger(frames) && frames > 0)) throw new RangeError(`frames must be a positive integer, got ${frames}`);
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  const frameUs = 1e6 / fps;
  const chosen = await pickEncoder(width, height, fps, options.codec);

  const chunks: EncodedFrame[] = [];
  let failure: unknown = null;
  // The encoder's RGB->YUV conversion (Chromium: BT.709, full range), written into the file for the decoder.
  let colorSpace: VideoColorSpaceInit | undefined;
  const encoder = new VideoEncoder({
    output: (chunk, metadata) => {
      colorSpace ??= metadata?.decoderConfig?.colorSpace;
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      chunks.push({ data, timestampUs: chunk.timestamp, keyframe: chunk.type === 'key' });
    },
    error: (e) => {
      failure = e;
    },
  });
  try {
    encoder.configure(chosen.config);
    const { source, ctx } = canvasFor(width, height);
    for (let i = 0; i < frames && failure === null; i++) {
      ctx.clearRect(0, 0, width, height);
      ctx.save();
      options.draw(ctx, i);
      ctx.restore(); // a draw() that changes transforms or clips must not affect the next frame
      const frame = new VideoFrame(source, { timestamp: Math.round(i * frameUs), duration: Math.round(frameUs) });
      try {
        encoder.encode(frame, chosen.options);
      } finally {
        frame.close();
      }
      // Backpressure: raw frames queue up in the encoder otherwise (width*height*4 bytes each).
      while (encoder.encodeQueueSize > 4 && failure === null) {
        await new Promise<void>((resolve) => encoder.addEventListener('dequeue', () => resolve(), { once: true }));
      }
    }
    await encoder.flush().catch((e: unknown) => {
      failure ??= e;
    });
  } finally {
    if (encoder.state !== 'closed') encoder.close();
  }
  if (failure !== null) throw failure;
  if (chunks.length !== frames) throw new Error(`encoder returned ${chunks.length} chunks for ${frames} frames`);

  const bytes = muxWebm({ width, height, codecId: chosen.codecId, fps, colour: colourOf(colorSpace) }, chunks);
  const blob = new Blob([bytes], { type: 'video/webm' });
  let objectUrl: string | null = null;
  return {
    blob,
    fps,
    frames,
    width,
    height,
    codec: chosen.config.codec,
    seekTime: (frame) => (frame + 0.5) / fps,
    url() {
      objectUrl ??= URL.createObjectURL(blob);
      return objectUrl;
    },
    revokeUrl() {
      if (objectUrl !== null) URL.revokeObjectURL(objectUrl);
      objectUrl = null;
    },
  };
}
