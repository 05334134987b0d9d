// The model cache: IndexedDB through idb-keyval, in a store of its own, with storage treated as optional. Entries are
// keyed by bundle identity + file + version or hash (see `cacheKey`), so a different size, precision or version never
// shares a key. Bytes are stored as Blobs: Chromium keeps them as files on disk, and `cacheInfo()` can read their
// sizes without loading them. When IndexedDB is missing or fails (private mode, quota), entries go to a bounded
// in-memory map for the life of this context and a `storage` warning is reported once. Runs in the worker and on the
// main thread (where hosts call `cacheInfo()` / `clearCache()`).

import { clear, createStore, entries, get, set, type UseStore } from 'idb-keyval';
import { Sam2Error } from './errors.js';

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

  constructor(private readonly options: ModelCacheOptions = {}) {
    this.enabled = options.enabled !== false;
    if (options.fault === 'unavailable') this.degrade(new Error('IndexedDB is not available (simulated)'));
  }

  /** The cached bytes of `key`, or null. */
  async get(key: string): Promise<Uint8Array | null> {
    const m = memory.get(key);
    if (m) return m;
    if (!this.enabled || this.degraded) return null;
    try {
      const rec = await get<CacheRecord>(key, store());
      if (!rec || !(rec.blob instanceof Blob) || rec.blob.size !== rec.size) return null;
      return new Uint8Array(await rec.blob.arrayBuffer());
    } catch (e) {
      this.degrade(e);
      return null;
    }
  }

  /** Stores verified bytes; falls back to memory (and warns) when IndexedDB fails. Never throws. */
  async put(key: string, bytes: Uint8Array, url: string): Promise<void> {
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
        await set(key, record, store());
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
      new Sam2Error('storage', `the model cache is unavailable (${describe(e)}); models load from the network and are not kept`, {
        cause: e,
      }),
    );
  }
}

/** Entries and bytes held by the model cache in IndexedDB (zeros when IndexedDB is unavailable). */
export async function cacheInfo(): Promise<CacheInfo> {
  let list: [IDBValidKey, unknown][];
  try {
    list = await entries(store());
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
    await clear(store());
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
