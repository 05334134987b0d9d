// The model cache: IndexedDB through idb-keyval, in a store of its own, with storage treated as optional. Entries are
// keyed by bundle identity + file + version or hash (see `cacheKey`), so a different size, precision or version never
// shares a key. Bytes are stored as Blobs: Chromium keeps them as files on disk, and `cacheInfo()` can read their
// sizes without loading them. When IndexedDB is missing or fails (private mode, quota), entries go to a bounded
// in-memory map for the life of this context and a `storage` warning is reported once. Runs in the worker and on the
// main thread (where hosts call `cacheInfo()` / `clearCache()`).

import { clear, createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import { Sam2Error } from './errors.js';
import { timeoutError, withDeadline } from './deadline.js';

/** IndexedDB database and object store the model cache uses. */
export const CACHE_DB = 'sam2-segmenter';
export const CACHE_STORE = 'models';

/** One cached file. */
export interface CacheRecord {
  /** Where the bytes came from (informational). */
  url: string;
  size: number;
  /** `Date.now()` when stored. */
  storedAt: number;
  blob: Blob;
  /** The server's ETag for the bytes, when it sent one: manifests and configs are revalidated with it. */
  etag?: string;
}

/** A cache hit: the bytes and what the server said about them. */
export interface CacheHit {
  bytes: Uint8Array;
  etag?: string;
}

/** What `cacheInfo()` reports. */
export interface CacheInfo {
  entries: number;
  bytes: number;
}

/** Simulated storage failures, for tests: `quota` makes writes fail, `unavailable` makes IndexedDB absent. */
export type StorageFault = 'quota' | 'unavailable';

/** Options of a `ModelCache`. */
export interface ModelCacheOptions {
  /** Store downloads in IndexedDB (default true); false keeps nothing beyond the current load. */
  enabled?: boolean;
  /** Called once when storage fails and the cache degrades to memory; the error has code `storage`. */
  onWarning?: (warning: Sam2Error) => void;
  /** Test hook: simulate a storage failure. */
  fault?: StorageFault;
  /** How long one IndexedDB call may take before the cache gives up on storage (default 5000 ms). */
  timeoutMs?: number;
}

/** Default bound of one IndexedDB call: an IndexedDB that never answers (a Safari bug, a blocked upgrade) must not hang a load. */
export const STORAGE_TIMEOUT_MS = 5000;

/** One IndexedDB call, bounded: a hang becomes a TimeoutError. */
function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(p, ms, () => timeoutError(`IndexedDB (${what})`, ms));
}

/** Cap of the in-memory fallback: it holds a second copy of the model, which large models cannot afford. */
const MEMORY_LIMIT = 256 * 1024 * 1024;
const memory = new Map<string, Uint8Array>();
let memoryBytes = 0;
let idb: UseStore | null = null;

function store(): UseStore {
  if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available in this context');
  idb ??= createStore(CACHE_DB, CACHE_STORE);
  return idb;
}

/** The cache key of one file: bundle identity, file name and a version (a sha256, or size/etag/version string). */
export function cacheKey(bundleId: string, file: string, version: string): string {
  return `${bundleId}|${file}|${version}`;
}

function describe(e: unknown): string {
  if (e instanceof DOMException) return `${e.name}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** A view of the model cache with one load's options; storage errors never escape it. */
export class ModelCache {
  private degraded = false;
  private readonly enabled: boolean;
  /** Keys this view has served from storage: evicted when what they held fails to load. */
  readonly served = new Set<string>();
  private readonly timeout: number;

  constructor(private readonly options: ModelCacheOptions = {}) {
    this.enabled = options.enabled !== false;
    this.timeout = options.timeoutMs ?? STORAGE_TIMEOUT_MS;
    if (options.fault === 'unavailable') this.degrade(new Error('IndexedDB is not available (simulated)'));
  }

  /** The cached bytes of `key`, or null. */
  async get(key: string): Promise<Uint8Array | null> {
    return (await this.getEntry(key))?.bytes ?? null;
  }

  /** The cached bytes of `key` with their ETag, or null. */
  async getEntry(key: string): Promise<CacheHit | null> {
    const m = memory.get(key);
    if (m) {
      this.served.add(key);
      return { bytes: m };
    }
    if (!this.enabled || this.degraded) return null;
    try {
      const rec = await bounded(get<CacheRecord>(key, store()), this.timeout, 'read');
      if (!rec || !(rec.blob instanceof Blob) || rec.blob.size !== rec.size) return null;
      const bytes = new Uint8Array(await bounded(rec.blob.arrayBuffer(), this.timeout, 'read'));
      this.served.add(key);
      return rec.etag ? { bytes, etag: rec.etag } : { bytes };
    } catch (e) {
      this.degrade(e);
      return null;
    }
  }

  /** Forgets `key` (bytes that were stored but then failed to load); never throws. */
  async delete(key: string): Promise<void> {
    this.served.delete(key);
    if (memory.has(key)) {
      memoryBytes -= memory.get(key)!.byteLength;
      memory.delete(key);
    }
    if (!this.enabled || this.degraded) return;
    try {
      await bounded(del(key, store()), this.timeout, 'delete');
    } catch (e) {
      this.degrade(e);
    }
  }

  /** Stores verified bytes; falls back to memory (and warns) when IndexedDB fails. Never throws. */
  async put(key: string, bytes: Uint8Array, url: string, etag?: string | null): Promise<void> {
    if (!this.enabled) return;
    if (!this.degraded) {
      try {
        if (this.options.fault === 'quota') {
          throw new DOMException('The quota has been exceeded (simulated).', 'QuotaExceededError');
        }
        const record: CacheRecord = {
          url,
          size: bytes.byteLength,
          storedAt: Date.now(),
          blob: new Blob([bytes as Uint8Array<ArrayBuffer>]),
        };
        if (etag) record.etag = etag;
        await bounded(set(key, record, store()), this.timeout, 'write');
        return;
      } catch (e) {
        this.degrade(e);
      }
    }
    if (memoryBytes + bytes.byteLength <= MEMORY_LIMIT && !memory.has(key)) {
      memory.set(key, bytes);
      memoryBytes += bytes.byteLength;
    }
  }

  private degrade(e: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.options.onWarning?.(
      new Sam2Error(
        'storage',
        `the model cache is unavailable (${describe(e)}); models load from the network and are not kept`,
        {
          cause: e,
        },
      ),
    );
  }
}

/** Entries and bytes held by the model cache in IndexedDB (zeros when IndexedDB is unavailable). */
export async function cacheInfo(): Promise<CacheInfo> {
  let list: [IDBValidKey, unknown][];
  try {
    list = await bounded(entries(store()), STORAGE_TIMEOUT_MS, 'cacheInfo');
  } catch {
    return { entries: 0, bytes: 0 };
  }
  let bytes = 0;
  for (const [, v] of list) {
    const rec = v as Partial<CacheRecord> | undefined;
    bytes += rec?.blob instanceof Blob ? rec.blob.size : 0;
  }
  return { entries: list.length, bytes };
}

/** Deletes every cached model file (IndexedDB and this context's memory fallback). */
export async function clearCache(): Promise<void> {
  memory.clear();
  memoryBytes = 0;
  try {
    await bounded(clear(store()), STORAGE_TIMEOUT_MS, 'clearCache');
  } catch (e) {
    throw new Sam2Error('storage', `the model cache could not be cleared: ${describe(e)}`, { cause: e });
  }
}

/** Asks the browser to keep this origin's storage under pressure; main thread only. Resolves with the browser's answer. */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage || typeof storage.persist !== 'function') return false;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return false;
  }
}
