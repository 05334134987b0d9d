// Every media wait has an end: a `<video>` that never loads (no source, a blocked or unreachable URL, a server that
// stalls, a policy that forbids it) rejects instead of leaving `track()` and the element pending forever.
import { Sam2Error, abortedError } from '../shared/errors.js';

/** How long a video may take to show its first frame before the wait gives up (default of `mediaLoaded`). */
export const MEDIA_LOAD_TIMEOUT_MS = 30_000;

/** Long enough for the load algorithm's transient NETWORK_NO_SOURCE to pass once a source is set. */
const NO_SOURCE_SETTLE_MS = 1_000;

function isCrossOrigin(url: string): boolean {
  try {
    const u = new URL(url, location.href);
    return u.origin !== location.origin && u.protocol !== 'blob:' && u.protocol !== 'data:';
  } catch {
    return false;
  }
}

/** The Sam2Error a failed media element means: cross-origin when its source is on another origin, else decode. */
export function mediaLoadError(video: HTMLMediaElement, what: string): Sam2Error {
  const src = video.currentSrc || video.src;
  const detail =
    video.error?.message || (video.error ? `media error ${video.error.code}` : 'the media could not be read');
  if (src && isCrossOrigin(src)) {
    return new Sam2Error(
      'media-cross-origin',
      `${what}: ${src} could not be read (${detail}); a cross-origin video must be served with CORS`,
    );
  }
  return new Sam2Error('media-decode', `${what}: ${detail}`);
}

/**
 * Resolves once `video` has its current frame (`loadeddata`); rejects with a coded error when it has failed already
 * or fails now (`error`, or no source at all), with `aborted` when `signal` aborts, and with `media-decode` when
 * nothing happens within `timeoutMs`.
 */
export function mediaLoaded(
  video: HTMLVideoElement,
  signal?: AbortSignal,
  timeoutMs = MEDIA_LOAD_TIMEOUT_MS,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError('loading the video'));
  if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) return Promise.resolve();
  if (video.error) return Promise.reject(mediaLoadError(video, 'the video failed to load'));
  const noSource = !video.currentSrc && !video.src && !video.srcObject && !video.querySelector('source');
  // NETWORK_NO_SOURCE alone proves nothing: the load algorithm passes through it right after a src is set, until
  // its next stable state. Only a video with nothing to load fails at once; one whose sources all failed is caught
  // by the recheck below.
  if (noSource && video.networkState !== HTMLMediaElement.NETWORK_LOADING) {
    return Promise.reject(new Sam2Error('media-decode', 'the video has no source it can load'));
  }
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      clearTimeout(recheck);
      video.removeEventListener('loadeddata', ok);
      video.removeEventListener('error', fail, true);
      signal?.removeEventListener('abort', abort);
    };
    const ok = (): void => {
      cleanup();
      resolve();
    };
    const fail = (): void => {
      cleanup();
      reject(mediaLoadError(video, 'the video failed to load'));
    };
    const abort = (): void => {
      cleanup();
      reject(abortedError('loading the video'));
    };
    // <source> children that all failed leave NETWORK_NO_SOURCE and no error on the video itself.
    const recheck = setTimeout(() => {
      if (video.networkState === HTMLMediaElement.NETWORK_NO_SOURCE && video.readyState === 0) {
        cleanup();
        reject(new Sam2Error('media-decode', 'the video has no source it can load'));
      }
    }, NO_SOURCE_SETTLE_MS);
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Sam2Error(
          'media-decode',
          `the video did not load within ${timeoutMs} ms (network state ${video.networkState})`,
        ),
      );
    }, timeoutMs);
    video.addEventListener('loadeddata', ok);
    // Capture: a <source> child's error does not bubble to the video.
    video.addEventListener('error', fail, true);
    signal?.addEventListener('abort', abort);
  });
}
