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
  MaskOverlay,
  ReadyInfo,
  SegmentPrompt,
  SegmentResultData,
  TrackFrameData,
  TrackObjectData,
  TrackPrompt,
  TrackPromptData,
  TrackerStats,
} from '../shared/types.js';
import { MediaEngine } from '../engine/media/media-engine.js';
import { exportVideo } from '../engine/media/export-video.js';
import type { ClipInfo, VideoExportProgress, VideoExportRequest } from '../shared/media-types.js';

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
  /** Clips demuxed and decoded here (mediabunny + WebCodecs), and the exports running on them. */
  const media = new MediaEngine();
  const exports = new Map<number, AbortController>();
  return {
    /** Answers at once: the page's watchdog tells a busy worker from a dead one by it. */
    async ping(): Promise<true> {
      return true;
    },

    /** Loads the model; resolves with what `ready` reports. */
    async init(
      config: EngineConfig,
      onProgress?: ProgressCallback,
      onWarning?: (warning: WireError) => void,
    ): Promise<WireResult<ReadyInfo>> {
      const warn = onWarning ? (w: Sam2Error) => void onWarning(toWireError(w)) : undefined;
      return call(() =>
        core.init(
          config.wasmPaths === undefined && options.defaultWasmPaths !== undefined
            ? { ...config, wasmPaths: options.defaultWasmPaths }
            : config,
          onProgress,
          warn,
        ),
      );
    },

    /** Encodes an image (a bitmap transferred, or a Blob decoded here) and caches its embedding. */
    async setImage(image: ImageBitmap | Blob, callId: number): Promise<WireResult<ImageInfo>> {
      return call(() => core.setImage(image, callId));
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

    /** Opens a clip (URL or Blob) for frame-exact reading here; `media-decode` when it cannot be demuxed or decoded. */
    async clipOpen(id: number, source: Blob | string): Promise<WireResult<ClipInfo>> {
      return settle(() => media.open(id, source));
    },

    async clipClose(id: number): Promise<void> {
      exports.get(id)?.abort();
      await media.close(id).catch(() => undefined);
    },

    /** Frame `index` of a clip as a bitmap (cut-outs re-read their frame this way). */
    async clipFrame(id: number, index: number): Promise<WireResult<ImageBitmap>> {
      const r = await settle(() => media.bitmap(id, index));
      return r.ok ? Comlink.transfer(r, [r.value]) : r;
    },

    /** A prompt on frame `frame` of a clip decoded here (decoded before the command is queued). */
    async trackerPromptClip(
      id: number,
      clipId: number,
      frame: number,
      prompt: TrackPrompt,
      result: ResultOptions,
      callId: number,
    ): Promise<WireResult<TrackPromptData>> {
      const r = await call(async () =>
        core.trackerPrompt(id, frame, await media.frame(clipId, frame), prompt, result, callId),
      );
      return r.ok ? Comlink.transfer(r, transferables([r.value])) : r;
    },

    /** Tracks frame `frame` of a clip decoded here (the reader decodes the next frames meanwhile). */
    async trackerStepClip(
      id: number,
      clipId: number,
      frame: number,
      direction: 1 | -1,
      result: ResultOptions,
      callId: number,
    ): Promise<WireResult<TrackFrameData>> {
      const r = await call(async () =>
        core.trackerStep(id, frame, await media.frame(clipId, frame), direction, result, callId),
      );
      return r.ok ? Comlink.transfer(r, transferables(r.value.objects)) : r;
    },

    /** Writes the clip with its masks as a WebM (see engine/media/export-video.ts). */
    async clipExport(
      id: number,
      request: VideoExportRequest,
      onProgress?: (p: VideoExportProgress) => void,
    ): Promise<WireResult<Blob>> {
      return settle(async () => {
        if (exports.has(id)) throw new Sam2Error('not-ready', 'this clip is already being exported');
        const abort = new AbortController();
        exports.set(id, abort);
        try {
          const progress = onProgress ? (p: VideoExportProgress) => void onProgress(p) : undefined;
          return await media.run(id, (reader) =>
            exportVideo(
              reader,
              request,
              progress ? { onProgress: progress, signal: abort.signal } : { signal: abort.signal },
            ),
          );
        } finally {
          exports.delete(id);
        }
      });
    },

    async clipExportCancel(id: number): Promise<void> {
      exports.get(id)?.abort();
    },

    /** Draws recorded COCO RLE masks as alpha bitmaps of their boxes (a replayed track), off the page's thread. */
    async renderMasks(rles: { size: [number, number]; counts: string }[]): Promise<WireResult<MaskOverlay[]>> {
      const r = await settle(() => core.renderMasks(rles));
      return r.ok
        ? Comlink.transfer(
            r,
            r.value.map((m) => m.bitmap),
          )
        : r;
    },

    /** A cut-out of the media sent (its bitmaps transferred, closed here) by the mask sent. Needs no model. */
    async encodeCutout(request: CutoutRequest): Promise<WireResult<CodecResult>> {
      return settle(() => makeCutout(request));
    },

    /** A mask as a greyscale PNG. Needs no model. */
    async encodeMaskPng(
      mask: { width: number; height: number; data: Uint8Array },
      depth: MaskPngDepth,
    ): Promise<WireResult<CodecResult>> {
      return settle(() => makeMaskPng(mask, depth));
    },
  };
}

/** The worker's API, for `Comlink.wrap<WorkerApi>()` on the main thread. */
export type WorkerApi = ReturnType<typeof createWorkerApi>;

/** What a worker posts once it listens: the page waits for it before its first message (see WorkerBridge). */
export const WORKER_HELLO = 'sam2-segmenter:hello';

/**
 * Exposes `api` on this worker and says hello. A host's wrapper worker may import ours after a top-level await; the
 * page then must not post before we listen, so it waits for this hello.
 *
 * The hello names a Web Lock this worker holds for as long as it lives: a worker closed by itself or by the browser
 * raises no event on the page, but its locks are released, so the page learns of its end at once (WorkerBridge).
 * Without Web Locks (an insecure context) the hello names none and the page's watchdog is the only bound.
 */
export function exposeWorkerApi(api: object): void {
  Comlink.expose(api);
  const hello = (lock?: string): void =>
    (self as unknown as { postMessage(m: unknown): void }).postMessage({ [WORKER_HELLO]: true, lock });
  const locks = (self.navigator as Navigator | undefined)?.locks;
  if (!locks) return hello();
  const name = `${WORKER_HELLO}:${crypto.randomUUID()}`;
  let held = false;
  locks
    .request(name, () => {
      held = true;
      hello(name);
      // Held until this worker ends.
      return new Promise<never>(() => undefined);
    })
    .catch(() => {
      if (!held) hello();
    });
}
