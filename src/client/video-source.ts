// Video sources of a tracking session, on the page: opening a `<video>`, stream, URL or Blob as a readable video,
// counting a clip's frames, seeking to one frame and waiting until it is presented, and the frame-of-a-time rule.
import { Sam2Error, abortedError } from '../shared/errors.js';
import type { TrackMode, TrackSource } from './tracking-types.js';
import { MEDIA_LOAD_TIMEOUT_MS, mediaLoaded } from './media-wait.js';

export function isVideo(v: unknown): v is HTMLVideoElement {
  return typeof HTMLVideoElement !== 'undefined' && v instanceof HTMLVideoElement;
}

export function isStream(v: unknown): v is MediaStream {
  return typeof MediaStream !== 'undefined' && v instanceof MediaStream;
}

function mediaError(video: HTMLVideoElement, what: string): Sam2Error {
  const code = video.error?.code;
  // MEDIA_ERR_SRC_NOT_SUPPORTED also covers network failures of a src; both mean the clip cannot be read.
  return new Sam2Error(
    'media-decode',
    `${what}: ${video.error?.message || (code ? `media error ${code}` : 'the video could not be read')}`,
  );
}

/**
 * Resolves when `video` fires `type`; rejects with `media-decode` on a media error or when it has not come within
 * `timeoutMs` (a seek into bytes a stalled server never sends), `aborted` on an abort.
 */
export function once<K extends keyof HTMLMediaElementEventMap>(
  video: HTMLVideoElement,
  type: K,
  signal: AbortSignal,
  timeoutMs = MEDIA_LOAD_TIMEOUT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Sam2Error('media-decode', `the video did not fire ${type} within ${timeoutMs} ms (a stalled server?)`),
      );
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      video.removeEventListener(type, ok);
      video.removeEventListener('error', fail);
      signal.removeEventListener('abort', abort);
    };
    const ok = (): void => {
      cleanup();
      resolve();
    };
    const fail = (): void => {
      cleanup();
      reject(mediaError(video, `waiting for ${type}`));
    };
    const abort = (): void => {
      cleanup();
      reject(abortedError('tracking'));
    };
    video.addEventListener(type, ok);
    video.addEventListener('error', fail);
    signal.addEventListener('abort', abort);
  });
}

/** @internal The frame shown at time t; WebM stores whole ms (frame 1 of 30 fps at 0.033 s), so a small bias keeps
 * frame starts on their own frame while mid-frame times (our seeks) stay on theirs. */
export function frameAtTime(t: number, fps: number): number {
  return Math.max(0, Math.floor(t * fps + 0.05));
}

/** Resolves when the video presents its next frame, or after 250 ms where it does not render. */
export function presentedFrame(video: RvfcVideo): Promise<void> {
  return new Promise((resolve) => {
    if (!video.requestVideoFrameCallback) return resolve();
    const timer = setTimeout(() => {
      video.cancelVideoFrameCallback?.(handle);
      presentTimeouts++;
      resolve();
    }, 250);
    const handle = video.requestVideoFrameCallback(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** @internal For tests: seeks whose frame was never presented (each cost the 250 ms wait). */
export let presentTimeouts = 0;

export type VideoFrameCallback = (now: number, meta: { mediaTime: number; presentedFrames: number }) => void;
/** @internal A video with requestVideoFrameCallback (not yet in TypeScript's DOM lib). */
export type RvfcVideo = HTMLVideoElement & {
  requestVideoFrameCallback?(cb: VideoFrameCallback): number;
  cancelVideoFrameCallback?(handle: number): void;
};

/**
 * The video a session reads: the host's own `<video>` once it has a frame, or a hidden one made for a stream, a URL or
 * a Blob (kept in the document for rVFC; `cleanups` undoes it).
 */
export async function openVideoSource(
  src: TrackSource,
  mode: TrackMode,
  signal: AbortSignal,
  cleanups: (() => void)[],
): Promise<RvfcVideo> {
  if (isVideo(src)) {
    // A host's video that never loads (no source, blocked, a server that stalls) must not hold track() forever.
    await mediaLoaded(src, signal);
    return src;
  }
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  // rVFC and decoding want a rendered element: keep it in the document, invisible and out of the way.
  video.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;pointer-events:none';
  video.setAttribute('aria-hidden', 'true');
  document.body.append(video);
  cleanups.push(() => {
    video.pause();
    video.removeAttribute('src');
    video.srcObject = null;
    video.load();
    video.remove();
  });
  if (isStream(src)) {
    if (mode === 'complete')
      throw new Sam2Error('invalid-prompt', 'a MediaStream can only be tracked live (mode "live")');
    video.srcObject = src;
    await video.play();
  } else if (typeof Blob !== 'undefined' && src instanceof Blob) {
    const url = URL.createObjectURL(src);
    cleanups.push(() => URL.revokeObjectURL(url));
    video.src = url;
  } else if (typeof src === 'string' || src instanceof URL) {
    video.crossOrigin = 'anonymous';
    video.src = String(src);
  } else {
    throw new Sam2Error('media-decode', 'track() takes an HTMLVideoElement, a MediaStream, a URL or a Blob');
  }
  await mediaLoaded(video, signal);
  return video;
}

/** Frames in a clip at `fps`; a recorded WebM without a duration is sought to its end to learn it. */
export async function frameCount(video: HTMLVideoElement, fps: number, signal: AbortSignal): Promise<number> {
  if (!Number.isFinite(video.duration)) {
    // Recorded WebM often has no duration until the end is seeked to.
    video.currentTime = Number.MAX_SAFE_INTEGER;
    await once(video, 'seeked', signal);
    video.currentTime = 0;
    await once(video, 'seeked', signal);
  }
  const n = Math.round(video.duration * fps);
  if (!(n > 0))
    throw new Sam2Error('media-decode', 'the clip has no frames (its duration is unknown): track it live instead');
  return n;
}

/** Shows frame i: seeks to the middle of its display interval so rounding never lands on a neighbour. */
export async function seekFrame(video: HTMLVideoElement, i: number, fps: number, signal: AbortSignal): Promise<void> {
  const t = Math.min((i + 0.5) / fps, Math.max(0, video.duration - 1e-3));
  if (!video.paused) video.pause();
  if (Math.abs(video.currentTime - t) < 1e-6 && !video.seeking) return;
  const seeked = once(video, 'seeked', signal);
  // `seeked` can fire before the new frame reaches the element's output, and reading it then returns the previous
  // frame: wait until a frame is presented (rVFC), or briefly where none will be (a video that is not rendered).
  const presented = presentedFrame(video);
  video.currentTime = t;
  await seeked;
  await presented;
}

/**
 * Live mode's loop: calls `onFrame` for each frame the video presents, unless the previous call is still running
 * (that frame is dropped, never queued). `onFrame` returns null when it took nothing. Resolves with `ended` when
 * the video ends and `stopped` on abort, after `settled()` (the frame in flight); rejects when a frame fails.
 */
export function followPlayback(
  video: RvfcVideo,
  signal: AbortSignal,
  settled: () => Promise<unknown>,
  onFrame: (meta: { mediaTime: number; presentedFrames: number }) => Promise<void> | null,
): Promise<'ended' | 'stopped'> {
  if (!video.requestVideoFrameCallback) {
    return Promise.reject(new Sam2Error('media-decode', 'live tracking needs requestVideoFrameCallback'));
  }
  let busy = false;
  let handle = 0;
  return new Promise((resolve, reject) => {
    const end = (reason: 'ended' | 'stopped'): void => {
      video.cancelVideoFrameCallback?.(handle);
      video.removeEventListener('ended', onEnded);
      signal.removeEventListener('abort', onAbort);
      void settled().then(() => resolve(reason));
    };
    const onEnded = (): void => end('ended');
    const onAbort = (): void => end('stopped');
    video.addEventListener('ended', onEnded);
    signal.addEventListener('abort', onAbort, { once: true });
    const tick: VideoFrameCallback = (_now, meta) => {
      handle = video.requestVideoFrameCallback!(tick);
      if (busy || signal.aborted) return;
      const work = onFrame(meta);
      if (!work) return;
      busy = true;
      work.then(
        () => (busy = false),
        (e: unknown) => {
          busy = false;
          end('stopped');
          reject(e);
        },
      );
    };
    handle = video.requestVideoFrameCallback!(tick);
    if (video.ended) end('ended');
  });
}
