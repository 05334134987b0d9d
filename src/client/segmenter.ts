// The main-thread client and worker bridge (after Squoosh's): the worker starts on the first call, calls are posted
// in order, every call takes an AbortSignal, and a worker that dies is replaced on the next call, which re-sends
// the model config and the current image. Only the worker's type is imported here; no model code runs on the
// main thread.

import * as Comlink from 'comlink';
import type { WorkerApi } from '../workers/sam2.worker.js';
import type { EngineConfig } from '../engine/bundle.js';
import { getAssetLocations } from './assets.js';
import { requestPersistentStorage, type StorageFault } from '../shared/cache.js';
import { Sam2Error, abortedError, fromWireError, isSam2Error, unwrap, type WireError, type WireResult } from '../shared/errors.js';
import { resolveModel, type PresetName } from './presets.js';
import { localMaskCodec, type CutoutRequest, type MaskCodec } from './mask.js';
import type {
  DeviceOption,
  ImageEncodeTimings,
  ModelProgress,
  ReadyInfo,
  SegmentPrompt,
  SegmentResultData,
  TrackFrameData,
  TrackPrompt,
  TrackPromptData,
  TrackerStats,
} from '../shared/types.js';

/** Anything `setImage()` accepts. */
export type ImageSource = ImageBitmap | Blob | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | ImageData;

/** Options of `createSegmenter()`. */
export interface SegmenterOptions {
  /** A preset (`twin` default, `tiny`, `small`, `base-plus`, `large`), a manifest URL or an onnx-community repository base URL. */
  model?: PresetName | (string & {}) | URL;
  /** Backend: `auto` (default) tries WebGPU, then WASM. */
  device?: DeviceOption;
  /** onnx-community dtype suffix or name (`''`/`fp32` default, `fp16`, `q8`, ...); ignored for manifests. */
  dtype?: string;
  /** Keep downloaded models and ORT's .wasm in IndexedDB (default true); false downloads on every load. */
  cache?: boolean;
  /** Ask the browser to make this origin's storage persistent (default false). */
  persistStorage?: boolean;
  /** Aborting stops the model download (rejecting `ready` with code `aborted`) and disposes the segmenter. */
  signal?: AbortSignal;
  /** Non-fatal problems, e.g. code `storage` when caching was skipped. */
  onWarning?: (warning: Sam2Error) => void;
  /** URL prefix of onnxruntime-web's .wasm/.mjs files; defaults to `setAssetLocations`' `wasmPaths`, else the worker script's folder. */
  wasmPaths?: string | URL;
  /** Worker script URL, for hosts that serve it elsewhere; defaults to `setAssetLocations`' `workerUrl`, else the package's. */
  workerUrl?: string | URL;
  /** Model load progress. */
  onProgress?: (p: ModelProgress) => void;
}

/** Options every call takes. */
export interface CallOptions {
  /** Aborting rejects the call with code `aborted`; a call the worker has already started runs to its end. */
  signal?: AbortSignal;
}

/** Natural size of the image set, and where its encode spent its time. */
export interface ImageSize {
  width: number;
  height: number;
  timings: ImageEncodeTimings;
}

/**
 * A video frame for a tracker. A `VideoFrame` or `ImageBitmap` is transferred to the worker (the caller gives it up);
 * anything else is copied into a new ImageBitmap first.
 */
export type FrameInput =
  | VideoFrame
  | ImageBitmap
  | HTMLVideoElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLImageElement
  | ImageData;

/** Options of `openTracker()`. */
export interface TrackerOptions extends CallOptions {
  /** Frames in the clip (bounds SAM 2's object-pointer window); leave out for live streams. */
  numFrames?: number;
}

/** Options of a tracker's frame calls. */
export interface TrackCallOptions extends CallOptions {
  /** Also return each mask as an alpha ImageBitmap for drawing (default false). */
  overlay?: boolean;
}

/**
 * A SAM 2 video tracker in the worker (sam2-reference.md §3): prompts make conditioning frames or corrections, every
 * `track()` runs the image encoder once and each object through memory attention, the decoder and the memory encoder.
 */
export interface Tracker {
  /** A prompt for one object on frame `frame`; `pixels` is that frame. A new `objectId` adds an object. */
  addPrompt(frame: number, pixels: FrameInput, prompt: TrackPrompt, options?: TrackCallOptions): Promise<TrackPromptData>;
  /** Tracks every prompted object on frame `frame` (direction 1 forward, -1 backward). */
  track(frame: number, pixels: FrameInput, direction?: 1 | -1, options?: TrackCallOptions): Promise<TrackFrameData>;
  /** Forgets one object and its memory; false when it was not tracked. */
  removeObject(objectId: number, options?: CallOptions): Promise<boolean>;
  /** Memory held and time spent per graph. */
  stats(options?: CallOptions): Promise<TrackerStats>;
  /** Frees the tracker's memory in the worker; resolves with its last stats (null if it was already gone). */
  close(): Promise<TrackerStats | null>;
}

/** Headless SAM 2 image segmentation, backed by a module worker. */
export interface Segmenter {
  /** Resolves when the model is loaded (reading it starts the worker); rejects with a coded Sam2Error. */
  readonly ready: Promise<ReadyInfo>;
  /** Encodes an image once; later prompts reuse its embedding. */
  setImage(source: ImageSource, options?: CallOptions): Promise<ImageSize>;
  /** Segments one object of the current image; a newer call for the same object supersedes a queued one. */
  segment(prompt: SegmentPrompt, options?: CallOptions): Promise<SegmentResultData>;
  /** Forgets the refinement state of one object, or of all. */
  clear(objectId?: number, options?: CallOptions): Promise<void>;
  /**
   * Opens a video tracker; rejects with `model-contract` when the model has no video graphs. The memory graphs
   * download on the first call.
   */
  openTracker(options?: TrackerOptions): Promise<Tracker>;
  /** Draws COCO RLE masks (e.g. a recorded track) as alpha bitmaps in the worker; the caller closes them. */
  renderMasks(rles: readonly { size: [number, number]; counts: string }[], options?: CallOptions): Promise<ImageBitmap[]>;
  /**
   * Makes masks' image files (cut-outs, grey PNGs) in the worker; the masks this SDK hands out use it. After
   * `dispose()` it encodes on the page instead, so masks outlive their segmenter.
   */
  readonly maskCodec: MaskCodec;
  /** Terminates the worker and rejects pending calls; the segmenter cannot be used afterwards. */
  dispose(): void;
}

/** Test-only options; not part of the public API. */
export interface SegmenterTestOptions extends SegmenterOptions {
  /** Simulate a storage failure in the worker's model cache. */
  __storageFault?: StorageFault;
}

/** Test hooks; not part of the public API. */
export interface SegmenterDebugHooks {
  /** Terminates the worker as a crash would. */
  __debugKillWorker(): void;
  /** Makes the worker throw an uncaught error (its `error` event fires). */
  __debugCrashWorker(): Promise<void>;
  /** Trackers open in the worker. */
  __debugTrackerCount(): Promise<number>;
}

type Remote = Comlink.Remote<WorkerApi>;

async function toBitmap(source: ImageSource): Promise<ImageBitmap> {
  try {
    if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement && !(source.complete && source.naturalWidth > 0)) {
      await source.decode();
    }
    // Always a new bitmap: the caller keeps its own source, and ours is transferred to the worker.
    return await createImageBitmap(source);
  } catch (e) {
    if (isSam2Error(e)) throw e;
    throw new Sam2Error('media-decode', `the image could not be decoded: ${String(e)}`, { cause: e });
  }
}

/**
 * A frame as the worker takes it: VideoFrames and ImageBitmaps as they are, a video's current frame as a VideoFrame
 * (no copy) where WebCodecs can, anything else copied to a bitmap.
 */
async function toWorkerFrame(pixels: FrameInput): Promise<VideoFrame | ImageBitmap> {
  if (typeof VideoFrame !== 'undefined' && pixels instanceof VideoFrame) return pixels;
  if (typeof ImageBitmap !== 'undefined' && pixels instanceof ImageBitmap) return pixels;
  try {
    if (typeof VideoFrame !== 'undefined' && typeof HTMLVideoElement !== 'undefined' && pixels instanceof HTMLVideoElement) {
      try {
        return new VideoFrame(pixels);
      } catch (e) {
        // Chromium refuses a VideoFrame of a video whose frame has not been painted yet; a bitmap still works.
        if (!(e instanceof DOMException && e.name === 'InvalidStateError')) throw e;
      }
    }
    return await createImageBitmap(pixels);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'SecurityError') {
      throw new Sam2Error('media-cross-origin', 'the video frame is cross-origin without CORS and cannot be read', { cause: e });
    }
    throw new Sam2Error('media-decode', `the video frame could not be read: ${String(e)}`, { cause: e });
  }
}

/** The bitmaps of a cut-out request, transferred to the worker with it. */
function cutoutBitmaps(request: CutoutRequest): ImageBitmap[] {
  const out: ImageBitmap[] = [];
  if (request.source instanceof ImageBitmap) out.push(request.source);
  const bg = request.background;
  if (bg && 'image' in bg) out.push(bg.image);
  return out;
}

function absolute(url: string | URL): string {
  return new URL(String(url), globalThis.location?.href).href;
}

class WorkerSegmenter implements Segmenter, SegmenterDebugHooks {
  private worker: Worker | null = null;
  private remote: Remote | null = null;
  private loading: Promise<ReadyInfo> | null = null;
  private failLoading: ((e: Error) => void) | null = null;
  /** Reject functions of calls posted to the current worker. */
  private readonly inFlight = new Set<(e: Error) => void>();
  /** Reject functions of every unsettled call. */
  private readonly pending = new Set<(e: Error) => void>();
  /** Our copy of the current image, re-sent to a replacement worker. */
  private image: ImageBitmap | null = null;
  /** Calls are posted one after another; the worker runs them in that order. */
  private sendTail: Promise<unknown> = Promise.resolve();
  private nextCallId = 1;
  private nextTrackerId = 1;
  private disposed = false;
  /** Whether the current worker has been given `image` (false after a restart). */
  private imageSent = true;

  constructor(
    private readonly config: EngineConfig,
    private readonly workerUrl: string | undefined,
    private readonly onProgress: ((p: ModelProgress) => void) | undefined,
    private readonly onWarning?: (warning: Sam2Error) => void,
  ) {}

  get ready(): Promise<ReadyInfo> {
    if (this.disposed) return Promise.reject(new Sam2Error('aborted', 'the segmenter was disposed'));
    return this.start();
  }

  setImage(source: ImageSource, options: CallOptions = {}): Promise<ImageSize> {
    const t0 = performance.now();
    return this.call<Omit<ImageSize, 'timings'> & { timings: Omit<ImageEncodeTimings, 'total'> }>(options.signal, async (remote, callId) => {
      const bitmap = await toBitmap(source);
      this.image?.close();
      this.image = bitmap;
      this.imageSent = true;
      const copy = await createImageBitmap(bitmap);
      return { result: remote.setImage(Comlink.transfer(copy, [copy]), callId) };
    }).then((info) => ({ width: info.width, height: info.height, timings: { ...info.timings, total: performance.now() - t0 } }));
  }

  segment(prompt: SegmentPrompt, options: CallOptions = {}): Promise<SegmentResultData> {
    return this.call(options.signal, async (remote, callId) => ({ result: remote.segment(prompt, callId) }));
  }

  clear(objectId?: number, options: CallOptions = {}): Promise<void> {
    return this.call(options.signal, async (remote) => ({
      result: remote.clear(objectId).then((): WireResult<void> => ({ ok: true, value: undefined })),
    }));
  }

  async openTracker(options: TrackerOptions = {}): Promise<Tracker> {
    const id = this.nextTrackerId++;
    let opened: Remote | null = null;
    const open: { numFrames?: number } = {};
    if (options.numFrames !== undefined) open.numFrames = options.numFrames;
    await this.call(options.signal, async (remote) => {
      opened = remote;
      return { result: remote.trackerOpen(id, open) };
    });
    // Trackers live in one worker: after a restart their memory is gone.
    const live = (remote: Remote): void => {
      if (remote !== opened) throw new Sam2Error('worker-crashed', 'the worker restarted: the tracker lost its memory, start a new one');
    };
    let closed = false;
    const isOpen = (): void => {
      if (closed) throw new Sam2Error('aborted', 'the tracker was closed');
    };
    // The frame is read now, not when the call comes up in the queue: a playing video will have moved on by then.
    const withFrame = <T>(pixels: FrameInput, signal: AbortSignal | undefined, post: (remote: Remote, f: VideoFrame | ImageBitmap) => Promise<WireResult<T>>): Promise<T> => {
      const framing = toWorkerFrame(pixels);
      framing.catch(() => undefined);
      const release = (): void => {
        framing.then((f) => f.close(), () => undefined);
      };
      return this.call<T>(signal, async (remote) => {
        const f = await framing;
        isOpen();
        live(remote);
        return { result: post(remote, Comlink.transfer(f, [f])) };
      }).catch((e: unknown) => {
        // Not posted (or failed): a frame that was never transferred is closed here; closing a transferred one is a no-op.
        release();
        throw e;
      });
    };
    return {
      addPrompt: (frame, pixels, prompt, o = {}) =>
        withFrame(pixels, o.signal, (remote, f) => remote.trackerPrompt(id, frame, f, prompt, { overlay: o.overlay === true })),
      track: (frame, pixels, direction = 1, o = {}) =>
        withFrame(pixels, o.signal, (remote, f) => remote.trackerStep(id, frame, f, direction, { overlay: o.overlay === true })),
      removeObject: (objectId, o = {}) =>
        this.call(o.signal, async (remote) => {
          isOpen();
          live(remote);
          return { result: remote.trackerRemoveObject(id, objectId) };
        }),
      stats: (o = {}) =>
        this.call(o.signal, async (remote) => {
          isOpen();
          live(remote);
          return { result: remote.trackerStats(id) };
        }),
      close: () => {
        if (closed) return Promise.resolve(null);
        closed = true;
        // Nothing to free when the worker that held it is gone.
        if (!this.remote || this.remote !== opened || this.disposed) return Promise.resolve(null);
        return this.call(undefined, async (remote) => {
          if (remote !== opened) return { result: Promise.resolve({ ok: true as const, value: null }) };
          return { result: remote.trackerClose(id) };
        });
      },
    };
  }

  renderMasks(rles: readonly { size: [number, number]; counts: string }[], options: CallOptions = {}): Promise<ImageBitmap[]> {
    return this.call(options.signal, async (remote) => ({ result: remote.renderMasks(rles.map((r) => ({ size: r.size, counts: r.counts }))) }));
  }

  readonly maskCodec: MaskCodec = {
    cutout: (request) => {
      if (this.disposed) return localMaskCodec.cutout(request);
      const bitmaps = cutoutBitmaps(request);
      return this.call(undefined, async (remote) => ({ result: remote.encodeCutout(Comlink.transfer(request, bitmaps)) })).catch((e: unknown) => {
        // Not posted, or the worker died with it: closing a bitmap that was transferred is a no-op.
        for (const b of bitmaps) b.close();
        throw e;
      });
    },
    maskPng: (mask, depth) => {
      if (this.disposed) return localMaskCodec.maskPng(mask, depth);
      return this.call(undefined, async (remote) => ({ result: remote.encodeMaskPng(mask, depth) }));
    },
  };

  async __debugTrackerCount(): Promise<number> {
    if (!this.remote) return 0;
    return this.remote.trackerCount();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.teardown(new Sam2Error('aborted', 'the segmenter was disposed'));
    const err = new Sam2Error('aborted', 'the segmenter was disposed');
    for (const fail of [...this.pending]) fail(err);
    this.image?.close();
    this.image = null;
  }

  __debugKillWorker(): void {
    this.teardown(new Sam2Error('worker-crashed', 'the worker was terminated'));
  }

  async __debugCrashWorker(): Promise<void> {
    await this.start().catch(() => undefined);
    await this.remote?.debugCrash();
  }

  /** Starts a worker and loads the model, unless one is running or loading. */
  private start(): Promise<ReadyInfo> {
    if (this.loading) return this.loading;
    const worker = this.workerUrl
      ? new Worker(this.workerUrl, { type: 'module' })
      : new Worker(new URL('../workers/sam2.worker.js', import.meta.url), { type: 'module' });
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      if (this.worker === worker) {
        this.teardown(new Sam2Error('worker-crashed', `the worker failed: ${e.message || 'script error or crash'}`));
      }
    });
    const remote = Comlink.wrap<WorkerApi>(worker);
    this.worker = worker;
    this.remote = remote;

    const progress = this.onProgress ? Comlink.proxy(this.onProgress) : undefined;
    const onWarning = this.onWarning;
    const warning = onWarning ? Comlink.proxy((w: WireError) => onWarning(fromWireError(w) as Sam2Error)) : undefined;
    const loading = new Promise<ReadyInfo>((resolve, reject) => {
      // A terminated worker never answers: teardown() rejects the load through this hook.
      this.failLoading = reject;
      remote.init(this.config, progress, warning).then((r) => {
        try {
          resolve(unwrap(r));
        } catch (e) {
          reject(e);
        }
      }, reject);
    });
    this.loading = loading;
    this.imageSent = false;
    loading.catch((e: unknown) => {
      // A failed load is not sticky: the next call starts a fresh worker and tries again.
      if (this.loading === loading) this.teardown(e instanceof Error ? e : new Error(String(e)));
    });
    return loading;
  }

  /** The loaded worker, after re-sending the current image to a replacement worker. Runs inside the send chain. */
  private async ensure(): Promise<Remote | null> {
    await this.start();
    const remote = this.remote;
    if (remote && !this.imageSent && this.image) {
      this.imageSent = true;
      const copy = await createImageBitmap(this.image);
      // Its outcome is not awaited: the worker runs calls in order, so the next one sees this image.
      void remote.setImage(Comlink.transfer(copy, [copy]), 0);
    }
    return remote;
  }

  /** Stops the current worker and fails the calls it was running with `reason`. */
  private teardown(reason: Error): void {
    const worker = this.worker;
    const remote = this.remote;
    this.worker = null;
    this.remote = null;
    this.loading = null;
    this.failLoading?.(reason);
    this.failLoading = null;
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
    for (const fail of [...this.inFlight]) fail(reason);
  }

  /**
   * Queues one call: it is posted after every earlier call has been posted (not completed), and once the model is
   * loaded. `post` prepares its arguments, posts, and resolves with the pending result without waiting for it, so
   * posting order is call order while the worker's queue does the waiting.
   */
  private call<T>(
    signal: AbortSignal | undefined,
    post: (remote: Remote, callId: number) => Promise<{ result: Promise<WireResult<T>> }>,
  ): Promise<T> {
    if (this.disposed) return Promise.reject(new Sam2Error('aborted', 'the segmenter was disposed'));
    if (signal?.aborted) return Promise.reject(abortedError());
    const callId = this.nextCallId++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let sentTo: Remote | null = null;
      const done = (): boolean => {
        if (settled) return false;
        settled = true;
        this.pending.delete(fail);
        this.inFlight.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (e: Error): void => {
        if (done()) reject(e);
      };
      const onAbort = (): void => {
        fail(abortedError());
        // Still queued in the worker: skip it there too.
        if (sentTo && sentTo === this.remote) void sentTo.cancel(callId);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(fail);

      const step = this.sendTail.then(async () => {
        if (settled) return;
        const remote = await this.ensure();
        if (settled || !remote) return;
        const { result } = await post(remote, callId);
        sentTo = remote;
        this.inFlight.add(fail);
        result.then(
          (r) => {
            if (!done()) return;
            try {
              resolve(unwrap(r));
            } catch (e) {
              reject(e);
              // onnxruntime trapped: this worker is unusable, replace it on the next call.
              if (isSam2Error(e, 'worker-crashed') && this.remote === remote) this.teardown(e);
            }
          },
          (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
        );
      });
      // A step fails only when the model does not load (or the source cannot be decoded): fail this call with it.
      step.catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
      this.sendTail = step.catch(() => undefined);
    });
  }
}

/** What a segmenter created now with these options would load, and from where. */
export interface ResolvedSegmenterConfig {
  /** The worker's load config, with every URL absolute. */
  config: EngineConfig;
  /** The worker script; undefined for the package's own. */
  workerUrl?: string;
}

/**
 * Resolves options into what the worker loads: each asset location is the option if given, else the page-wide
 * override (`setAssetLocations`), else the package default (left undefined here, resolved by the worker).
 */
export function resolveSegmenterConfig(options: SegmenterOptions = {}): ResolvedSegmenterConfig {
  const globals = getAssetLocations();
  const resolved = resolveModel(options.model, options.dtype);
  const config: EngineConfig = { model: resolved.url, device: options.device ?? 'auto' };
  if (resolved.dtype !== undefined) config.dtype = resolved.dtype;
  const wasmPaths = options.wasmPaths !== undefined && options.wasmPaths !== '' ? absolute(options.wasmPaths) : globals.wasmPaths;
  if (wasmPaths !== undefined) config.wasmPaths = wasmPaths;
  if (options.cache === false) config.cache = false;
  const fault = (options as SegmenterTestOptions).__storageFault;
  if (fault) config.storageFault = fault;
  const workerUrl = options.workerUrl !== undefined && options.workerUrl !== '' ? absolute(options.workerUrl) : globals.workerUrl;
  return workerUrl === undefined ? { config } : { config, workerUrl };
}

/** Creates a segmenter; the worker and the model load on first use (or when `ready` is read). */
export function createSegmenter(options: SegmenterOptions = {}): Segmenter {
  const { config, workerUrl } = resolveSegmenterConfig(options);
  if (options.persistStorage) void requestPersistentStorage();
  const segmenter = new WorkerSegmenter(config, workerUrl, options.onProgress, options.onWarning);
  // Aborting terminates the worker, which stops its downloads at once; nothing partial is ever cached.
  const signal = options.signal;
  if (signal?.aborted) segmenter.dispose();
  else signal?.addEventListener('abort', () => segmenter.dispose(), { once: true });
  return segmenter;
}
