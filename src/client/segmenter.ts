// The main-thread client: `createSegmenter()` and its options over the one worker bridge (worker-bridge.ts: lazy
// start, one queue, AbortSignal, restart on crash). A replacement worker gets the model config and the current image
// again. Only the worker's type is imported here; no model code runs on the main thread.

import * as Comlink from 'comlink';
import type { WorkerApi } from '../workers/sam2.worker.js';
import type { EngineConfig } from '../shared/engine-config.js';
import { getAssetLocations } from './assets.js';
import { requestPersistentStorage } from '../shared/cache.js';
import { WorkerBridge } from './worker-bridge.js';
import { startWorker } from './worker-start.js';
import { Sam2Error, fromWireError, mediaReadError, unwrap, type WireError, type WireResult } from '../shared/errors.js';
import { resolveModel, type PresetName } from './presets.js';
import { Sam2Mask, localMaskCodec, type CutoutRequest, type MaskCodec } from './mask.js';
import { clipRemotes, isVideoClip, openClipVia, type VideoClip } from './clip.js';
import type {
  DeviceOption,
  ImageEncodeTimings,
  MaskOverlay,
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
  /**
   * How long the worker may stay silent while calls wait on it before it is declared crashed (`worker-crashed`) and
   * replaced on the next call (default 120000 ms; a busy worker answers between runs, so keep it above your longest
   * single inference).
   */
  workerTimeoutMs?: number;
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
  VideoFrame | ImageBitmap | HTMLVideoElement | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement | ImageData;

/** Options of `openTracker()`. */
export interface TrackerOptions extends CallOptions {
  /** Frames in the clip (bounds SAM 2's object-pointer window); leave out for live streams. */
  numFrames?: number;
  /**
   * How many frames behind the latest tracked one a correction is exact: the tracker keeps every memory, pointer
   * and mask of those frames (about 0.8 MB per frame and object on SAM 2.1; `memoryStats()` reports it). Further
   * back, a prompt starts a new conditioning frame. Default 0 (a correction on the latest frame is always exact);
   * `Infinity` keeps the whole clip.
   */
  history?: number;
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
  addPrompt(
    frame: number,
    pixels: FrameInput | VideoClip,
    prompt: TrackPrompt,
    options?: TrackCallOptions,
  ): Promise<TrackPromptData>;
  /** Tracks every prompted object on frame `frame` (direction 1 forward, -1 backward). */
  /** A clip's frame (a `VideoClip` as `pixels`) is decoded in the worker. */
  track(
    frame: number,
    pixels: FrameInput | VideoClip,
    direction?: 1 | -1,
    options?: TrackCallOptions,
  ): Promise<TrackFrameData>;
  /** Forgets one object and its memory; false when it was not tracked. */
  removeObject(objectId: number, options?: CallOptions): Promise<boolean>;
  /** Memory held and time spent per graph. */
  stats(options?: CallOptions): Promise<TrackerStats>;
  /** Frees the tracker's memory in the worker; resolves with its last stats (null if it was already gone). */
  close(): Promise<TrackerStats | null>;
}

/** One object's segmentation: `score` is the predicted IoU, `objectScore` the object logit, `mask` a Sam2Mask. */
export interface SegmentResult extends Omit<SegmentResultData, 'mask'> {
  /** The mask at the image's natural size, with its exports (PNG, RLE, polygons; cut-outs need a source). */
  mask: Sam2Mask;
}

/** Headless SAM 2 image segmentation, backed by a module worker. */
export interface Segmenter {
  /** Resolves when the model is loaded (reading it starts the worker); rejects with a coded Sam2Error. */
  readonly ready: Promise<ReadyInfo>;
  /** Encodes an image once; later prompts reuse its embedding. */
  setImage(source: ImageSource, options?: CallOptions): Promise<ImageSize>;
  /** Segments one object of the current image; a newer call for the same object supersedes a queued one. */
  segment(prompt: SegmentPrompt, options?: CallOptions): Promise<SegmentResult>;
  /** Forgets the refinement state of one object, or of all. */
  clear(objectId?: number, options?: CallOptions): Promise<void>;
  /**
   * Opens a video tracker; rejects with `model-contract` when the model has no video graphs. The memory graphs
   * download on the first call.
   */
  openTracker(options?: TrackerOptions): Promise<Tracker>;
  /** Opens a clip (URL or Blob) in the worker: demuxed and decoded there; `media-decode` when it cannot be. */
  openClip(source: Blob | string | URL, options?: CallOptions): Promise<VideoClip>;
  /** Draws COCO RLE masks (a recorded track) in the worker as alpha bitmaps of their `bbox`; the caller closes them. */
  renderMasks(
    rles: readonly { size: [number, number]; counts: string }[],
    options?: CallOptions,
  ): Promise<MaskOverlay[]>;
  /**
   * Makes masks' image files (cut-outs, grey PNGs) in the worker; the masks this SDK hands out use it. After
   * `dispose()` it encodes on the page instead, so masks outlive their segmenter.
   */
  readonly maskCodec: MaskCodec;
  /** Terminates the worker and rejects pending calls; the segmenter cannot be used afterwards. */
  dispose(): void;
}

type Remote = Comlink.Remote<WorkerApi>;

/** An image as setImage() sends it: a Blob as it is, a bitmap transferred (the worker closes it). */
function onTheWire(image: ImageBitmap | Blob): ImageBitmap | Blob {
  return image instanceof Blob ? image : Comlink.transfer(image, [image]);
}

/**
 * What setImage() posts, and what the page keeps to re-send to a restarted worker. Chromium reads a GPU-backed
 * ImageBitmap back on this thread when a copy of it is made or posted (0.2 s for 4000x3000), but not a bitmap made
 * straight from a canvas or an <img>, nor a Blob: so Blobs go as they are (the worker decodes them) and are kept as
 * they are, an <img> is kept by reference, and only an ImageBitmap source costs a copy.
 */
async function imageForWorker(source: ImageSource): Promise<{ posted: ImageBitmap | Blob; kept: ImageSource }> {
  try {
    if (source instanceof Blob) return { posted: source, kept: source };
    if (
      typeof HTMLImageElement !== 'undefined' &&
      source instanceof HTMLImageElement &&
      !(source.complete && source.naturalWidth > 0)
    ) {
      await source.decode();
    }
    const posted = await createImageBitmap(source);
    const byReference = typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement;
    return { posted, kept: byReference ? source : await createImageBitmap(source) };
  } catch (e) {
    throw mediaReadError(e, 'the image');
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
    if (
      typeof VideoFrame !== 'undefined' &&
      typeof HTMLVideoElement !== 'undefined' &&
      pixels instanceof HTMLVideoElement
    ) {
      try {
        return new VideoFrame(pixels);
      } catch (e) {
        // Chromium refuses a VideoFrame of a video whose frame has not been painted yet; a bitmap still works.
        if (!(e instanceof DOMException && e.name === 'InvalidStateError')) throw e;
      }
    }
    return await createImageBitmap(pixels);
  } catch (e) {
    throw mediaReadError(e, 'the video frame');
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

class WorkerSegmenter implements Segmenter {
  readonly #bridge: WorkerBridge<WorkerApi, ReadyInfo>;
  /** Our copy of the current image (or the Blob or <img> it came from), re-sent to a replacement worker. */
  #image: ImageSource | null = null;
  #nextTrackerId = 1;

  constructor(
    config: EngineConfig,
    workerUrl: string | undefined,
    onProgress?: (p: ModelProgress) => void,
    onWarning?: (warning: Sam2Error) => void,
    workerTimeoutMs?: number,
  ) {
    this.#bridge = new WorkerBridge<WorkerApi, ReadyInfo>({
      createWorker: () => startWorker(workerUrl),
      init: async (remote) => {
        const progress = onProgress ? Comlink.proxy(onProgress) : undefined;
        const warning = onWarning
          ? Comlink.proxy((w: WireError) => onWarning(fromWireError(w) as Sam2Error))
          : undefined;
        return unwrap(await remote.init(config, progress, warning));
      },
      restore: async (remote) => {
        const image = this.#image;
        if (!image) return;
        const copy = image instanceof Blob ? image : await createImageBitmap(image);
        // Not awaited: the worker runs commands in order, so the next one sees this image.
        void remote.setImage(onTheWire(copy), 0);
      },
      cancel: (remote, callId) => void remote.cancel(callId),
      ping: (remote) => remote.ping(),
      ...(workerTimeoutMs !== undefined ? { silenceMs: workerTimeoutMs } : {}),
    });
  }

  get ready(): Promise<ReadyInfo> {
    return this.#bridge.ready();
  }

  setImage(source: ImageSource, options: CallOptions = {}): Promise<ImageSize> {
    const t0 = performance.now();
    // 'media': a tainted canvas or cross-origin image fails to read (SecurityError) or to post (DataCloneError).
    return this.#bridge
      .call<{ width: number; height: number; timings: Omit<ImageEncodeTimings, 'total'> }>(
        options.signal,
        async (remote, callId) => {
          const { posted, kept } = await imageForWorker(source);
          const old = this.#image;
          if (old instanceof ImageBitmap && old !== kept) old.close();
          this.#image = kept;
          return { result: remote.setImage(onTheWire(posted), callId) };
        },
        'media',
      )
      .then((info) => ({
        width: info.width,
        height: info.height,
        timings: { ...info.timings, total: performance.now() - t0 },
      }));
  }

  segment(prompt: SegmentPrompt, options: CallOptions = {}): Promise<SegmentResult> {
    return this.#bridge
      .call(options.signal, async (remote, callId) => ({ result: remote.segment(prompt, callId) }))
      .then((r) => ({ ...r, mask: new Sam2Mask(r.mask, null, this.maskCodec) }));
  }

  clear(objectId?: number, options: CallOptions = {}): Promise<void> {
    return this.#bridge.call(options.signal, async (remote) => ({
      result: remote.clear(objectId).then((): WireResult<void> => ({ ok: true, value: undefined })),
    }));
  }

  async openTracker(options: TrackerOptions = {}): Promise<Tracker> {
    const id = this.#nextTrackerId++;
    let opened: Remote | null = null;
    const open: { numFrames?: number; history?: number } = {};
    if (options.numFrames !== undefined) open.numFrames = options.numFrames;
    if (options.history !== undefined) open.history = options.history;
    await this.#bridge.call(options.signal, async (remote) => {
      opened = remote;
      return { result: remote.trackerOpen(id, open) };
    });
    // Trackers live in one worker: after a restart their memory is gone.
    const live = (remote: Remote): void => {
      if (remote !== opened)
        throw new Sam2Error('worker-crashed', 'the worker restarted: the tracker lost its memory, start a new one');
    };
    let closed = false;
    const isOpen = (): void => {
      if (closed) throw new Sam2Error('aborted', 'the tracker was closed');
    };
    // The frame is read now, not when the call comes up in the queue: a playing video will have moved on by then.
    const withFrame = <T>(
      pixels: FrameInput,
      signal: AbortSignal | undefined,
      post: (remote: Remote, f: VideoFrame | ImageBitmap, callId: number) => Promise<WireResult<T>>,
    ): Promise<T> => {
      const framing = toWorkerFrame(pixels);
      framing.catch(() => undefined);
      const release = (): void => {
        framing.then(
          (f) => f.close(),
          () => undefined,
        );
      };
      return this.#bridge
        .call<T>(signal, async (remote, callId) => {
          const f = await framing;
          isOpen();
          live(remote);
          return { result: post(remote, Comlink.transfer(f, [f]), callId) };
        })
        .catch((e: unknown) => {
          // Not posted (or failed): a frame that was never transferred is closed here; closing a transferred one is a no-op.
          release();
          throw e;
        });
    };
    // A clip's frames are decoded in the worker that opened it.
    const inClip = <T>(
      clip: VideoClip,
      signal: AbortSignal | undefined,
      post: (remote: Remote, callId: number) => Promise<WireResult<T>>,
    ): Promise<T> =>
      this.#bridge.call<T>(signal, async (remote, callId) => {
        isOpen();
        live(remote);
        if (clipRemotes.get(clip) !== remote)
          throw new Sam2Error('worker-crashed', 'the clip was opened in another worker');
        return { result: post(remote, callId) };
      });
    return {
      addPrompt: (frame, pixels, prompt, o = {}) =>
        isVideoClip(pixels)
          ? inClip(pixels, o.signal, (r, callId) =>
              r.trackerPromptClip(id, pixels.clipId, frame, prompt, { overlay: o.overlay === true }, callId),
            )
          : withFrame(pixels, o.signal, (remote, f, callId) =>
              remote.trackerPrompt(id, frame, f, prompt, { overlay: o.overlay === true }, callId),
            ),
      track: (frame, pixels, direction = 1, o = {}) =>
        isVideoClip(pixels)
          ? inClip(pixels, o.signal, (r, callId) =>
              r.trackerStepClip(id, pixels.clipId, frame, direction, { overlay: o.overlay === true }, callId),
            )
          : withFrame(pixels, o.signal, (remote, f, callId) =>
              remote.trackerStep(id, frame, f, direction, { overlay: o.overlay === true }, callId),
            ),
      removeObject: (objectId, o = {}) =>
        this.#bridge.call(o.signal, async (remote, callId) => {
          isOpen();
          live(remote);
          return { result: remote.trackerRemoveObject(id, objectId, callId) };
        }),
      stats: (o = {}) =>
        this.#bridge.call(o.signal, async (remote, callId) => {
          isOpen();
          live(remote);
          return { result: remote.trackerStats(id, callId) };
        }),
      close: () => {
        if (closed) return Promise.resolve(null);
        closed = true;
        // Nothing to free when the worker that held it is gone.
        if (!this.#bridge.remote || this.#bridge.remote !== opened || this.#bridge.disposed)
          return Promise.resolve(null);
        return this.#bridge.call(undefined, async (remote, callId) => {
          if (remote !== opened) return { result: Promise.resolve({ ok: true as const, value: null }) };
          return { result: remote.trackerClose(id, callId) };
        });
      },
    };
  }

  openClip(source: Blob | string | URL, options: CallOptions = {}): Promise<VideoClip> {
    return openClipVia(
      (signal, post) => this.#bridge.call(signal, async (remote) => ({ result: post(remote) })),
      this.#nextTrackerId++,
      source,
      options.signal,
    );
  }

  renderMasks(
    rles: readonly { size: [number, number]; counts: string }[],
    options: CallOptions = {},
  ): Promise<MaskOverlay[]> {
    return this.#bridge.call(options.signal, async (remote) => ({
      result: remote.renderMasks(rles.map((r) => ({ size: r.size, counts: r.counts }))),
    }));
  }

  readonly maskCodec: MaskCodec = {
    cutout: (request) => {
      if (this.#bridge.disposed) return localMaskCodec.cutout(request);
      const bitmaps = cutoutBitmaps(request);
      return this.#bridge
        .call(undefined, async (remote) => ({ result: remote.encodeCutout(Comlink.transfer(request, bitmaps)) }))
        .catch((e: unknown) => {
          // Not posted, or the worker died with it: closing a bitmap that was transferred is a no-op.
          for (const b of bitmaps) b.close();
          throw e;
        });
    },
    maskPng: (mask, depth) => {
      if (this.#bridge.disposed) return localMaskCodec.maskPng(mask, depth);
      return this.#bridge.call(undefined, async (remote) => ({ result: remote.encodeMaskPng(mask, depth) }));
    },
  };

  dispose(): void {
    this.#bridge.dispose();
    if (this.#image instanceof ImageBitmap) this.#image.close();
    this.#image = null;
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
  if (resolved.files) config.files = { ...resolved.files };
  if (resolved.videoExport !== undefined) config.videoExport = resolved.videoExport;
  const wasmPaths =
    options.wasmPaths !== undefined && options.wasmPaths !== '' ? absolute(options.wasmPaths) : globals.wasmPaths;
  if (wasmPaths !== undefined) config.wasmPaths = wasmPaths;
  if (options.cache === false) config.cache = false;
  const workerUrl =
    options.workerUrl !== undefined && options.workerUrl !== '' ? absolute(options.workerUrl) : globals.workerUrl;
  return workerUrl === undefined ? { config } : { config, workerUrl };
}

/** Creates a segmenter; the worker and the model load on first use (or when `ready` is read). */
export function createSegmenter(options: SegmenterOptions = {}): Segmenter {
  const { config, workerUrl } = resolveSegmenterConfig(options);
  if (options.persistStorage) void requestPersistentStorage();
  const segmenter = new WorkerSegmenter(
    config,
    workerUrl,
    options.onProgress,
    options.onWarning,
    options.workerTimeoutMs,
  );
  // Aborting terminates the worker, which stops its downloads at once; nothing partial is ever cached.
  const signal = options.signal;
  if (signal?.aborted) segmenter.dispose();
  else signal?.addEventListener('abort', () => segmenter.dispose(), { once: true });
  return segmenter;
}
