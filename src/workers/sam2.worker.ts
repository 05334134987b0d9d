// Worker entry: builds the engine core and exposes it with comlink. Every method returns a WireResult so that
// error codes survive postMessage (see src/engine/errors.ts); the main thread imports only `WorkerApi`.

import * as Comlink from 'comlink';
import { loadModel, type EngineConfig, type ProgressCallback } from '../engine/bundle.js';
import { Sam2Error, settle, toWireError, type WireError, type WireResult } from '../engine/errors.js';
import { ImageEngine, type ImageInfo } from '../engine/image-engine.js';
import type { ReadyInfo, SegmentPrompt, SegmentResultData } from '../engine/types.js';

let engine: Promise<ImageEngine> | null = null;

function needEngine(): Promise<ImageEngine> {
  if (!engine) throw new Sam2Error('not-ready', 'the worker has no model: init() was not called');
  return engine;
}

// A WebAssembly trap (out of memory, abort) leaves onnxruntime unusable: tell the client to replace the worker.
function fatal<T>(r: WireResult<T>): WireResult<T> {
  if (!r.ok && r.error.name === 'RuntimeError') r.error.code = 'worker-crashed';
  return r;
}

const api = {
  /** Loads the model; resolves with what `ready` reports. */
  async init(
    config: EngineConfig,
    onProgress?: ProgressCallback,
    onWarning?: (warning: WireError) => void,
  ): Promise<WireResult<ReadyInfo>> {
    return fatal(
      await settle(async () => {
        if (engine) throw new Error('init() was already called in this worker');
        // ORT's runtime files default to the folder of this worker script (where a build puts them).
        const wasmPaths = config.wasmPaths ?? new URL('./', import.meta.url).href;
        const warn = onWarning ? (w: Error) => void onWarning(toWireError(w)) : undefined;
        const loading = loadModel({ ...config, wasmPaths }, onProgress, warn ? { onWarning: warn } : {});
        engine = loading.then((m) => new ImageEngine(m.adapter));
        // A failed load leaves the worker without an engine; the client replaces the worker.
        engine.catch(() => undefined);
        return (await loading).info;
      }),
    );
  },

  /** Encodes an image (transferred) and caches its embedding. */
  async setImage(bitmap: ImageBitmap, callId: number): Promise<WireResult<ImageInfo>> {
    return fatal(await settle(async () => (await needEngine()).setImage(bitmap, callId)));
  },

  /** Segments one object; the mask bytes are transferred back. */
  async segment(prompt: SegmentPrompt, callId: number): Promise<WireResult<SegmentResultData>> {
    const r = fatal(await settle(async () => (await needEngine()).segment(prompt, callId)));
    if (!r.ok) return r;
    const transfer: Transferable[] = [r.value.mask.data.buffer];
    if (r.value.overlay) transfer.push(r.value.overlay);
    return Comlink.transfer(r, transfer);
  },

  /** Drops refinement state of one object, or all. */
  async clear(objectId?: number): Promise<void> {
    if (engine) (await engine.catch(() => null))?.clear(objectId);
  },

  /** Cancels a queued call. */
  async cancel(callId: number): Promise<void> {
    if (engine) (await engine.catch(() => null))?.cancel(callId);
  },

  /** Test hook: an uncaught error outside any call, as a crash in onnxruntime's callbacks would raise. */
  debugCrash(): void {
    setTimeout(() => {
      throw new Error('sam2-segmenter: debug crash');
    });
  },
};

Comlink.expose(api);

/** The worker's API, for `Comlink.wrap<WorkerApi>()` on the main thread. */
export type WorkerApi = typeof api;
