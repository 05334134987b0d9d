// Model file delivery: cache first, then a streamed download with byte progress, retried with exponential backoff on
// network errors and 5xx/408/429, abortable at every await, verified (byte size always, sha256 when known) before
// anything is cached. Bad bytes fail with `model-integrity` and are never stored; every file is also validated for what
// it claims to be (validate.ts) before it is stored and when the cache serves it, and a cached file that fails is
// evicted and fetched again.

import type { ModelCache } from '../shared/cache.js';
import { Sam2Error, abortedError, isSam2Error } from '../shared/errors.js';
import { timeoutError, withDeadline } from '../shared/deadline.js';
import { validatorFor, type Validator } from './validate.js';
import type { ModelProgress } from '../shared/types.js';

/** Progress callback, one stable shape for every phase. */
export type ProgressCallback = (p: ModelProgress) => void;

/** One file to deliver. */
export interface FileSpec {
  url: string;
  /** Name in progress events and errors. */
  file: string;
  /** Expected byte size, when the manifest gives it; otherwise Content-Length is checked when the server sends it. */
  bytes?: number;
  /** Expected sha256 (lowercase hex), when known. */
  sha256?: string;
  /** Cache key (see `cacheKey`); without one the file is never cached. */
  key?: string;
  /** What the bytes must be; default by the file's name (`validatorFor`), null for none. */
  validate?: Validator | null;
}

/** Options of `fetchFile` / `fetchFiles`. */
export interface FetchOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  cache?: ModelCache;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff delay; it doubles on each retry (default 500 ms). */
  backoffMs?: number;
  /** A response that sends nothing for this long (headers or body) is dropped and retried (default 30 s). */
  stallMs?: number;
}

/** Default of `FetchOptions.stallMs`: a server that goes silent must not hold a load forever. */
export const STALL_MS = 30_000;

/** A failure worth another attempt: the network, or the server said so. */
class Transient extends Error {}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError('the model download');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError('the model download'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError('the model download'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** sha256 as lowercase hex, or null where SubtleCrypto is missing (insecure contexts load unverified). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reports progress of one file, never going backwards (a retry restarts the bytes, not the bar). */
class FileProgress {
  private last = -1;
  private lastTotal = 0;

  constructor(
    private readonly file: string,
    private readonly onProgress: ProgressCallback | undefined,
  ) {}

  report(phase: ModelProgress['phase'], loaded: number, total: number, force = false): void {
    if (!this.onProgress || loaded < this.last) return;
    // One message per percent at most: in the worker each callback is a postMessage to the main thread.
    if (loaded === this.last && total === this.lastTotal) return;
    if (!force && this.last >= 0 && total > 0 && total === this.lastTotal && loaded - this.last < total / 100) return;
    this.last = loaded;
    this.lastTotal = total;
    this.onProgress({ phase, file: this.file, loaded, total });
  }
}

/** One download attempt: streams the body, reporting bytes. Throws Transient for retryable failures. */
interface Got {
  bytes: Uint8Array;
  length: number | null;
  contentType: string | null;
  etag: string | null;
}

async function attempt(
  spec: FileSpec,
  progress: FileProgress,
  signal: AbortSignal | undefined,
  stallMs: number,
): Promise<Got> {
  // Our own controller: the caller's signal aborts it, and so does a server that goes silent for stallMs.
  const ctl = new AbortController();
  const forward = (): void => ctl.abort(signal?.reason);
  if (signal?.aborted) forward();
  signal?.addEventListener('abort', forward, { once: true });
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      ctl.abort();
    }, stallMs);
  };
  const failed = (what: string, e: unknown): Error => {
    throwIfAborted(signal);
    if (stalled) return new Transient(`${what} ${spec.file} (${spec.url}): the server sent nothing for ${stallMs} ms`);
    return new Transient(`${what} ${spec.file} (${spec.url}): ${String(e)}`, { cause: e });
  };
  alive();
  try {
    let res: Response;
    try {
      res = await fetch(spec.url, { signal: ctl.signal });
    } catch (e) {
      throw failed('could not fetch', e);
    }
    if (!res.ok) {
      const msg = `could not fetch ${spec.file} (${spec.url}): HTTP ${res.status}`;
      void res.body?.cancel().catch(() => undefined);
      if (res.status >= 500 || res.status === 408 || res.status === 429) throw new Transient(msg);
      throw new Sam2Error('model-fetch', msg);
    }
    // Content-Length counts encoded bytes when the server compresses; trust it only without Content-Encoding.
    const header = res.headers.get('content-encoding') ? null : res.headers.get('content-length');
    const length = header !== null && /^\d+$/.test(header) ? Number(header) : null;
    const total = spec.bytes ?? length ?? 0;
    const contentType = res.headers.get('content-type');
    const etag = res.headers.get('etag');
    try {
      if (!res.body) {
        const bytes = new Uint8Array(await res.arrayBuffer());
        return { bytes, length, contentType, etag };
      }
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      progress.report('download', 0, total);
      for (;;) {
        alive();
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        progress.report('download', loaded, Math.max(total, loaded));
      }
      const bytes = new Uint8Array(loaded);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.byteLength;
      }
      return { bytes, length, contentType, etag };
    } catch (e) {
      throw failed('download of', e);
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}

/** Delivers one file: from the cache when it has it, else downloaded, verified and then cached. */
export async function fetchFile(spec: FileSpec, options: FetchOptions = {}): Promise<Uint8Array> {
  return (await deliver(spec, options)).bytes;
}

/** A delivered file and where it came from. */
interface Delivered {
  bytes: Uint8Array;
  etag: string | null;
}

function validatorOf(spec: FileSpec): Validator | null {
  return spec.validate === undefined ? validatorFor(spec.file) : spec.validate;
}

async function deliver(spec: FileSpec, options: FetchOptions): Promise<Delivered> {
  const { signal, cache } = options;
  const progress = new FileProgress(spec.file, options.onProgress);
  const validate = validatorOf(spec);
  throwIfAborted(signal);

  if (cache && spec.key) {
    const hit = await cache.get(spec.key);
    throwIfAborted(signal);
    if (hit && (spec.bytes === undefined || hit.byteLength === spec.bytes)) {
      try {
        validate?.(hit, spec.file, null);
        progress.report('cache', hit.byteLength, hit.byteLength, true);
        return { bytes: hit, etag: null };
      } catch {
        // Stored by an older version or damaged on disk: forget it and fetch it again.
        await cache.delete(spec.key);
      }
    }
  }

  const got = await download(spec, options, progress);
  throwIfAborted(signal);
  if (cache && spec.key) await cache.put(spec.key, got.bytes, spec.url, got.etag);
  return { bytes: got.bytes, etag: got.etag };
}

/** Downloads (with retries), checks size, sha256 and what the file claims to be. Stores nothing. */
async function download(spec: FileSpec, options: FetchOptions, progress: FileProgress): Promise<Got> {
  const { signal } = options;
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 500;
  // Every file of a load says its size (0: not known yet) before bytes arrive, so that a page summing the files
  // never sees a small file finish before a large one has counted.
  progress.report('download', 0, spec.bytes ?? 0);
  let got: Got;
  for (let i = 0; ; i++) {
    try {
      got = await attempt(spec, progress, signal, options.stallMs ?? STALL_MS);
      break;
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      if (i >= retries)
        throw new Sam2Error('model-fetch', `${e.message} (after ${i + 1} attempts)`, { cause: e.cause });
      await sleep(backoff * 2 ** i, signal);
    }
  }
  const { bytes, length } = got;
  progress.report('download', bytes.byteLength, bytes.byteLength, true);

  // What the file is comes first: an HTML error page is named as such, not as a size mismatch.
  validatorOf(spec)?.(bytes, spec.file, got.contentType);
  const expected = spec.bytes ?? length;
  if (expected !== null && bytes.byteLength !== expected) {
    const source = spec.bytes !== undefined ? 'the manifest says' : 'Content-Length says';
    throw new Sam2Error('model-integrity', `${spec.file}: got ${bytes.byteLength} bytes, ${source} ${expected}`);
  }
  if (spec.sha256) {
    const digest = await sha256Hex(bytes);
    if (digest !== null && digest !== spec.sha256.toLowerCase()) {
      throw new Sam2Error(
        'model-integrity',
        `${spec.file}: sha256 ${digest} does not match the manifest (${spec.sha256})`,
      );
    }
  }
  return got;
}

/** How long revalidating a cached manifest/config may take before the cached copy is used as it is. */
export const REVALIDATE_TIMEOUT_MS = 4000;

/** A JSON file of a bundle, and what to store once the bundle has loaded. */
export interface JsonDelivery {
  json: Record<string, unknown>;
  /** Bytes to store after the bundle loads (null when the cached copy is still current). */
  store: { bytes: Uint8Array; etag: string | null } | null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

/**
 * A manifest or config: network first when online, so a model changed on the server reaches returning visitors; the
 * cached copy is revalidated with `If-None-Match` when the server gave an ETag (a 304 costs no body), and serves as it
 * is when the network fails or stalls (offline). Validated (a JSON object) before anything is stored; the caller
 * stores it only once the whole bundle has loaded.
 */
export async function fetchJsonFile(
  spec: FileSpec & { key: string },
  options: FetchOptions = {},
): Promise<JsonDelivery> {
  const { cache, signal } = options;
  const validate = validatorOf(spec);
  let hit = cache ? await cache.getEntry(spec.key) : null;
  throwIfAborted(signal);
  if (hit) {
    try {
      validate?.(hit.bytes, spec.file, null);
    } catch {
      await cache!.delete(spec.key);
      hit = null;
    }
  }
  // data:/blob: URLs name their bytes: nothing to revalidate.
  const immutable = /^(data|blob):/i.test(spec.url);
  if (hit && immutable) return { json: parseJson(hit.bytes), store: null };
  if (!hit) {
    const got = await download(spec, options, new FileProgress(spec.file, undefined));
    return { json: parseJson(got.bytes), store: { bytes: got.bytes, etag: got.etag } };
  }

  const cached = hit;
  try {
    const revalidate = async (): Promise<JsonDelivery> => {
      const init: RequestInit = { cache: 'no-cache' };
      if (cached.etag) init.headers = { 'If-None-Match': cached.etag };
      if (signal) init.signal = signal;
      const res = await fetch(spec.url, init);
      if (res.status === 304) return { json: parseJson(cached.bytes), store: null };
      if (!res.ok) {
        void res.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${res.status}`);
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      validate?.(bytes, spec.file, res.headers.get('content-type'));
      const etag = res.headers.get('etag');
      const changed = !sameBytes(bytes, cached.bytes) || (etag !== null && etag !== cached.etag);
      return { json: parseJson(bytes), store: changed ? { bytes, etag } : null };
    };
    return await withDeadline(revalidate(), REVALIDATE_TIMEOUT_MS, () =>
      timeoutError(`revalidating ${spec.file}`, REVALIDATE_TIMEOUT_MS),
    );
  } catch (e) {
    throwIfAborted(signal);
    // A changed file that is now broken is a real failure; a network that is down or slow is not.
    if (isSam2Error(e)) throw e;
    return { json: parseJson(cached.bytes), store: null };
  }
}

/** Delivers files in parallel; the first failure aborts the others and rejects with its error. */
export async function fetchFiles(specs: readonly FileSpec[], options: FetchOptions = {}): Promise<Uint8Array[]> {
  const inner = new AbortController();
  const outer = options.signal;
  const forward = (): void => inner.abort(outer?.reason);
  if (outer?.aborted) forward();
  outer?.addEventListener('abort', forward, { once: true });
  try {
    return await Promise.all(
      specs.map((s) =>
        fetchFile(s, { ...options, signal: inner.signal }).catch((e: unknown) => {
          // The first failure wins; the others are then aborted and their `aborted` errors are not what happened.
          if (!inner.signal.aborted) inner.abort(e);
          throw e;
        }),
      ),
    ).catch((e: unknown) => {
      if (outer?.aborted) throw abortedError('the model download');
      throw inner.signal.reason instanceof Error ? inner.signal.reason : e;
    });
  } finally {
    outer?.removeEventListener('abort', forward);
  }
}
