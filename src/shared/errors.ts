// The SDK's one error class, and how errors cross the worker boundary. Comlink's default 'throw' handler keeps
// only name/message/stack, so the worker returns a tagged result instead of throwing; the client rebuilds a
// Sam2Error from it. This avoids replacing comlink's global transfer handlers, which the host may share.

import type { Sam2ErrorCode } from './types.js';

/** Every error the SDK raises carries a stable `code` and a human message. */
export class Sam2Error extends Error {
  /** Stable machine-readable code. */
  readonly code: Sam2ErrorCode;

  constructor(code: Sam2ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Sam2Error';
    this.code = code;
  }
}

/** True when `e` is a Sam2Error, optionally with the given code. */
export function isSam2Error(e: unknown, code?: Sam2ErrorCode): e is Sam2Error {
  return e instanceof Sam2Error && (code === undefined || e.code === code);
}

/** An error as structured-clone data. */
export interface WireError {
  name: string;
  message: string;
  code?: Sam2ErrorCode;
  stack?: string;
}

/** A worker call's outcome as structured-clone data. */
export type WireResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** Serialises any thrown value; errors that are not Sam2Errors keep no code unless they carry one. */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const wire: WireError = { name: e.name, message: e.message };
    if (typeof code === 'string') wire.code = code as Sam2ErrorCode;
    if (e.stack) wire.stack = e.stack;
    return wire;
  }
  return { name: 'Error', message: String(e) };
}

/** Rebuilds an error sent by `toWireError`: a Sam2Error when it had a code, a plain Error otherwise. */
export function fromWireError(w: WireError): Error {
  const e = w.code ? new Sam2Error(w.code, w.message) : new Error(w.message);
  if (!w.code) e.name = w.name;
  // Keep the worker-side stack: it is the one that points at the failing code.
  if (w.stack) e.stack = w.stack;
  return e;
}

/** Runs `fn` and returns its outcome as data, so that the error code survives postMessage. */
export async function settle<T>(fn: () => Promise<T> | T): Promise<WireResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
}

/** Unwraps a WireResult, throwing the rebuilt error. */
export function unwrap<T>(r: WireResult<T>): T {
  if (r.ok) return r.value;
  throw fromWireError(r.error);
}

/** The rejection every cancelled or superseded call gets. */
export function abortedError(what = 'the call'): Sam2Error {
  return new Sam2Error('aborted', `${what} was aborted`);
}

/** True for the error browsers raise when reading pixels of cross-origin media served without CORS. */
export function isCrossOriginError(e: unknown): boolean {
  return typeof DOMException !== 'undefined' && e instanceof DOMException && e.name === 'SecurityError';
}

/**
 * The one mapping of a failure to read media pixels (`what`, e.g. "the video frame"): a Sam2Error stays as it is,
 * cross-origin media without CORS becomes `media-cross-origin`, anything else `media-decode`.
 */
export function mediaReadError(e: unknown, what: string): Sam2Error {
  if (e instanceof Sam2Error) return e;
  if (isCrossOriginError(e)) return new Sam2Error('media-cross-origin', `${what} is cross-origin without CORS and cannot be read`, { cause: e });
  return new Sam2Error('media-decode', `${what} could not be read: ${String(e)}`, { cause: e });
}
