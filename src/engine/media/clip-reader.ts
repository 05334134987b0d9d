// Reads a clip's own frames in the worker: mediabunny demuxes the container (MP4/MOV, WebM/MKV) and WebCodecs decodes.
// Frame n is the n-th frame in presentation order and its time is the container's timestamp: the frame table comes
// from the packets themselves, so no frame rate is ever assumed. Sequential reads decode a couple of frames ahead of
// the caller (the tracker's encoder never waits on the decoder); any other frame is a keyframe seek.

import {
  BlobSource,
  EncodedPacketSink,
  Input,
  MATROSKA,
  MP4,
  QTFF,
  UrlSource,
  VideoSampleSink,
  WEBM,
  type InputVideoTrack,
  type VideoSample,
} from 'mediabunny';
import { Sam2Error } from '../../shared/errors.js';
import type { ClipInfo } from '../../shared/media-types.js';
import { CLIP_STALL_MS, stallBoundFetch } from './stall-bound-fetch.js';

export type { ClipInfo };

/** A clip to read: a Blob/File (structured-cloned to the worker, not copied) or an http(s)/blob: URL. */
export type ClipSource = Blob | string;

/** Decoded frames kept ahead of the reader. */
const READ_AHEAD = 2;

/** `media-unsupported`-style failures: the caller falls back to stepping a `<video>`. */
function unreadable(message: string, cause?: unknown): Sam2Error {
  return new Sam2Error('media-decode', message, cause === undefined ? undefined : { cause });
}

/** One open clip in the worker. */
export class ClipReader {
  readonly info: ClipInfo;
  readonly input: Input;
  readonly track: InputVideoTrack;
  readonly #sink: VideoSampleSink;
  /** Sequential decoding: the generator, the index its next sample has, and samples decoded ahead. */
  #iter: AsyncGenerator<VideoSample, void, unknown> | null = null;
  #iterNext = 0;
  #ahead: Promise<VideoSample | null>[] = [];
  #closed = false;
  /** The last frame handed out: a prompt and the track() that follows it on the same frame decode it once. */
  #last: { index: number; frame: VideoFrame } | null = null;

  private constructor(input: Input, track: InputVideoTrack, info: ClipInfo) {
    this.input = input;
    this.track = track;
    this.info = info;
    this.#sink = new VideoSampleSink(track);
  }

  /**
   * Opens a clip; rejects with `media-decode` (the caller falls back) when it cannot be demuxed or decoded here. A URL's
   * server that stays silent for `stallMs` (no headers, or no bytes for a pending read) fails it the same way.
   */
  static async open(source: ClipSource, stallMs = CLIP_STALL_MS): Promise<ClipReader> {
    if (typeof VideoDecoder === 'undefined') throw unreadable('this browser has no WebCodecs VideoDecoder in workers');
    const src =
      typeof source === 'string'
        ? new UrlSource(source, {
            // One failed fetch is enough: a cross-origin URL without CORS will not start working on a retry.
            getRetryDelay: () => null,
            handleUnhandledError: () => undefined,
            fetchFn: stallBoundFetch(stallMs),
          })
        : new BlobSource(source);
    const input = new Input({ formats: [MP4, QTFF, WEBM, MATROSKA], source: src });
    try {
      const readable = await input.canRead().catch((e: unknown) => {
        throw unreadable(`the clip could not be fetched (${e instanceof Error ? e.message : String(e)})`, e);
      });
      if (!readable) throw unreadable('the clip is not an MP4, MOV, WebM or Matroska file');
      const track = await input.getPrimaryVideoTrack();
      if (!track) throw unreadable('the clip has no video track');
      if (!(await track.canDecode()))
        throw unreadable(`this browser's VideoDecoder cannot decode ${(await track.getCodec()) ?? 'this codec'}`);
      const timestamps: number[] = [];
      const packets = new EncodedPacketSink(track);
      let end = 0;
      for await (const p of packets.packets(undefined, undefined, { metadataOnly: true })) {
        timestamps.push(p.timestamp);
        end = Math.max(end, p.timestamp + p.duration);
      }
      timestamps.sort((a, b) => a - b);
      if (timestamps.length === 0) throw unreadable('the clip has no video frames');
      const duration = Math.max(end, timestamps[timestamps.length - 1]!) - timestamps[0]!;
      const info: ClipInfo = {
        frameCount: timestamps.length,
        duration,
        fps: duration > 0 ? timestamps.length / duration : 0,
        width: await track.getDisplayWidth(),
        height: await track.getDisplayHeight(),
        codec: (await track.getCodec()) ?? 'unknown',
        timestamps,
        hasAudio: (await input.getPrimaryAudioTrack()) !== null,
      };
      return new ClipReader(input, track, info);
    } catch (e) {
      input.dispose();
      if (e instanceof Sam2Error) throw e;
      throw unreadable(`the clip could not be read: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }

  /** Frame `index` as a VideoFrame the caller owns (and must close). */
  async frame(index: number): Promise<VideoFrame> {
    if (this.#closed) throw new Sam2Error('aborted', 'the clip was closed');
    const n = this.info.frameCount;
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new Sam2Error('invalid-prompt', `frame ${String(index)} is outside the clip (${n} frames)`);
    }
    if (this.#last?.index === index) return this.#last.frame.clone();
    const sample = index === this.#iterNext && this.#iter ? await this.#nextSequential() : await this.#seekTo(index);
    if (!sample) throw unreadable(`frame ${index} could not be decoded`);
    let frame: VideoFrame;
    try {
      frame = sample.toVideoFrame();
    } finally {
      sample.close();
    }
    this.#last?.frame.close();
    this.#last = { index, frame };
    return frame.clone();
  }

  /** Takes the next decoded sample and queues the decode of one more, so decoding stays ahead of the caller. */
  async #nextSequential(): Promise<VideoSample | null> {
    const head = this.#ahead.shift() ?? this.#pull();
    this.#iterNext++;
    while (this.#ahead.length < READ_AHEAD && this.#iterNext + this.#ahead.length < this.info.frameCount)
      this.#ahead.push(this.#pull());
    return head;
  }

  #pull(): Promise<VideoSample | null> {
    const it = this.#iter!;
    const p = it.next().then((r) => (r.done ? null : r.value));
    p.catch(() => undefined);
    return p;
  }

  /** Restarts sequential decoding at frame `index` (a seek to its keyframe inside mediabunny). */
  async #seekTo(index: number): Promise<VideoSample | null> {
    await this.#stopSequential();
    this.#iter = this.#sink.samples(this.info.timestamps[index]);
    this.#iterNext = index;
    return this.#nextSequential();
  }

  async #stopSequential(): Promise<void> {
    const ahead = this.#ahead.splice(0);
    const it = this.#iter;
    this.#iter = null;
    for (const p of ahead) (await p.catch(() => null))?.close();
    await it?.return().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#last?.frame.close();
    this.#last = null;
    await this.#stopSequential();
    this.input.dispose();
  }
}
