// Worker entry: builds the engine core and exposes it with comlink. Every method returns a WireResult so that
// error codes survive postMessage (see src/shared/errors.ts); the main thread imports only `WorkerApi`.

import * as Comlink from 'comlink';
import { loadModel, type EngineConfig, type ProgressCallback } from '../engine/bundle.js';
import { Sam2Error, settle, toWireError, type WireError, type WireResult } from '../shared/errors.js';
import { ImageEngine, alphaBitmap, type ImageInfo } from '../engine/image-engine.js';
import { decodeRle } from '../engine/math/rle.js';
import { makeCutout, makeMaskPng, type CodecResult, type CutoutRequest } from '../engine/codecs/encode.js';
import type { MaskPngDepth } from '../engine/codecs/grey-png.js';
import type { ReadyInfo, SegmentPrompt, SegmentResultData, TrackFrameData, TrackObjectData, TrackPrompt, TrackPromptData, TrackerStats } from '../shared/types.js';
import { VideoEngine, type ResultOptions, type TrackerOpenOptions, type WorkerFrame } from '../engine/video-engine.js';

let engine: Promise<ImageEngine> | null = null;
let video: Promise<VideoEngine> | null = null;

function needVideo(): Promise<VideoEngine> {
  if (!video) throw new Sam2Error('not-ready', 'the worker has no model: init() was not called');
  return video;
}

/** Mask bytes and bitmaps go back transferred, not copied. */
function transferables(objects: readonly TrackObjectData[]): Transferable[] {
  const t: Transferable[] = [];
  for (const o of objects) {
    t.push(o.mask.data.buffer);
    if (o.overlay) t.push(o.overlay);
  }
  return t;
}

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
        video = loading.then((m) => new VideoEngine(m.loadVideo, m.info.contract));
        // A failed load leaves the worker without an engine; the client replaces the worker.
        engine.catch(() => undefined);
        video.catch(() => undefined);
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

  /** Opens a video tracker (loading the memory graphs on first use); `model-contract` for image-only bundles. */
  async trackerOpen(id: number, options: TrackerOpenOptions): Promise<WireResult<void>> {
    return fatal(await settle(async () => (await needVideo()).open(id, options)));
  },

  /** A prompt on one frame of a tracker; the frame (transferred) is closed here. */
  async trackerPrompt(
    id: number,
    frame: number,
    pixels: WorkerFrame | null,
    prompt: TrackPrompt,
    options: ResultOptions,
  ): Promise<WireResult<TrackPromptData>> {
    const r = fatal(await settle(async () => (await needVideo()).prompt(id, frame, pixels, prompt, options)));
    return r.ok ? Comlink.transfer(r, transferables([r.value])) : r;
  },

  /** Tracks every object of a tracker on one frame (transferred, closed here). */
  async trackerStep(id: number, frame: number, pixels: WorkerFrame, direction: 1 | -1, options: ResultOptions): Promise<WireResult<TrackFrameData>> {
    const r = fatal(await settle(async () => (await needVideo()).step(id, frame, pixels, direction, options)));
    return r.ok ? Comlink.transfer(r, transferables(r.value.objects)) : r;
  },

  async trackerRemoveObject(id: number, objectId: number): Promise<WireResult<boolean>> {
    return fatal(await settle(async () => (await needVideo()).removeObject(id, objectId)));
  },

  async trackerStats(id: number): Promise<WireResult<TrackerStats>> {
    return fatal(await settle(async () => (await needVideo()).stats(id)));
  },

  /** Closes a tracker and frees its memory; resolves with its last stats (null when it was not open). */
  async trackerClose(id: number): Promise<WireResult<TrackerStats | null>> {
    return fatal(await settle(async () => (await needVideo()).close(id)));
  },

  /** Draws recorded COCO RLE masks as alpha bitmaps (a replayed track), off the page's thread. */
  async renderMasks(rles: { size: [number, number]; counts: string }[]): Promise<WireResult<ImageBitmap[]>> {
    const r = await settle(async () => {
      const out: ImageBitmap[] = [];
      for (const rle of rles) {
        const [h, w] = rle.size;
        const bitmap = await alphaBitmap(decodeRle(rle), w, h);
        if (!bitmap) throw new Sam2Error('not-ready', 'this browser cannot make bitmaps in a worker');
        out.push(bitmap);
      }
      return out;
    });
    return r.ok ? Comlink.transfer(r, r.value) : r;
  },

  /** A cut-out of the media sent (its bitmaps transferred, closed here) by the mask sent. Needs no model. */
  async encodeCutout(request: CutoutRequest): Promise<WireResult<CodecResult>> {
    return settle(() => makeCutout(request));
  },

  /** A mask as a greyscale PNG. Needs no model. */
  async encodeMaskPng(mask: { width: number; height: number; data: Uint8Array }, depth: MaskPngDepth): Promise<WireResult<CodecResult>> {
    return settle(() => makeMaskPng(mask, depth));
  },

  /** Open trackers in this worker (tests: stopping a session frees its tracker). */
  async trackerCount(): Promise<number> {
    return video ? ((await video.catch(() => null))?.openCount ?? 0) : 0;
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
