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

/**
 * Rebuilds an error sent by `toWireError` as a Sam2Error: its own code when it had one, else what the one mapper
 * (`toSam2Error`) makes of its name, else `internal`.
 */
export function fromWireError(w: WireError, context: ErrorContext = 'call'): Sam2Error {
  let e: Sam2Error;
  if (w.code) e = new Sam2Error(w.code, w.message);
  else {
    const original = new Error(w.message);
    original.name = w.name;
    e = toSam2Error(original, context);
  }
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
export function unwrap<T>(r: WireResult<T>, context: ErrorContext = 'call'): T {
  if (r.ok) return r.value;
  throw fromWireError(r.error, context);
}

/** The rejection every cancelled or superseded call gets. */
export function abortedError(what = 'the call'): Sam2Error {
  return new Sam2Error('aborted', `${what} was aborted`);
}

/** Where a platform error was met; it decides what an ambiguous platform error means. */
export type ErrorContext = 'media' | 'model' | 'storage' | 'call';

// Typed as a record so that adding a code to Sam2ErrorCode without listing it here fails to compile.
const CODE_LIST: Record<Sam2ErrorCode, true> = {
  'model-fetch': true,
  'model-integrity': true,
  'model-contract': true,
  storage: true,
  'backend-unavailable': true,
  'media-cross-origin': true,
  'media-decode': true,
  'invalid-prompt': true,
  'invalid-option': true,
  aborted: true,
  'worker-crashed': true,
  'not-ready': true,
  internal: true,
};
const CODES = new Set<string>(Object.keys(CODE_LIST));

function platformCode(e: unknown, context: ErrorContext): Sam2ErrorCode | null {
  const name = (e as { name?: unknown } | null)?.name;
  switch (name) {
    case 'AbortError':
      return 'aborted';
    // A tainted canvas or a cross-origin frame: reading pixels is refused (SecurityError), and a tainted bitmap
    // cannot be posted to the worker (DataCloneError).
    case 'SecurityError':
      return context === 'storage' ? 'storage' : context === 'model' ? 'model-fetch' : 'media-cross-origin';
    case 'DataCloneError':
      return context === 'media' ? 'media-cross-origin' : 'internal';
    case 'QuotaExceededError':
    case 'UnknownError':
    case 'VersionError':
    case 'TransactionInactiveError':
      return context === 'media' ? 'media-decode' : 'storage';
    case 'NotSupportedError':
    case 'EncodingError':
    case 'InvalidStateError':
      return context === 'media'
        ? 'media-decode'
        : context === 'storage'
          ? 'storage'
          : context === 'model'
            ? 'backend-unavailable'
            : 'internal';
    case 'NetworkError':
      return context === 'media' ? 'media-decode' : context === 'storage' ? 'storage' : 'model-fetch';
    case 'TypeError':
      // fetch() rejects with a bare TypeError for every network failure (unreachable host, CORS, offline).
      if (/fetch|network|load failed/i.test(String((e as { message?: unknown }).message))) {
        return context === 'media' ? 'media-decode' : context === 'storage' ? 'storage' : 'model-fetch';
      }
      return null;
    default:
      return null;
  }
}

/**
 * The one mapper from anything thrown to a Sam2Error: our own errors keep their code, an error carrying a known code
 * (one rebuilt from the worker) keeps it, a platform error gets the code its name and `context` mean, and anything
 * else is `internal`: a bug or an unforeseen platform failure, never the caller's input.
 */
export function toSam2Error(e: unknown, context: ErrorContext = 'call'): Sam2Error {
  if (e instanceof Sam2Error) return e;
  const own = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  if (typeof own === 'string' && CODES.has(own)) return new Sam2Error(own as Sam2ErrorCode, message, { cause: e });
  return new Sam2Error(platformCode(e, context) ?? 'internal', message, { cause: e });
}

/** True for the error browsers raise when reading pixels of cross-origin media served without CORS. */
export function isCrossOriginError(e: unknown): boolean {
  return (
    typeof DOMException !== 'undefined' &&
    e instanceof DOMException &&
    (e.name === 'SecurityError' || e.name === 'DataCloneError')
  );
}

/**
 * The one mapping of a failure to read media pixels (`what`, e.g. "the video frame"): a Sam2Error stays as it is,
 * cross-origin media without CORS becomes `media-cross-origin`, anything else `media-decode`.
 */
export function mediaReadError(e: unknown, what: string): Sam2Error {
  if (e instanceof Sam2Error) return e;
  if (isCrossOriginError(e))
    return new Sam2Error('media-cross-origin', `${what} is cross-origin without CORS and cannot be read`, { cause: e });
  return new Sam2Error('media-decode', `${what} could not be read: ${String(e)}`, { cause: e });
}
