// The worker's API over an engine core, as comlink exposes it: every method returns a WireResult so that error codes
// survive postMessage (see src/shared/errors.ts), and results go back with their bytes and bitmaps transferred.

import * as Comlink from 'comlink';
import type { EngineCore, ImageInfo, ResultOptions, TrackerOpenOptions, WorkerFrame } from '../engine/engine-core.js';
import type { EngineConfig } from '../shared/engine-config.js';
import type { ProgressCallback } from '../engine/model-load.js';
import { Sam2Error, settle, toWireError, type WireError, type WireResult } from '../shared/errors.js';
import { makeCutout, makeMaskPng, type CodecResult, type CutoutRequest } from '../shared/codecs/encode.js';
import type { MaskPngDepth } from '../shared/codecs/grey-png.js';
import type {
  ReadyInfo,
  SegmentPrompt,
  SegmentResultData,
  TrackFrameData,
  TrackObjectData,
  TrackPrompt,
  TrackPromptData,
  TrackerStats,
} from '../shared/types.js';

/** Mask bytes and bitmaps go back transferred, not copied. */
function transferables(objects: readonly TrackObjectData[]): Transferable[] {
  const t: Transferable[] = [];
  for (const o of objects) {
    t.push(o.mask.data.buffer);
    if (o.overlay) t.push(o.overlay);
  }
  return t;
}

/** Runs `fn` as a WireResult; a WebAssembly trap (out of memory, abort) leaves onnxruntime unusable: the client replaces the worker. */
async function call<T>(fn: () => Promise<T> | T): Promise<WireResult<T>> {
  const r = await settle(fn);
  if (!r.ok && r.error.name === 'RuntimeError') r.error.code = 'worker-crashed';
  return r;
}

/** Where the worker script lives, for defaults resolved against it. */
export interface WorkerApiOptions {
  /** ORT's runtime files (a folder) when the config names none; absent: the files beside the worker (runtime.ts). */
  defaultWasmPaths?: string;
}

/** The API of a worker around `core`. */
export function createWorkerApi(core: EngineCore, options: WorkerApiOptions) {
  return {
    /** Loads the model; resolves with what `ready` reports. */
    async init(
      config: EngineConfig,
      onProgress?: ProgressCallback,
      onWarning?: (warning: WireError) => void,
    ): Promise<WireResult<ReadyInfo>> {
      const warn = onWarning ? (w: Sam2Error) => void onWarning(toWireError(w)) : undefined;
      return call(() =>
        core.init(
          config.wasmPaths === undefined && options.defaultWasmPaths !== undefined ? { ...config, wasmPaths: options.defaultWasmPaths } : config,
          onProgress,
          warn,
        ),
      );
    },

    /** Encodes an image (transferred) and caches its embedding. */
    async setImage(bitmap: ImageBitmap, callId: number): Promise<WireResult<ImageInfo>> {
      return call(() => core.setImage(bitmap, callId));
    },

    /** Segments one object; the mask bytes are transferred back. */
    async segment(prompt: SegmentPrompt, callId: number): Promise<WireResult<SegmentResultData>> {
      const r = await call(() => core.segment(prompt, callId));
      if (!r.ok) return r;
      const transfer: Transferable[] = [r.value.mask.data.buffer];
      if (r.value.overlay) transfer.push(r.value.overlay);
      return Comlink.transfer(r, transfer);
    },

    /** Drops refinement state of one object, or all. */
    async clear(objectId?: number): Promise<void> {
      await core.clear(objectId);
    },

    /** Cancels a queued call. */
    cancel(callId: number): void {
      core.cancel(callId);
    },

    /** Opens a video tracker (loading the memory graphs on first use); `model-contract` for image-only bundles. */
    async trackerOpen(id: number, open: TrackerOpenOptions): Promise<WireResult<void>> {
      return call(() => core.trackerOpen(id, open));
    },

    /** A prompt on one frame of a tracker; the frame (transferred) is closed in the worker. */
    async trackerPrompt(
      id: number,
      frame: number,
      pixels: WorkerFrame | null,
      prompt: TrackPrompt,
      result: ResultOptions,
      callId: number,
    ): Promise<WireResult<TrackPromptData>> {
      const r = await call(() => core.trackerPrompt(id, frame, pixels, prompt, result, callId));
      return r.ok ? Comlink.transfer(r, transferables([r.value])) : r;
    },

    /** Tracks every object of a tracker on one frame (transferred, closed in the worker). */
    async trackerStep(
      id: number,
      frame: number,
      pixels: WorkerFrame,
      direction: 1 | -1,
      result: ResultOptions,
      callId: number,
    ): Promise<WireResult<TrackFrameData>> {
      const r = await call(() => core.trackerStep(id, frame, pixels, direction, result, callId));
      return r.ok ? Comlink.transfer(r, transferables(r.value.objects)) : r;
    },

    async trackerRemoveObject(id: number, objectId: number, callId: number): Promise<WireResult<boolean>> {
      return call(() => core.trackerRemoveObject(id, objectId, callId));
    },

    async trackerStats(id: number, callId: number): Promise<WireResult<TrackerStats>> {
      return call(() => core.trackerStats(id, callId));
    },

    /** Closes a tracker and frees its memory; resolves with its last stats (null when it was not open). */
    async trackerClose(id: number, callId: number): Promise<WireResult<TrackerStats | null>> {
      return call(() => core.trackerClose(id, callId));
    },

    /** Draws recorded COCO RLE masks as alpha bitmaps (a replayed track), off the page's thread. */
    async renderMasks(rles: { size: [number, number]; counts: string }[]): Promise<WireResult<ImageBitmap[]>> {
      const r = await settle(() => core.renderMasks(rles));
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
  };
}

/** The worker's API, for `Comlink.wrap<WorkerApi>()` on the main thread. */
export type WorkerApi = ReturnType<typeof createWorkerApi>;
