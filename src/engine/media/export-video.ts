// Writes a tracked clip back out as video, in the worker: every source frame is decoded again, drawn with its masks,
// encoded with WebCodecs' VideoEncoder and muxed with mediabunny. Each output frame keeps its source frame's
// timestamp and duration, so the export has the source's frame count and timing.
//
// Cut-outs carry alpha the way WebM does (Matroska BlockAdditions: a second VP8/VP9 stream whose luma is the alpha).
// Chromium's VideoEncoder refuses `alpha: 'keep'`, so two encoders run side by side: the colour one on the cut-out
// pixels, the alpha one on an I420 frame whose Y plane is the mask (0 or 255, written directly so no RGB->YUV range
// squeeze turns opaque into 235). mediabunny writes the alpha chunk of each frame as the block's addition.

import {
  BufferTarget,
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  Output,
  WebMOutputFormat,
} from 'mediabunny';
import { Sam2Error, abortedError } from '../../shared/errors.js';
import type { VideoExportProgress, VideoExportRequest } from '../../shared/media-types.js';
import { decodeRle } from '../../shared/rle.js';
import type { ClipReader } from './clip-reader.js';

export interface ExportOptions {
  onProgress?: (p: VideoExportProgress) => void;
  signal?: AbortSignal;
}

/** Frames between forced keyframes (both streams key at the same frames, as WebM alpha needs). */
const KEY_INTERVAL = 60;

interface Codec {
  name: 'vp9' | 'vp8';
  config: VideoEncoderConfig;
  options: VideoEncoderEncodeOptions;
}

// TypeScript's DOM lib lacks Chromium's per-frame VP9 quantizer option.
type Vp9Options = VideoEncoderEncodeOptions & { vp9?: { quantizer?: number } };

async function pickCodec(width: number, height: number, fps: number): Promise<Codec> {
  const base = {
    width,
    height,
    framerate: fps > 0 ? fps : 30,
    latencyMode: 'quality' as const,
    alpha: 'discard' as const,
  };
  const bitrate = Math.max(1e6, Math.round(width * height * (fps || 30) * 0.6));
  const candidates: Codec[] = [
    {
      name: 'vp9',
      config: { ...base, codec: 'vp09.00.10.08', bitrateMode: 'quantizer' },
      options: { vp9: { quantizer: 8 } } as Vp9Options,
    },
    { name: 'vp9', config: { ...base, codec: 'vp09.00.10.08', bitrate }, options: {} },
    { name: 'vp8', config: { ...base, codec: 'vp8', bitrate }, options: {} },
  ];
  for (const c of candidates) {
    const s = await VideoEncoder.isConfigSupported(c.config).catch(() => null);
    if (s?.supported) return c;
  }
  throw new Sam2Error('media-decode', `this browser has no VP8/VP9 VideoEncoder for ${width}x${height}`);
}

/** Union of every object's mask on one frame, 0/1 per pixel (null when the frame has none). */
function unionMask(rles: VideoExportRequest['masks'][number], width: number, height: number): Uint8Array | null {
  if (!rles || rles.length === 0) return null;
  const out = new Uint8Array(width * height);
  const tmp = new Uint8Array(width * height);
  for (const rle of rles) {
    if (rle.size[0] !== height || rle.size[1] !== width)
      throw new Sam2Error('invalid-prompt', `a mask is ${rle.size[1]}x${rle.size[0]}, the clip ${width}x${height}`);
    decodeRle(rle, tmp);
    for (let i = 0; i < tmp.length; i++) out[i] |= tmp[i]!;
  }
  return out;
}

/** An I420 frame whose luma is `mask` × 255 (the alpha stream's picture). */
function alphaFrame(
  mask: Uint8Array | null,
  width: number,
  height: number,
  timestamp: number,
  duration: number | null,
): VideoFrame {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const buf = new Uint8Array(width * height + 2 * cw * ch);
  if (mask) for (let i = 0; i < mask.length; i++) buf[i] = mask[i] ? 255 : 0;
  buf.fill(128, width * height);
  const init: VideoFrameBufferInit = {
    format: 'I420',
    codedWidth: width,
    codedHeight: height,
    timestamp,
    colorSpace: { fullRange: true, matrix: 'bt709', primaries: 'bt709', transfer: 'bt709' },
  };
  if (duration !== null) init.duration = duration;
  return new VideoFrame(buf, init);
}

function maskBitmap(mask: Uint8Array, width: number, height: number, rgba: number): Promise<ImageBitmap> {
  const px = new Uint32Array(width * height);
  for (let i = 0; i < mask.length; i++) if (mask[i]) px[i] = rgba;
  return createImageBitmap(new ImageData(new Uint8ClampedArray(px.buffer), width, height));
}

/** Little-endian RGBA word of a CSS colour (via the canvas's own parser). */
function rgbaWord(ctx: OffscreenCanvasRenderingContext2D, css: string): number {
  ctx.save();
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillStyle = css;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
  ctx.restore();
  return ((a! << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
}

/** Encodes the clip's frames with their masks drawn per `request.kind`; resolves with the WebM file. */
export async function exportVideo(
  reader: ClipReader,
  request: VideoExportRequest,
  options: ExportOptions = {},
): Promise<Blob> {
  const { kind } = request;
  if (kind !== 'cutout' && kind !== 'matte' && kind !== 'overlay')
    throw new Sam2Error('invalid-prompt', `unknown export kind "${String(kind)}"`);
  const { width, height, frameCount, fps } = reader.info;
  const signal = options.signal;
  const codec = await pickCodec(width, height, fps);
  const target = new BufferTarget();
  const output = new Output({ format: new WebMOutputFormat(), target });
  const video = new EncodedVideoPacketSource(codec.name);
  output.addVideoTrack(video, kind === 'cutout' ? { canBeTransparent: true } : {});
  const copyAudio = await audioCopy(reader, output);
  await output.start();
  const audio = copyAudio ? copyAudio() : Promise.resolve();
  audio.catch(() => undefined);

  let failure: unknown = null;
  const fail = (e: unknown): void => {
    failure ??= e;
  };
  // Colour chunks wait for their alpha chunk (cut-outs); packets go to the muxer in order through one chain.
  const colour: { chunk: EncodedVideoChunk; meta: EncodedVideoChunkMetadata | undefined }[] = [];
  const alphas: EncodedVideoChunk[] = [];
  const pendingAlpha: VideoFrame[] = [];
  let muxing: Promise<void> = Promise.resolve();
  const flushPairs = (): void => {
    while (colour.length > 0 && (kind !== 'cutout' || alphas.length > 0)) {
      const { chunk, meta } = colour.shift()!;
      const a = kind === 'cutout' ? alphas.shift()! : null;
      let side = {};
      if (a) {
        const bytes = new Uint8Array(a.byteLength);
        a.copyTo(bytes);
        side = { alpha: bytes };
      }
      const packet = EncodedPacket.fromEncodedChunk(chunk, side);
      muxing = muxing.then(() => video.add(packet, meta)).catch(fail);
    }
  };
  const alphaEncoder =
    kind === 'cutout'
      ? new VideoEncoder({
          output: (chunk) => {
            alphas.push(chunk);
            flushPairs();
          },
          error: fail,
        })
      : null;
  const encoder = new VideoEncoder({
    output: (chunk, meta) => {
      colour.push({ chunk, meta });
      // The alpha frame is keyed exactly when the colour frame is (the decoder pairs them block by block).
      const af = pendingAlpha.shift();
      if (alphaEncoder && af) {
        try {
          alphaEncoder.encode(af, { ...codec.options, keyFrame: chunk.type === 'key' });
        } finally {
          af.close();
        }
      }
      flushPairs();
    },
    error: fail,
  });
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { alpha: kind === 'cutout' });
  if (!ctx) throw new Sam2Error('not-ready', 'no 2D canvas in this worker');
  const tint = rgbaWord(ctx, request.color ?? 'rgba(30, 144, 255, 0.55)');
  try {
    encoder.configure(codec.config);
    alphaEncoder?.configure(codec.config);
    for (let i = 0; i < frameCount; i++) {
      if (signal?.aborted) throw abortedError('export');
      if (failure) throw failure;
      const src = await reader.frame(i);
      const ts = src.timestamp;
      const dur = src.duration;
      const mask = unionMask(request.masks[i], width, height);
      ctx.globalCompositeOperation = 'source-over';
      ctx.clearRect(0, 0, width, height);
      if (kind === 'matte') {
        ctx.fillStyle = '#000';
        ctx.fillRect(0, 0, width, height);
        src.close();
        if (mask) {
          const m = await maskBitmap(mask, width, height, 0xffffffff);
          ctx.drawImage(m, 0, 0);
          m.close();
        }
      } else {
        ctx.drawImage(src, 0, 0, width, height);
        src.close();
        if (kind === 'cutout') {
          // Outside the mask the colour is transparent black: it compresses to nothing and is never shown.
          ctx.globalCompositeOperation = 'destination-in';
          if (mask) {
            const m = await maskBitmap(mask, width, height, 0xffffffff);
            ctx.drawImage(m, 0, 0);
            m.close();
          } else ctx.clearRect(0, 0, width, height);
        } else if (mask) {
          const m = await maskBitmap(mask, width, height, tint);
          ctx.drawImage(m, 0, 0);
          m.close();
        }
      }
      const init: VideoFrameInit = { timestamp: ts };
      if (dur !== null) init.duration = dur;
      const frame = new VideoFrame(canvas, { ...init, alpha: 'discard' });
      if (alphaEncoder) pendingAlpha.push(alphaFrame(mask, width, height, ts, dur));
      try {
        encoder.encode(frame, { ...codec.options, keyFrame: i % KEY_INTERVAL === 0 });
      } finally {
        frame.close();
      }
      while (encoder.encodeQueueSize > 2 && !failure)
        await new Promise((r) => encoder.addEventListener('dequeue', r, { once: true }));
      options.onProgress?.({ frames: i + 1, total: frameCount });
    }
    await encoder.flush();
    await alphaEncoder?.flush();
    flushPairs();
    await muxing;
    if (failure) throw failure;
    video.close();
    await audio;
    await output.finalize();
  } catch (e) {
    await output.cancel().catch(() => undefined);
    throw e instanceof Sam2Error
      ? e
      : new Sam2Error('media-decode', `the video could not be written: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
  } finally {
    for (const f of pendingAlpha.splice(0)) f.close();
    if (encoder.state !== 'closed') encoder.close();
    if (alphaEncoder && alphaEncoder.state !== 'closed') alphaEncoder.close();
  }
  if (!target.buffer) throw new Sam2Error('media-decode', 'the muxer produced no file');
  return new Blob([target.buffer], { type: 'video/webm' });
}

/** Adds the clip's audio track where WebM can carry its codec; returns the copy of its packets as they are. */
async function audioCopy(reader: ClipReader, output: Output): Promise<(() => Promise<void>) | null> {
  const track = await reader.input.getPrimaryAudioTrack();
  if (!track) return null;
  const codec = await track.getCodec();
  if (!codec || !output.format.getSupportedAudioCodecs().includes(codec)) return null;
  const config = await track.getDecoderConfig();
  if (!config) return null;
  const source = new EncodedAudioPacketSource(codec);
  output.addAudioTrack(source);
  // Runs once the output has started; the caller awaits it before finalising.
  return async () => {
    let first = true;
    for await (const p of new EncodedPacketSink(track).packets()) {
      await source.add(p, first ? { decoderConfig: config } : undefined);
      first = false;
    }
    source.close();
  };
}
