// Model file delivery: cache first, then a streamed download with byte progress, retried with exponential backoff on
// network errors and 5xx/408/429, abortable at every await, verified (byte size always, sha256 when known) before
// anything is cached. Bad bytes fail with `model-integrity` and are never stored.

import type { ModelCache } from '../shared/cache.js';
import { Sam2Error, abortedError } from '../shared/errors.js';
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
}

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
async function attempt(spec: FileSpec, progress: FileProgress, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; length: number | null }> {
  let res: Response;
  try {
    res = await fetch(spec.url, signal ? { signal } : {});
  } catch (e) {
    throwIfAborted(signal);
    throw new Transient(`could not fetch ${spec.file} (${spec.url}): ${String(e)}`, { cause: e });
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
  try {
    if (!res.body) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { bytes, length };
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    progress.report('download', 0, total);
    for (;;) {
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
    return { bytes, length };
  } catch (e) {
    throwIfAborted(signal);
    throw new Transient(`download of ${spec.file} failed: ${String(e)}`, { cause: e });
  }
}

/** Delivers one file: from the cache when it has it, else downloaded, verified and then cached. */
export async function fetchFile(spec: FileSpec, options: FetchOptions = {}): Promise<Uint8Array> {
  const { signal, cache } = options;
  const retries = options.retries ?? 3;
  const backoff = options.backoffMs ?? 500;
  const progress = new FileProgress(spec.file, options.onProgress);
  throwIfAborted(signal);

  if (cache && spec.key) {
    const hit = await cache.get(spec.key);
    throwIfAborted(signal);
    if (hit && (spec.bytes === undefined || hit.byteLength === spec.bytes)) {
      progress.report('cache', hit.byteLength, hit.byteLength, true);
      return hit;
    }
  }

  let got: { bytes: Uint8Array; length: number | null };
  for (let i = 0; ; i++) {
    try {
      got = await attempt(spec, progress, signal);
      break;
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      if (i >= retries) throw new Sam2Error('model-fetch', `${e.message} (after ${i + 1} attempts)`, { cause: e.cause });
      await sleep(backoff * 2 ** i, signal);
    }
  }
  const { bytes, length } = got;
  progress.report('download', bytes.byteLength, bytes.byteLength, true);

  const expected = spec.bytes ?? length;
  if (expected !== null && bytes.byteLength !== expected) {
    const source = spec.bytes !== undefined ? 'the manifest says' : 'Content-Length says';
    throw new Sam2Error('model-integrity', `${spec.file}: got ${bytes.byteLength} bytes, ${source} ${expected}`);
  }
  if (spec.sha256) {
    const digest = await sha256Hex(bytes);
    if (digest !== null && digest !== spec.sha256.toLowerCase()) {
      throw new Sam2Error('model-integrity', `${spec.file}: sha256 ${digest} does not match the manifest (${spec.sha256})`);
    }
  }
  throwIfAborted(signal);
  if (cache && spec.key) await cache.put(spec.key, bytes, spec.url);
  return bytes;
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
