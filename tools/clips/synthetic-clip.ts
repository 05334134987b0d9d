// Synthetic video clips made in the browser: each frame is drawn on a canvas, encoded with WebCodecs (near-lossless,
// so flat colours stay flat) and muxed with mediabunny into WebM (VP8/VP9) or MP4 (H.264/AV1). Tests use them as
// per-frame ground truth; the demo for its sample clip. Frames are placed at exact timestamps: a constant rate
// (15, 24, 25, 30000/1001, 60, ...) or an explicit list (variable frame rate). The output is deterministic: the same
// options give the same bytes (software encoders, fixed settings, no wall-clock metadata).
import {
  BufferTarget,
  EncodedPacket,
  EncodedVideoPacketSource,
  Mp4OutputFormat,
  Output,
  WebMOutputFormat,
} from 'mediabunny';

export type ClipContext = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

export type ClipCodec = 'vp9' | 'vp8' | 'avc' | 'av1';

export interface ClipOptions {
  width: number;
  height: number;
  /** Frames per second (default 30): frame i starts at i / fps. A fraction is fine (30000 / 1001). */
  fps?: number;
  /** Explicit start time of every frame in seconds, ascending (a variable-rate clip); overrides fps and frames. */
  timestamps?: number[];
  frames: number;
  /** Codec (default: VP9, else VP8). `avc` and `av1` imply MP4. */
  codec?: ClipCodec;
  /** Container (default: WebM for VP8/VP9, MP4 for H.264/AV1). */
  container?: 'webm' | 'mp4';
  /** Keyframe every n frames (default 1: every frame, so a `<video>` seeks to any frame exactly). */
  keyInterval?: number;
  /** Paints frame `frame`. The canvas is reset to opaque black before each call. */
  draw(ctx: ClipContext, frame: number): void;
}

export interface Clip {
  blob: Blob;
  /** Average frames per second (frames / duration). */
  fps: number;
  frames: number;
  width: number;
  height: number;
  /** WebCodecs codec string used, e.g. 'vp09.00.10.08'. */
  codec: string;
  container: 'webm' | 'mp4';
  /** Start time of each frame in seconds, as written. */
  timestamps: number[];
  /** Seconds from the first frame's start to the last frame's end. */
  duration: number;
  /** Middle of frame i in seconds: the safest `currentTime` to seek to for exactly that frame. */
  seekTime(frame: number): number;
  /** An object URL for the blob, created on first call and reused; `revokeUrl()` releases it. */
  url(): string;
  revokeUrl(): void;
}

// TypeScript 5.9's DOM lib has only the `avc` per-frame options; Chromium also reads `vp9` and `av1`.
type EncodeOptions = VideoEncoderEncodeOptions & {
  vp9?: { quantizer?: number };
  av1?: { quantizer?: number };
  avc?: { quantizer?: number };
};

interface Candidate {
  codec: ClipCodec;
  config: VideoEncoderConfig;
  options: EncodeOptions;
}

// Best first per codec. Quantizer mode at a low quantizer is near-lossless whatever the content; where a codec does not
// take quantizer mode, a bitrate far above what the content needs (3.5 bits per pixel per frame).
function candidates(width: number, height: number, fps: number): Candidate[] {
  const base = { width, height, framerate: fps, latencyMode: 'quality' as const };
  const bitrate = Math.max(2e6, Math.round(width * height * fps * 3.5));
  const q = { bitrateMode: 'quantizer' as const };
  return [
    { codec: 'vp9', config: { ...base, codec: 'vp09.00.10.08', ...q }, options: { vp9: { quantizer: 4 } } },
    { codec: 'vp9', config: { ...base, codec: 'vp09.00.10.08', bitrate, bitrateMode: 'variable' }, options: {} },
    { codec: 'vp8', config: { ...base, codec: 'vp8', bitrate, bitrateMode: 'variable' }, options: {} },
    {
      codec: 'avc',
      config: { ...base, codec: 'avc1.42001f', ...q, avc: { format: 'avc' } },
      options: { avc: { quantizer: 12 } },
    },
    { codec: 'avc', config: { ...base, codec: 'avc1.42001f', bitrate, avc: { format: 'avc' } }, options: {} },
    { codec: 'av1', config: { ...base, codec: 'av01.0.04M.08', ...q }, options: { av1: { quantizer: 4 } } },
    { codec: 'av1', config: { ...base, codec: 'av01.0.04M.08', bitrate }, options: {} },
  ];
}

/** Whether this browser can encode `codec` at this size (tests pick H.264 where it can, else AV1). */
export async function canEncode(codec: ClipCodec, width = 64, height = 64): Promise<boolean> {
  for (const c of candidates(width, height, 30)) {
    if (c.codec !== codec) continue;
    const s = await VideoEncoder.isConfigSupported(c.config).catch(() => null);
    if (s?.supported) return true;
  }
  return false;
}

async function pickEncoder(width: number, height: number, fps: number, only?: ClipCodec): Promise<Candidate> {
  for (const c of candidates(width, height, fps)) {
    if (only !== undefined ? c.codec !== only : c.codec !== 'vp9' && c.codec !== 'vp8') continue;
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

/** Renders, encodes and muxes a clip. */
export async function makeClip(options: ClipOptions): Promise<Clip> {
  const { width, height } = options;
  const fps0 = options.fps ?? 30;
  if (!(fps0 > 0)) throw new RangeError(`fps must be positive, got ${fps0}`);
  const starts = options.timestamps ?? Array.from({ length: options.frames }, (_, i) => i / fps0);
  const frames = starts.length;
  if (!(Number.isInteger(frames) && frames > 0))
    throw new RangeError(`frames must be a positive integer, got ${frames}`);
  for (let i = 1; i < frames; i++) if (!(starts[i]! > starts[i - 1]!)) throw new RangeError('timestamps must increase');
  // The last frame lasts as long as the one before it (or 1/fps).
  const lastDur = frames > 1 ? starts[frames - 1]! - starts[frames - 2]! : 1 / fps0;
  const duration = starts[frames - 1]! + lastDur - starts[0]!;
  const avgFps = frames / duration;
  const chosen = await pickEncoder(width, height, avgFps, options.codec);
  const container = options.container ?? (chosen.codec === 'vp8' || chosen.codec === 'vp9' ? 'webm' : 'mp4');
  const keyInterval = options.keyInterval ?? 1;

  const target = new BufferTarget();
  const output = new Output({ format: container === 'webm' ? new WebMOutputFormat() : new Mp4OutputFormat(), target });
  const track = new EncodedVideoPacketSource(chosen.codec);
  output.addVideoTrack(track, options.timestamps ? {} : { frameRate: fps0 });
  await output.start();

  let failure: unknown = null;
  let muxing: Promise<void> = Promise.resolve();
  let emitted = 0;
  const encoder = new VideoEncoder({
    output: (chunk, metadata) => {
      emitted++;
      const packet = EncodedPacket.fromEncodedChunk(chunk);
      muxing = muxing
        .then(() => track.add(packet, metadata))
        .catch((e: unknown) => {
          failure ??= e;
        });
    },
    error: (e) => {
      failure ??= e;
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
      const t = Math.round(starts[i]! * 1e6);
      const next = i + 1 < frames ? Math.round(starts[i + 1]! * 1e6) : t + Math.round(lastDur * 1e6);
      const frame = new VideoFrame(source, { timestamp: t, duration: next - t });
      try {
        encoder.encode(frame, { ...chosen.options, keyFrame: i % keyInterval === 0 });
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
    await muxing;
  } finally {
    if (encoder.state !== 'closed') encoder.close();
  }
  if (failure !== null) throw failure;
  if (emitted !== frames) throw new Error(`encoder returned ${emitted} chunks for ${frames} frames`);
  track.close();
  await output.finalize();

  const blob = new Blob([target.buffer!], { type: container === 'webm' ? 'video/webm' : 'video/mp4' });
  let objectUrl: string | null = null;
  return {
    blob,
    fps: options.timestamps ? avgFps : fps0,
    frames,
    width,
    height,
    codec: chosen.config.codec,
    container,
    timestamps: starts,
    duration,
    seekTime: (frame) => {
      const t = starts[frame]!;
      const next = frame + 1 < frames ? starts[frame + 1]! : t + lastDur;
      return (t + next) / 2;
    },
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
