// Where a complete-mode session reads its frames, and how frames are numbered. Never by an assumed frame rate:
//
//  - `demux`: the clip (URL, Blob/File, or a `<video>` whose currentSrc the worker can fetch) is opened in the worker;
//    frame n is the container's n-th frame in presentation order, with the container's timestamp.
//  - `element`: where the worker cannot read the clip (codec or container it does not know, cross-origin without
//    CORS, MSE/HLS), the `<video>` itself is stepped. Its frames are found by walking back from the last one: a seek
//    to just before a presented frame's timestamp shows exactly the previous frame, so the frame table is the list of
//    timestamps the element actually presents. Tracking then seeks to the middle of each frame's interval.

import { Sam2Error, abortedError, isSam2Error } from '../shared/errors.js';
import type { ClipInfo } from '../shared/media-types.js';
import type { Segmenter } from './segmenter.js';
import type { VideoClip } from './clip.js';

import type { FrameSourceKind, TrackMode, TrackSource } from './tracking-types.js';
import { isStream, isVideo, once, openVideoSource, seekFrame } from './video-source.js';

/** The frame table of a clip. */
export interface FrameTimeline {
  kind: FrameSourceKind;
  /** Presentation time of each frame (seconds), ascending. */
  timestamps: number[];
  /** End of the last frame (seconds). */
  end: number;
}

/** @internal The frame shown at time t: the last one starting at or before it (a microsecond of slack). */
export function frameIndexAt(timestamps: readonly number[], t: number): number {
  let lo = 0;
  let hi = timestamps.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (timestamps[mid]! <= t + 1e-6) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** @internal The middle of frame i's display interval: the safest time to seek to for exactly that frame. */
export function frameMidpoint(tl: FrameTimeline, i: number): number {
  const t = tl.timestamps[i]!;
  const next = i + 1 < tl.timestamps.length ? tl.timestamps[i + 1]! : Math.max(tl.end, t + 0.002);
  return t + (next - t) / 2;
}

/** The timeline of a clip read in the worker. */
export function clipTimeline(info: ClipInfo): FrameTimeline {
  const last = info.timestamps[info.timestamps.length - 1] ?? 0;
  return { kind: 'demux', timestamps: info.timestamps, end: Math.max(last, (info.timestamps[0] ?? 0) + info.duration) };
}

/** What the worker can be asked to fetch for a source, or null when only the element can read it. */
export function demuxableSource(source: unknown): Blob | string | null {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source;
  if (typeof source === 'string' || source instanceof URL) return String(source);
  if (isVideo(source)) {
    // A MediaStream, MSE or an element without a src has no file to fetch.
    if (source.srcObject) return null;
    const src = source.currentSrc || source.src;
    if (!src || src.startsWith('mediasource:')) return null;
    return src;
  }
  return null;
}

/**
 * Opens `source` in the worker; null when the worker cannot demux or decode it (the element path takes over). Other
 * failures (aborted, a crashed worker) are thrown.
 */
export async function tryOpenClip(
  segmenter: Segmenter,
  source: unknown,
  signal: AbortSignal,
): Promise<VideoClip | null> {
  const src = demuxableSource(source);
  if (src === null) return null;
  try {
    const clip = await segmenter.openClip(src, { signal });
    if (signal.aborted) {
      await clip.close();
      throw abortedError('tracking');
    }
    return clip;
  } catch (e) {
    if (isSam2Error(e, 'media-decode') || isSam2Error(e, 'media-cross-origin')) return null;
    throw e;
  }
}

type RvfcVideo = HTMLVideoElement & {
  requestVideoFrameCallback?(cb: (now: number, meta: { mediaTime: number }) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
};

/**
 * Seeks to `t` and resolves with the presentation time of the frame the element then shows (its own timestamp, read
 * from the frame itself), or null where no frame can be read.
 */
export async function seekPresented(video: RvfcVideo, t: number, signal: AbortSignal): Promise<number | null> {
  if (!video.paused) video.pause();
  const seeked = once(video, 'seeked', signal);
  // `seeked` can fire before the frame reaches the element's output: wait for its presentation too (briefly where
  // the element is not rendered and never presents).
  const presented = new Promise<number | null>((resolve) => {
    if (!video.requestVideoFrameCallback) return resolve(null);
    const timer = setTimeout(() => {
      video.cancelVideoFrameCallback?.(handle);
      resolve(null);
    }, 250);
    const handle = video.requestVideoFrameCallback((_now, meta) => {
      clearTimeout(timer);
      resolve(meta.mediaTime);
    });
  });
  video.currentTime = t;
  await seeked;
  // The presented frame's own timestamp, where the element presented one; else read the frame it holds.
  const mediaTime = await presented;
  if (mediaTime !== null) return mediaTime;
  try {
    const f = new VideoFrame(video);
    const ts = f.timestamp / 1e6;
    f.close();
    return ts;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'SecurityError') return video.currentTime;
    return null;
  }
}

/** Walks the element back from its last frame, collecting the timestamp of every frame it presents. */
export async function discoverTimeline(video: RvfcVideo, signal: AbortSignal): Promise<FrameTimeline> {
  const end = Number.isFinite(video.duration) ? video.duration : NaN;
  if (!(end > 0)) throw new Sam2Error('media-decode', 'the clip has no known duration: track it live instead');
  // Just before the end: a seek to the end itself may present nothing (an ended MSE stream).
  let t = await seekPresented(video, Math.max(0, end - 0.0005), signal);
  if (t === null) throw new Sam2Error('media-decode', 'the video shows no frame to read');
  const found = [t];
  // Each step asks for the instant just before the shown frame; where it comes back unchanged (timestamps rounded
  // coarser than the step), a wider step is tried before concluding that it is the first frame.
  for (;;) {
    let prev: number | null = null;
    for (const back of [0.0005, 0.002, 0.008]) {
      if (t - back < 0) break;
      const p = await seekPresented(video, t - back, signal);
      if (p !== null && p < t - 1e-7) {
        prev = p;
        break;
      }
    }
    if (prev === null) break;
    found.push(prev);
    t = prev;
  }
  found.reverse();
  return { kind: 'element', timestamps: found, end };
}

/** Frame count, duration and average rate of a clip: the container's where the worker read it, else the timeline's. */
export function summarizeClip(
  tl: FrameTimeline | null,
  info: ClipInfo | null,
): { frameCount: number; duration: number; fps: number } | null {
  if (!tl || tl.timestamps.length === 0) return null;
  const duration = info ? info.duration : tl.end - tl.timestamps[0]!;
  const frameCount = tl.timestamps.length;
  return { frameCount, duration, fps: info ? info.fps : duration > 0 ? frameCount / duration : 0 };
}

/** Opens a clip once more (a finished session has freed its reader), runs `fn` on it and closes it. */
export async function withReopenedClip<T>(
  seg: Segmenter,
  source: unknown,
  fn: (clip: VideoClip) => Promise<T>,
  signal: AbortSignal = new AbortController().signal,
): Promise<T> {
  const clip = await tryOpenClip(seg, source, signal);
  if (!clip) throw new Sam2Error('media-decode', 'the clip can no longer be read');
  try {
    return await fn(clip);
  } finally {
    await clip.close();
  }
}

/**
 * Complete mode's source: the clip read in the worker where it can be, else the `<video>` stepped to find its frames
 * (frames numbered by the timestamps it presents). Cleanups (closing the clip, a hidden video) go to `cleanups`.
 */
export async function openCompleteSource(
  seg: Segmenter,
  source: TrackSource,
  mode: TrackMode,
  signal: AbortSignal,
  cleanups: (() => void)[],
): Promise<{ clip: VideoClip | null; timeline: FrameTimeline; video: RvfcVideo | null }> {
  if (isStream(source)) throw new Sam2Error('invalid-prompt', 'a MediaStream can only be tracked live (mode "live")');
  const clip = await tryOpenClip(seg, source, signal);
  if (clip) {
    cleanups.push(() => void clip.close());
    let video: RvfcVideo | null = null;
    if (isVideo(source)) {
      if (source.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) await once(source, 'loadeddata', signal);
      video = source;
    }
    return { clip, timeline: clipTimeline(clip.info), video };
  }
  const video = await openVideoSource(source, mode, signal, cleanups);
  // Walking the frames moves the element: the prompt's default frame is the one it showed before.
  const shown = video.currentTime;
  const timeline = await discoverTimeline(video, signal);
  await seekPresented(video, frameMidpoint(timeline, frameIndexAt(timeline.timestamps, shown)), signal);
  return { clip: null, timeline, video };
}

/** Shows frame i of the element: the middle of its interval in the clip's own frame table (i / fps without one). */
export async function seekTimelineFrame(
  video: HTMLVideoElement,
  tl: FrameTimeline | null,
  i: number,
  fps: number,
  signal: AbortSignal,
): Promise<void> {
  if (!tl) return seekFrame(video, i, fps, signal);
  if (i >= tl.timestamps.length)
    throw new Sam2Error('invalid-prompt', `frame ${i} is outside the clip (${tl.timestamps.length} frames)`);
  const t = frameMidpoint(tl, i);
  if (Math.abs(video.currentTime - t) < 1e-6 && !video.seeking && video.paused) return;
  await seekPresented(video, t, signal);
}
