// How the element tells its host what happened: typed CustomEvents, each failure reported once as an `error` event
// with a code, and a polite live-region announcement for screen readers. Shared by the element's controllers.
import type { ReactiveControllerHost } from 'lit';
import { Sam2Error, isSam2Error, toSam2Error } from '../shared/errors.js';
import type { Sam2ErrorCode } from '../shared/types.js';
import type { Sam2ErrorDetail, Sam2SegmenterEventMap } from './events.js';

/** Whether `e` is a cancellation (a superseded or aborted call), which is never reported. */
export function isAbort(e: unknown): boolean {
  return isSam2Error(e, 'aborted') || (e instanceof DOMException && e.name === 'AbortError');
}

/**
 * Normalises an unknown failure into a coded Sam2Error through the one mapper (`toSam2Error`); `where` says what was
 * being done (a media code: reading media, a model code: loading) so that ambiguous platform errors map right. A
 * failure without a code of its own is `internal`, never the caller's fault.
 */
export function coded(e: unknown, where: Sam2ErrorCode): Sam2Error {
  const context = where.startsWith('media')
    ? 'media'
    : where.startsWith('model') || where === 'storage'
      ? 'model'
      : 'call';
  return toSam2Error(e, context);
}

/** Events, errors and announcements of one element. */
export class Reporter {
  /** The live region's text (the host renders it). */
  announcement = '';
  /** Errors already dispatched (a failed load rejects `ready` and the call that triggered it with one error). */
  #reported = new WeakSet<object>();

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {}

  emit<K extends keyof Sam2SegmenterEventMap>(type: K, detail: Sam2SegmenterEventMap[K]['detail']): void {
    // `error` does not bubble: a bubbling `error` reaching window would look like an uncaught script error.
    const bubbles = type !== 'error';
    this.host.dispatchEvent(new CustomEvent(type, { detail, bubbles, composed: bubbles }));
  }

  /** Fires `error` for `e` unless it was reported already. */
  error(e: unknown, fallback: Sam2ErrorCode): void {
    if (typeof e === 'object' && e !== null) {
      if (this.#reported.has(e)) return;
      this.#reported.add(e);
    }
    const err = coded(e, fallback);
    const detail: Sam2ErrorDetail = { code: err.code, message: err.message, error: e };
    this.emit('error', detail);
  }

  /** Reports a failure of a pointer-, keyboard- or attribute-driven call; superseded calls are silent. */
  interactive(e: unknown, fallback: Sam2ErrorCode = 'worker-crashed'): void {
    if (isAbort(e)) return;
    this.error(e, fallback);
  }

  announce(text: string): void {
    // Repeating the same text would not be read again: vary it invisibly.
    this.announcement = this.announcement === text ? `${text}\u00a0` : text;
    this.host.requestUpdate();
  }
}

/** Runs `fn` at the end of the current task unless `host` is back in the document by then (a DOM move). */
export function whenGone(host: HTMLElement, fn: () => void): void {
  queueMicrotask(() => {
    if (!host.isConnected) fn();
  });
}
