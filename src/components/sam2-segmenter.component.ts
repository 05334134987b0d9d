// <sam2-segmenter>: SAM 2 promptable segmentation of an image. The class reads as attributes mapped to engine calls;
// the engine, prompt history and overlay live in reactive controllers. This module has no side effects: the tag is
// defined by ./sam2-segmenter.ts.
import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { Segmenter, SegmenterOptions } from '../client/segmenter.js';
import { Sam2Error, abortedError, isSam2Error } from '../shared/errors.js';
import type { DeviceOption, PromptBox, PromptPoint, ReadyInfo, Sam2ErrorCode } from '../shared/types.js';
import { DISPOSE_DELAY_MS, EngineController } from './controllers/engine-controller.js';
import { OverlayController } from './controllers/overlay-controller.js';
import { PromptController, validatePrompt, type PromptEntry } from './controllers/prompt-controller.js';
import type { Sam2ErrorDetail, Sam2MaskChangeDetail, Sam2SegmenterEventMap } from './events.js';
import { Sam2Mask } from '../client/mask.js';
import { maskToBitmap } from '../client/mask-bitmap.js';
import { styles } from './sam2-segmenter.styles.js';
import { resolveStrings, type Sam2SegmenterStrings } from './strings.js';
import { VideoTrackingSession, frameAtTime, once, type RvfcVideo, type TrackOptions, type TrackSource, type TrackingSession } from '../client/tracking-session.js';

/** How pointer input prompts: `click` points (drag for a box), `box` boxes first, `hover` previews under the pointer. */
export type Sam2SegmenterMode = 'click' | 'box' | 'hover';

/** Media `source` accepts, besides `src`; a Blob may be an image or a video. */
export type Sam2SegmenterSource = HTMLImageElement | ImageBitmap | Blob | HTMLCanvasElement;

const VIDEO_EXTENSION = /\.(webm|mp4|m4v|mov|ogv|mkv)(\?|#|$)/i;

function isVideoBlob(blob: Blob, url: string | null): boolean {
  if (blob.type.startsWith('video/')) return true;
  return !blob.type && url !== null && VIDEO_EXTENSION.test(url);
}


/** What `segment()` takes: points and/or a box in the media's natural pixels. */
export interface Sam2SegmenterPrompt {
  points?: PromptPoint[];
  box?: PromptBox | null;
}

/** Events of the element; `error` is the element's CustomEvent, not the global ErrorEvent. */
export type Sam2SegmenterElementEventMap = Omit<HTMLElementEventMap, keyof Sam2SegmenterEventMap> & Sam2SegmenterEventMap;

/** The object the element's prompts refine. */
const OBJECT_ID = 1;
/**
 * Engine object ids are per element: n for prompts, -n for hover previews (which so never touch the clicked object's
 * refinement state); elements sharing a segmenter must not supersede each other's calls.
 */
let nextEngineObject = 1;
/** Pointer travel (CSS px) that turns a press into a box drag, per mode. */
const DRAG_THRESHOLD = { click: 4, box: 1, hover: 4 } as const;
/** Minimum interval between hover decodes (ms). */
const HOVER_INTERVAL_MS = 60;
/** Crosshair steps in CSS pixels: arrow keys, and with Shift. */
const KEY_STEP = 4;
const KEY_STEP_LARGE = 32;

interface Drag {
  pointerId: number;
  startX: number;
  startY: number;
  moved: boolean;
  negative: boolean;
}

function isAbort(e: unknown): boolean {
  return isSam2Error(e, 'aborted') || (e instanceof DOMException && e.name === 'AbortError');
}

/** Normalises an unknown failure into a coded Sam2Error (`fallback` when it carries no code). */
function coded(e: unknown, fallback: Sam2ErrorCode): Sam2Error {
  if (e instanceof Sam2Error) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return new Sam2Error(typeof code === 'string' ? (code as Sam2ErrorCode) : fallback, message, { cause: e });
}

/**
 * Promptable image segmentation with SAM 2, running in a worker (WebGPU, else WASM).
 *
 * @summary Click, box or hover over an image to get an object mask.
 *
 * @event ready - The model loaded; `detail` is `ReadyInfo` with the backend in use.
 * @event model-progress - Model download, cache or compile progress; `detail` is `{phase, file, loaded, total}`.
 * @event mask-change - The mask changed; `detail` is `{objectId, score, objectScore, candidate, mask}` (`mask.area` 0 when cleared).
 * @event track-frame - A video frame was tracked; `detail` is `{frame, time, objects, processed, dropped, progress}`.
 * @event track-end - A tracking session ended; `detail` is its summary `{reason, mode, frames, dropped, objects, fps, stats}`.
 * @event error - Loading, decoding, segmenting or tracking failed; `detail` is `{code, message}`. Does not bubble.
 *
 * @csspart base - The focusable stage holding the media and the overlay.
 * @csspart media - The `<img>`, `<video>` or `<canvas>` showing the media; style its `object-fit` (contain, cover, fill).
 * @csspart overlay - The canvas the mask and prompt markers are drawn on.
 *
 * @cssproperty --sam2-mask-color - Mask fill colour (default rgb(30, 144, 255)).
 * @cssproperty --sam2-mask-opacity - Mask fill opacity (default 0.5).
 * @cssproperty --sam2-outline-color - Mask outline colour (default white).
 * @cssproperty --sam2-outline-width - Mask outline width in CSS pixels (default 2px; 0 for none).
 * @cssproperty --sam2-focus-ring - Outline of the focused stage (default 2px solid #1e90ff).
 */
export class Sam2SegmenterElement extends LitElement {
  static override styles = styles;

  static override properties: PropertyDeclarations = {
    src: { type: String },
    source: { attribute: false },
    model: { type: String },
    device: { type: String },
    mode: { type: String, reflect: true },
    label: { type: String },
    wasmPaths: { attribute: 'wasm-paths' },
    workerUrl: { attribute: 'worker-url' },
    loading: { type: String, reflect: true },
    fps: { type: Number },
    dtype: { type: String },
    noCache: { type: Boolean, attribute: 'no-cache' },
    persistStorage: { type: Boolean, attribute: 'persist-storage' },
    strings: { attribute: false },
    _announcement: { state: true },
  };

  /** Image or video URL, fetched with CORS (a `video/*` response, or a .webm/.mp4/... URL, is shown as a video). */
  declare src: string | undefined;
  /** Image given directly (takes precedence over `src`). */
  declare source: Sam2SegmenterSource | null | undefined;
  /**
   * A preset (`twin`, `tiny`, `small`, `base-plus`, `large`), a manifest URL or an onnx-community repository base URL;
   * defaults to the bundled twin. Presets use their `setAssetLocations({models})` mirror when one is set.
   */
  declare model: string | undefined;
  /** Backend: `auto` (WebGPU, else WASM), `webgpu` or `wasm`. */
  declare device: DeviceOption;
  /** Pointer interaction: `click`, `box` or `hover`. */
  declare mode: Sam2SegmenterMode;
  /** Accessible name of the image area. */
  declare label: string;
  /** URL prefix of onnxruntime-web's runtime files; beats `setAssetLocations({wasmPaths})`, default beside the worker. */
  declare wasmPaths: string | URL | undefined;
  /** Worker script URL; beats `setAssetLocations({workerUrl})`, default the package's own. */
  declare workerUrl: string | URL | undefined;
  /** `eager` (default) loads the model at once; `lazy` when the element becomes visible or is used. */
  declare loading: 'eager' | 'lazy';
  /** Frame rate of the video, mapping frame indices to times for tracking (default 30). */
  declare fps: number;
  /** onnx-community precision (`fp32`, `fp16`, `q8`, …) picking the repository's file suffix; ignored for manifests. */
  declare dtype: string | undefined;
  /**
   * `no-cache` (boolean attribute): download the model and ORT's .wasm on every load and store nothing in IndexedDB.
   * By default verified downloads are cached, so later visits make no model request.
   */
  declare noCache: boolean;
  /** `persist-storage` (boolean attribute): ask the browser to make this origin's storage (the model cache) persistent. */
  declare persistStorage: boolean;
  /** Replacements for the element's texts (help, announcements, controls), for other languages; any subset. */
  declare strings: Partial<Sam2SegmenterStrings>;
  declare _announcement: string;

  readonly #engine = new EngineController(this, {
    options: () => this.#segmenterOptions(),
    loading: () => this.loading,
    onReady: (info) => this.#emit('ready', info),
    onProgress: (p) => this.#emit('model-progress', p),
    onError: (e) => this.#reportError(e, 'model-fetch'),
  });
  readonly #objectId = nextEngineObject++;
  readonly #hoverObjectId = -this.#objectId;
  readonly #prompts = new PromptController(this);
  readonly #overlay = new OverlayController(this, () => ({
    media: this.renderRoot?.querySelector<HTMLElement>('[part="media"]') ?? null,
    overlay: this.renderRoot?.querySelector<HTMLCanvasElement>('[part="overlay"]') ?? null,
  }));

  /** The decoded media at natural size: what is encoded, and what cut-outs are taken from. */
  #bitmap: ImageBitmap | null = null;
  /** Object URL shown by the <img> (or <video>) for Blob and fetched sources. */
  #objectUrl: string | null = null;
  /** The object URL is a video. */
  #isVideo = false;
  /** Time of the video frame the current bitmap shows. */
  #frameTime = -1;
  /** The tracking session running, or the last one (its record replays over playback of our video). */
  #session: VideoTrackingSession | null = null;
  #replayHandle = 0;
  #replaySeq = 0;
  /** Settles when the current source is decoded (rejects when it cannot be). */
  #decoding: Promise<ImageBitmap> | null = null;
  #decodeAbort: AbortController | null = null;
  /** Which segmenter has the current image, and its encode. */
  #sent: { seg: Segmenter; bitmap: ImageBitmap; done: Promise<unknown> } | null = null;
  /** Bumped by every new prompt, undo, clear and image: results of older runs are dropped. */
  #seq = 0;
  /** The entry whose decode left the engine's refinement logits for OBJECT_ID. */
  #logitsOf: PromptEntry | null = null;
  #drag: Drag | null = null;
  #hoverPending: { x: number; y: number } | null = null;
  #hoverBusy = false;
  #hoverSeq = 0;
  #hoverLast = 0;
  /** The bitmap each media canvas shows. */
  #shown = new WeakMap<HTMLCanvasElement, ImageBitmap>();
  /** Errors already dispatched (a failed load rejects `ready` and the call that triggered it with one error). */
  #reported = new WeakSet<object>();

  constructor() {
    super();
    this.device = 'auto';
    this.mode = 'click';
    this.label = 'Image to segment';
    this.loading = 'eager';
    this.fps = 30;
    this.noCache = false;
    this.persistStorage = false;
    this.strings = {};
    this._announcement = '';
  }

  /** The `<video>` showing a video `src`, for playback control (play, pause, currentTime); null for images. */
  get video(): HTMLVideoElement | null {
    return this.#isVideo ? (this.renderRoot?.querySelector<HTMLVideoElement>('video[part="media"]') ?? null) : null;
  }

  /**
   * Tracks objects through a video with SAM 2's memory: this element's video by default, or any `<video>`, a camera
   * `MediaStream`, or a clip URL/Blob. Prompts come from `options.prompts`, else from the selection on the shown frame
   * (object 1). Fires `mask-change` per object and `track-frame` per frame, then `track-end`; when it tracks this
   * element's video the overlay shows the masks, and follows playback afterwards. A new `track()` stops the previous.
   */
  track(source?: TrackSource | null, options: TrackOptions = {}): TrackingSession {
    void this.#session?.stop();
    this.#stopReplay();
    const own = this.video;
    const target = source ?? own;
    const isOwn = target !== null && target === own;
    const opts: TrackOptions = { fps: this.fps || 30, ...options };
    if (!opts.prompts && isOwn && own && this.#prompts.current) {
      const cur = this.#prompts.current;
      opts.prompts = [{ objectId: OBJECT_ID, points: [...cur.points], box: cur.box, frame: frameAtTime(own.currentTime, opts.fps ?? 30) }];
    }
    const segmenter = (): Segmenter => {
      if (!target) throw new Sam2Error('not-ready', 'track() needs a video: set a video `src` or pass one');
      this.#engine.ready().catch(() => undefined);
      return this.#engine.segmenter;
    };
    const session = new VideoTrackingSession(segmenter, target as TrackSource, opts, {
      overlay: isOwn,
      onPrompt: (o, overlay) => {
        if (this.#session !== session) return overlay?.close();
        if (overlay) this.#overlay.setTracked(new Map([[o.objectId, overlay]]));
        this.#emit('mask-change', { objectId: o.objectId, score: o.score, objectScore: o.objectScore, candidate: -1, mask: o.mask, frame: o.frame, time: o.time });
      },
      onFrame: (f, overlays) => {
        if (this.#session !== session) {
          for (const b of overlays.values()) b.close();
          return;
        }
        if (isOwn) this.#overlay.setTracked(overlays);
        for (const o of f.objects) {
          this.#emit('mask-change', { objectId: o.objectId, score: o.score, objectScore: o.objectScore, candidate: -1, mask: o.mask, frame: o.frame, time: o.time });
        }
        this.#emit('track-frame', f);
      },
    });
    this.#session = session;
    if (isOwn) {
      // The session's masks replace the selection on the shown frame.
      this.#overlay.points = [];
      this.#overlay.box = null;
    }
    session.finished.then(
      (summary) => {
        if (this.#session === session) this.#emit('track-end', summary);
      },
      (e: unknown) => {
        if (this.#session === session) this.#reportError(e, 'media-decode');
      },
    );
    return session;
  }

  // ---------------------------------------------------------------- public API

  /** Segments with exactly these points and/or box (natural pixels); shows and returns the mask. */
  async segment(prompt: Sam2SegmenterPrompt): Promise<Sam2MaskChangeDetail> {
    let entry: PromptEntry | null = null;
    try {
      const named = validatePrompt(prompt?.points, prompt?.box);
      entry = this.#prompts.push({ points: named.points, box: named.box, detail: null });
      return await this.#run(entry);
    } catch (e) {
      if (entry) this.#rollback(entry);
      const err = coded(e, 'invalid-prompt');
      if (!isAbort(err)) this.#reportError(err, 'invalid-prompt');
      throw err;
    }
  }

  /** Removes every prompt and the mask. */
  clear(): void {
    this.#seq++;
    this.#cancelHover();
    const had = this.#prompts.length > 0;
    this.#prompts.clear();
    this.#forgetLogits();
    this.#overlay.setMask(null);
    if (had) {
      this.#announce(this.#text.cleared);
      this.#emitCleared();
    }
  }

  /** Removes the last prompt and shows the mask from before it. */
  async undo(): Promise<void> {
    if (this.#prompts.length === 0) return;
    this.#seq++;
    this.#cancelHover();
    const prev = this.#prompts.undo();
    // The engine's refinement logits are those of the undone prompt: drop them.
    this.#forgetLogits();
    if (!prev) {
      this.#overlay.setMask(null);
      this.#announce(this.#text.cleared);
      this.#emitCleared();
      return;
    }
    if (prev.detail) {
      const seq = this.#seq;
      const bitmap = await maskToBitmap(prev.detail.mask);
      if (seq !== this.#seq) return bitmap.close();
      this.#overlay.setMask(bitmap);
      this.#announceMask(prev.detail, 'undone');
      this.#emit('mask-change', prev.detail);
      return;
    }
    // The earlier result was dropped (or never arrived): decode it again.
    await this.#run(prev).catch((e: unknown) => this.#onInteractiveError(e));
  }

  /** Starts loading the model without an image; resolves with what `ready` reports (rejects while disconnected). */
  preload(): Promise<ReadyInfo> {
    try {
      return this.#engine.ready();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** @internal For tests: the current segmenter, or null when none exists. */
  get _segmenter(): Segmenter | null {
    return this.#engine.existing;
  }

  // ---------------------------------------------------------------- lifecycle

  override disconnectedCallback(): void {
    // The engine controller disposes the segmenter shortly after; a reconnect re-sends the image on the next call.
    super.disconnectedCallback();
    this.#cancelHover();
    this.#drag = null;
    // Tracking stops with the element, and its tracker's memory is freed in the worker.
    void this.#session?.stop();
    this.#stopReplay();
    // Object URLs outlive the element unless revoked; the <img> keeps showing what it has already decoded.
    const objectUrl = this.#objectUrl;
    if (objectUrl) {
      setTimeout(() => {
        if (!this.isConnected && this.#objectUrl === objectUrl) URL.revokeObjectURL(objectUrl);
      }, DISPOSE_DELAY_MS);
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const engineOptions = ['model', 'device', 'dtype', 'wasmPaths', 'workerUrl', 'noCache', 'persistStorage'] as const;
    if (engineOptions.some((k) => changed.has(k))) {
      // Options are read when a segmenter is created: a change replaces it (first render: nothing to replace).
      if (this.#engine.existing) {
        this.#engine.reset();
        this.#sent = null;
        this.#forgetLogits();
        if (this.#bitmap) this.#sendImage().catch((e: unknown) => this.#onInteractiveError(e));
      }
    }
    if (changed.has('src') || changed.has('source')) this.#loadImage();
    this.#overlay.points = this.#prompts.current?.points ?? [];
    this.#overlay.box = this.#prompts.current?.box ?? null;
    if (changed.has('mode') && this.mode !== 'hover') this.#cancelHover();
  }

  protected override render() {
    const showImg = this.#objectUrl !== null && !this.#isVideo;
    const showVideo = this.#objectUrl !== null && this.#isVideo;
    return html`
      <div
        class="stage"
        part="base"
        tabindex="0"
        role="application"
        aria-label=${this.label}
        aria-describedby="help"
        @pointerdown=${this.#onPointerDown}
        @pointermove=${this.#onPointerMove}
        @pointerup=${this.#onPointerUp}
        @pointercancel=${this.#onPointerCancel}
        @pointerleave=${this.#onPointerLeave}
        @contextmenu=${this.#onContextMenu}
        @keydown=${this.#onKeyDown}
        @focus=${this.#onFocus}
        @blur=${this.#onBlur}
      >
        ${showImg
          ? html`<img part="media" src=${this.#objectUrl!} alt="" draggable="false" />`
          : showVideo
            ? html`<video
                part="media"
                src=${this.#objectUrl!}
                muted
                playsinline
                preload="auto"
                @seeked=${this.#onShownFrame}
                @pause=${this.#onShownFrame}
                @play=${this.#onPlay}
              ></video>`
            : html`<canvas part="media" aria-hidden="true"></canvas>`}
        <canvas part="overlay" aria-hidden="true"></canvas>
      </div>
      <div id="help" class="visually-hidden">${this.#text.help}</div>
      <div class="visually-hidden" role="status" aria-live="polite">${this._announcement || nothing}</div>
    `;
  }

  protected override updated(): void {
    // The media canvas shows sources other than Blobs and URLs (drawn once per image).
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part="media"]');
    const bitmap = this.#bitmap;
    if (canvas && bitmap && this.#shown.get(canvas) !== bitmap) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
      this.#shown.set(canvas, bitmap);
    }
  }

  // ---------------------------------------------------------------- image

  #segmenterOptions(): SegmenterOptions {
    const o: SegmenterOptions = { device: this.device || 'auto' };
    if (this.model) o.model = this.model;
    if (this.wasmPaths) o.wasmPaths = this.wasmPaths;
    if (this.workerUrl) o.workerUrl = this.workerUrl;
    if (this.dtype) o.dtype = this.dtype;
    if (this.noCache) o.cache = false;
    if (this.persistStorage) o.persistStorage = true;
    return o;
  }

  /** Decodes the current `source` or `src`, shows it, and sends it to the engine. */
  #loadImage(): void {
    this.#decodeAbort?.abort();
    const abort = (this.#decodeAbort = new AbortController());
    if (this.#prompts.length > 0) {
      // A new image drops the selection; hosts hear it like a clear().
      this.clear();
    }
    this.#seq++;
    this.#cancelHover();
    this.#forgetLogits();
    this.#sent = null;
    this.#bitmap?.close();
    this.#bitmap = null;
    this.#overlay.natural = null;
    this.#overlay.crosshair = null;
    if (this.#objectUrl) URL.revokeObjectURL(this.#objectUrl);
    this.#objectUrl = null;
    this.#isVideo = false;
    this.#frameTime = -1;
    void this.#session?.stop();
    this.#session = null;
    this.#stopReplay();
    this.#overlay.setTracked(new Map());

    const source = this.source ?? null;
    const src = this.src;
    if (!source && !src) {
      this.#decoding = null;
      return;
    }
    const decoding = this.#decode(source, src, abort.signal).then((bitmap) => {
      if (abort.signal.aborted) {
        bitmap.close();
        throw abortedError('loading the image');
      }
      this.#bitmap = bitmap;
      this.#overlay.natural = { width: bitmap.width, height: bitmap.height };
      this.requestUpdate();
      return bitmap;
    });
    this.#decoding = decoding;
    // Encoding starts as soon as the image is decoded, so that the first click only decodes.
    // A lazy element waits until it is visible (or used) before it loads the model for it.
    decoding.then(() => this.#engine.whenAllowed()).then(() => this.#sendImage()).catch((e: unknown) => {
      if (this.#decoding === decoding) this.#onInteractiveError(e, 'media-decode');
    });
  }

  async #decode(source: Sam2SegmenterSource | null, src: string | undefined, signal: AbortSignal): Promise<ImageBitmap> {
    let blob: Blob | null = null;
    try {
      if (source instanceof Blob) blob = source;
      else if (source) {
        if (source instanceof HTMLImageElement && !(source.complete && source.naturalWidth > 0)) await source.decode();
        // A copy: the host keeps its own bitmap/canvas/image.
        return await createImageBitmap(source);
      } else {
        const url = new URL(src!, location.href);
        let response: Response;
        try {
          response = await fetch(url, { mode: 'cors', credentials: 'same-origin', signal });
        } catch (e) {
          if (isAbort(e)) throw abortedError('loading the image');
          const crossOrigin = url.origin !== location.origin && url.protocol !== 'data:' && url.protocol !== 'blob:';
          throw new Sam2Error(
            crossOrigin ? 'media-cross-origin' : 'media-decode',
            crossOrigin ? `${url.href} could not be fetched (it must allow CORS)` : `${url.href} could not be fetched: ${String(e)}`,
            { cause: e },
          );
        }
        if (!response.ok) throw new Sam2Error('media-decode', `${url.href} answered HTTP ${response.status}`);
        blob = await response.blob();
      }
      if (isVideoBlob(blob, src ?? null)) return await this.#showVideo(blob, signal);
      const bitmap = await createImageBitmap(blob);
      if (!signal.aborted) {
        this.#objectUrl = URL.createObjectURL(blob);
      }
      return bitmap;
    } catch (e) {
      if (isSam2Error(e)) throw e;
      if (isAbort(e)) throw abortedError('loading the image');
      throw new Sam2Error('media-decode', `the image could not be decoded: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Shows a video and returns its first frame: the image prompts apply to until the video moves. */
  async #showVideo(blob: Blob, signal: AbortSignal): Promise<ImageBitmap> {
    if (signal.aborted) throw abortedError('loading the video');
    this.#objectUrl = URL.createObjectURL(blob);
    this.#isVideo = true;
    this.requestUpdate();
    await this.updateComplete;
    const video = this.video;
    if (!video) throw abortedError('loading the video');
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) await once(video, 'loadeddata', signal);
    this.#frameTime = video.currentTime;
    return createImageBitmap(video);
  }

  /** The paused video shows another frame: it becomes the image prompts apply to (a session drives it otherwise). */
  #onShownFrame = (): void => {
    const video = this.video;
    if (!video || !video.paused || video.seeking || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    const session = this.#session;
    if (session && session.state !== 'done') return;
    if (video.currentTime === this.#frameTime) return;
    this.#frameTime = video.currentTime;
    if (this.#prompts.length > 0) this.clear();
    this.#seq++;
    this.#cancelHover();
    this.#forgetLogits();
    this.#sent = null;
    const abort = this.#decodeAbort;
    const decoding = createImageBitmap(video).then((bitmap) => {
      if (abort?.signal.aborted || this.#frameTime !== video.currentTime) {
        bitmap.close();
        throw abortedError('reading the video frame');
      }
      this.#bitmap?.close();
      this.#bitmap = bitmap;
      return bitmap;
    });
    this.#decoding = decoding;
    this.#showRecorded(frameAtTime(video.currentTime, this.fps || 30));
    decoding.then(() => this.#engine.whenAllowed()).then(() => this.#sendImage()).catch((e: unknown) => {
      if (this.#decoding === decoding) this.#onInteractiveError(e, 'media-decode');
    });
  };


  /** Playback after tracking: the overlay follows the video with the recorded masks of each shown frame. */
  #onPlay = (): void => {
    const video = this.video as RvfcVideo | null;
    const session = this.#session;
    if (!video?.requestVideoFrameCallback || !session || session.state !== 'done') return;
    this.#stopReplay();
    const step = (_now: number, meta: { mediaTime: number }): void => {
      if (this.#session !== session || video.paused) return;
      this.#replayHandle = video.requestVideoFrameCallback!(step);
      this.#showRecorded(Math.round(meta.mediaTime * (this.fps || 30)));
    };
    this.#replayHandle = video.requestVideoFrameCallback(step);
  };

  #stopReplay(): void {
    const video = this.video as RvfcVideo | null;
    if (this.#replayHandle) video?.cancelVideoFrameCallback?.(this.#replayHandle);
    this.#replayHandle = 0;
    this.#replaySeq++;
  }

  /** Draws the finished session's recorded masks of frame f (rendered in the worker from their RLE). */
  #showRecorded(f: number): void {
    const session = this.#session;
    const rec = session?.state === 'done' ? session.recorded(f) : null;
    const seq = ++this.#replaySeq;
    if (!rec || rec.objects.length === 0) {
      this.#overlay.setTracked(new Map());
      return;
    }
    const seg = this.#engine.existing;
    if (!seg) return;
    seg.renderMasks(rec.objects.map((o) => o.segmentation)).then(
      (bitmaps) => {
        if (seq !== this.#replaySeq || this.#session !== session) return bitmaps.forEach((b) => b.close());
        this.#overlay.setTracked(new Map(rec.objects.map((o, i) => [o.objectId, bitmaps[i]!])));
      },
      () => undefined,
    );
  }

  /**
   * Makes sure the current segmenter has the current image (after a restart, a new segmenter, or another element
   * sharing the segmenter sending its own image). Callers segmenting call `#reclaim` synchronously right before.
   */
  async #sendImage(): Promise<{ seg: Segmenter; bitmap: ImageBitmap }> {
    if (!this.#decoding) throw new Sam2Error('not-ready', 'no image: set `src` or `source` first');
    const bitmap = await this.#decoding;
    const seg = this.#engine.segmenter;
    if (!this.#sent || this.#sent.seg !== seg || this.#sent.bitmap !== bitmap || !this.#engine.ownsImage()) {
      this.#engine.ready().catch(() => undefined);
      this.#post(seg, bitmap);
    }
    await this.#sent!.done;
    return { seg, bitmap };
  }

  /** Posts `setImage` and records this element as the owner of the engine's image. */
  #post(seg: Segmenter, bitmap: ImageBitmap): void {
    const encoding = seg.setImage(bitmap);
    const sent = { seg, bitmap, done: encoding as Promise<unknown> };
    encoding.then(
      (info) => {
        if (this.#sent === sent) this.#emit('image-encoded', info);
      },
      () => undefined,
    );
    this.#engine.claimImage();
    this.#sent = sent;
    this.#forgetLogits();
    // A failed encode is retried by the next call.
    sent.done.catch(() => {
      if (this.#sent === sent) this.#sent = null;
    });
  }

  /**
   * Called synchronously right before posting a segment call: when another element sharing the segmenter has set
   * its image since, posts ours again. Calls run in the order they are posted, so the segment runs on our image.
   */
  #reclaim(seg: Segmenter, bitmap: ImageBitmap): void {
    if (this.#engine.existing === seg && !this.#engine.ownsImage()) this.#post(seg, bitmap);
  }

  // ---------------------------------------------------------------- segmentation

  /** Decodes `entry`, shows the result and fires `mask-change`; rejects with `aborted` when superseded. */
  async #run(entry: PromptEntry): Promise<Sam2MaskChangeDetail> {
    const seq = ++this.#seq;
    this.#cancelHover();
    const { seg, bitmap } = await this.#sendImage();
    if (seq !== this.#seq) throw abortedError('the prompt');
    // A segmenter shared with another element may have been given its image meanwhile (this drops our logits).
    this.#reclaim(seg, bitmap);
    // Refine with the previous mask only when the engine's logits are those of the entry this one extends.
    const history = this.#logitsOf;
    const refine = history !== null && this.#extends(entry, history);
    const r = await seg.segment({ points: [...entry.points], box: entry.box, objectId: this.#objectId, refine });
    this.#logitsOf = entry;
    if (seq !== this.#seq) throw abortedError('the prompt');
    const mask = new Sam2Mask(r.mask, bitmap, seg.maskCodec);
    const alpha = await maskToBitmap(mask, r.overlay);
    if (seq !== this.#seq) {
      alpha.close();
      throw abortedError('the prompt');
    }
    // A new selection on a tracked frame replaces the recorded masks drawn there.
    this.#stopReplay();
    this.#overlay.setTracked(new Map());
    const detail: Sam2MaskChangeDetail = { objectId: OBJECT_ID, score: r.score, objectScore: r.objectScore, candidate: r.candidate, mask };
    entry.detail = detail;
    this.#overlay.setMask(alpha);
    this.#announceMask(detail, 'maskUpdated');
    this.#emit('mask-change', detail);
    return detail;
  }

  /** Whether `entry` adds to `base` (same box or a new one, base's points first). */
  #extends(entry: PromptEntry, base: PromptEntry): boolean {
    if (base.points.length > entry.points.length) return false;
    return base.points.every((p, i) => entry.points[i] === p);
  }

  #forgetLogits(): void {
    // A shared segmenter holding another element's image has none of our logits (and must keep theirs).
    if (this.#logitsOf && this.#engine.ownsImage()) this.#engine.existing?.clear(this.#objectId).catch(() => undefined);
    this.#logitsOf = null;
  }

  /** A prompt from the pointer or keyboard: errors become `error` events, never rejections. */
  #prompt(entry: PromptEntry): void {
    this.#run(entry).catch((e: unknown) => {
      this.#rollback(entry);
      this.#onInteractiveError(e, 'invalid-prompt');
    });
  }

  #rollback(entry: PromptEntry): void {
    if (this.#prompts.discard(entry) && !this.#prompts.current?.detail) {
      this.#overlay.setMask(null);
    }
  }

  #addPoint(x: number, y: number, negative: boolean): void {
    this.#prompt(this.#prompts.addPoint({ x, y, label: negative ? 'negative' : 'positive' }));
  }

  // ---------------------------------------------------------------- hover preview

  #hover(x: number, y: number): void {
    this.#hoverPending = { x, y };
    if (!this.#hoverBusy) void this.#pumpHover();
  }

  /** One hover decode at a time; the newest pointer position supersedes any not yet sent. */
  async #pumpHover(): Promise<void> {
    this.#hoverBusy = true;
    try {
      while (this.#hoverPending) {
        const wait = this.#hoverLast + HOVER_INTERVAL_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const p = this.#hoverPending;
        if (!p) break;
        this.#hoverPending = null;
        this.#hoverLast = performance.now();
        const seq = ++this.#hoverSeq;
        try {
          const { seg, bitmap } = await this.#sendImage();
          if (seq !== this.#hoverSeq) continue;
          this.#reclaim(seg, bitmap);
          const r = await seg.segment({ points: [{ x: p.x, y: p.y, label: 'positive' }], objectId: this.#hoverObjectId, refine: false });
          if (seq !== this.#hoverSeq) continue;
          const alpha = await maskToBitmap(r.mask, r.overlay);
          if (seq !== this.#hoverSeq) {
            alpha.close();
            continue;
          }
          this.#overlay.setPreview(alpha);
        } catch (e) {
          if (seq === this.#hoverSeq) this.#onInteractiveError(e, 'invalid-prompt');
        }
      }
    } finally {
      this.#hoverBusy = false;
    }
  }

  #cancelHover(): void {
    this.#hoverSeq++;
    this.#hoverPending = null;
    if (this.#overlay.hasPreview) this.#overlay.setPreview(null);
  }

  // ---------------------------------------------------------------- pointer and keyboard

  #onPointerDown = (e: PointerEvent): void => {
    // Right button: the contextmenu event that follows adds the negative point.
    if (e.button !== 0 || !e.isPrimary) return;
    this.#overlay.crosshair = null;
    const stage = e.currentTarget as HTMLElement;
    try {
      stage.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events have no active pointer to capture.
    }
    this.#drag = { pointerId: e.pointerId, startX: e.clientX, startY: e.clientY, moved: false, negative: e.altKey };
  };

  #onPointerMove = (e: PointerEvent): void => {
    const drag = this.#drag;
    if (drag && drag.pointerId === e.pointerId) {
      if (!drag.moved && Math.hypot(e.clientX - drag.startX, e.clientY - drag.startY) > (DRAG_THRESHOLD[this.mode] ?? DRAG_THRESHOLD.click)) {
        drag.moved = true;
        this.#cancelHover();
      }
      if (drag.moved) {
        this.#overlay.dragBox = this.#boxBetween(drag.startX, drag.startY, e.clientX, e.clientY);
        this.#overlay.requestDraw();
      }
      return;
    }
    if (this.mode === 'hover' && e.buttons === 0) {
      const p = this.#overlay.clientToNatural(e.clientX, e.clientY);
      if (p?.inside) this.#hover(p.x, p.y);
      else this.#cancelHover();
    }
  };

  #onPointerUp = (e: PointerEvent): void => {
    const drag = this.#drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    this.#drag = null;
    this.#overlay.dragBox = null;
    if (drag.moved) {
      const box = this.#boxBetween(drag.startX, drag.startY, e.clientX, e.clientY);
      this.#overlay.requestDraw();
      if (box && box.x1 - box.x0 >= 1 && box.y1 - box.y0 >= 1) this.#prompt(this.#prompts.setBox(box));
      return;
    }
    const p = this.#overlay.clientToNatural(e.clientX, e.clientY);
    if (p?.inside) this.#addPoint(p.x, p.y, drag.negative || e.altKey);
  };

  #onPointerCancel = (): void => {
    this.#drag = null;
    this.#overlay.dragBox = null;
    this.#overlay.requestDraw();
  };

  #onPointerLeave = (): void => {
    if (!this.#drag) this.#cancelHover();
  };

  #onContextMenu = (e: MouseEvent): void => {
    e.preventDefault();
    this.#drag = null;
    const p = this.#overlay.clientToNatural(e.clientX, e.clientY);
    if (p?.inside) this.#addPoint(p.x, p.y, true);
  };

  /** The box spanned by two client points, clamped to the media, in natural pixels. */
  #boxBetween(ax: number, ay: number, bx: number, by: number): PromptBox | null {
    const a = this.#overlay.clientToNatural(ax, ay);
    const b = this.#overlay.clientToNatural(bx, by);
    const n = this.#overlay.natural;
    if (!a || !b || !n) return null;
    const cx = (v: number) => Math.min(n.width, Math.max(0, v));
    const cy = (v: number) => Math.min(n.height, Math.max(0, v));
    return { x0: cx(Math.min(a.x, b.x)), y0: cy(Math.min(a.y, b.y)), x1: cx(Math.max(a.x, b.x)), y1: cy(Math.max(a.y, b.y)) };
  }

  #onFocus = (e: FocusEvent): void => {
    const stage = e.currentTarget as HTMLElement;
    // Keyboard focus shows the crosshair; a click's focus does not.
    if (stage.matches(':focus-visible')) this.#showCrosshair();
  };

  #onBlur = (): void => {
    this.#overlay.crosshair = null;
    this.#overlay.requestDraw();
  };

  #showCrosshair(): { x: number; y: number } | null {
    const n = this.#overlay.natural;
    if (!n) return null;
    this.#overlay.crosshair ??= { x: n.width / 2, y: n.height / 2 };
    this.#overlay.requestDraw();
    return this.#overlay.crosshair;
  }

  #onKeyDown = (e: KeyboardEvent): void => {
    const key = e.key;
    if (key === 'Escape') {
      if (this.#prompts.length === 0 && !this.#overlay.hasPreview) return;
      e.preventDefault();
      this.clear();
      return;
    }
    if (key === 'Backspace' || ((e.ctrlKey || e.metaKey) && !e.shiftKey && key.toLowerCase() === 'z')) {
      e.preventDefault();
      void this.undo();
      return;
    }
    if (key.startsWith('Arrow')) {
      const c = this.#showCrosshair();
      const n = this.#overlay.natural;
      if (!c || !n) return;
      e.preventDefault();
      const scale = this.#overlay.naturalPerCss();
      const step = e.shiftKey ? KEY_STEP_LARGE : KEY_STEP;
      const dx = key === 'ArrowLeft' ? -1 : key === 'ArrowRight' ? 1 : 0;
      const dy = key === 'ArrowUp' ? -1 : key === 'ArrowDown' ? 1 : 0;
      c.x = Math.min(n.width - 0.5, Math.max(0.5, c.x + dx * step * scale.x));
      c.y = Math.min(n.height - 0.5, Math.max(0.5, c.y + dy * step * scale.y));
      this.#overlay.requestDraw();
      return;
    }
    if (key === 'Enter' || key === ' ') {
      const c = this.#showCrosshair();
      if (!c) return;
      e.preventDefault();
      this.#addPoint(c.x, c.y, key === 'Enter' && e.shiftKey);
    }
  };

  // ---------------------------------------------------------------- events

  #emit<K extends keyof Sam2SegmenterEventMap>(type: K, detail: Sam2SegmenterEventMap[K]['detail']): void {
    // `error` does not bubble: a bubbling `error` reaching window would look like an uncaught script error.
    const bubbles = type !== 'error';
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles, composed: bubbles }));
  }

  #reportError(e: unknown, fallback: Sam2ErrorCode): void {
    if (typeof e === 'object' && e !== null) {
      if (this.#reported.has(e)) return;
      this.#reported.add(e);
    }
    const err = coded(e, fallback);
    const detail: Sam2ErrorDetail = { code: err.code, message: err.message, error: e };
    this.#emit('error', detail);
  }

  /** Reports a failure of a pointer-, keyboard- or attribute-driven call; superseded calls are silent. */
  #onInteractiveError(e: unknown, fallback: Sam2ErrorCode = 'worker-crashed'): void {
    if (isAbort(e)) return;
    this.#reportError(e, fallback);
  }

  /** `mask-change` with an empty mask at the media's natural size. */
  #emitCleared(): void {
    const width = this.#bitmap?.width ?? 0;
    const height = this.#bitmap?.height ?? 0;
    const mask = new Sam2Mask({ width, height, data: new Uint8Array(width * height), bbox: [0, 0, 0, 0], area: 0 }, this.#bitmap);
    this.#emit('mask-change', { objectId: OBJECT_ID, score: 0, objectScore: 0, candidate: -1, mask });
  }

  #announceMask(detail: Sam2MaskChangeDetail, what: 'maskUpdated' | 'undone' | 'redone'): void {
    this.#announce(this.#text[what](detail.mask.area, detail.objectId));
  }

  /** The element's texts: the host's `strings` over the English defaults. */
  get #text(): Sam2SegmenterStrings {
    return resolveStrings(this.strings);
  }

  #announce(text: string): void {
    // Repeating the same text would not be read again: vary it invisibly.
    this._announcement = this._announcement === text ? `${text}\u00a0` : text;
  }
}

// Typed listeners: `error` is the element's CustomEvent here, where HTMLElementEventMap has the global ErrorEvent.
export interface Sam2SegmenterElement {
  addEventListener<K extends keyof Sam2SegmenterElementEventMap>(
    type: K,
    listener: (this: Sam2SegmenterElement, ev: Sam2SegmenterElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof Sam2SegmenterElementEventMap>(
    type: K,
    listener: (this: Sam2SegmenterElement, ev: Sam2SegmenterElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
