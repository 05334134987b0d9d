// <sam2-segmenter>: SAM 2 promptable segmentation of an image or a video frame, and video tracking. The class maps
// attributes and properties onto reactive controllers (engine, media, prompts, input, tracking, overlay) and renders
// the stage. This module has no side effects: the tag is defined by ./sam2-segmenter.ts.
import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { SegmenterOptions } from '../client/segmenter.js';
import { type TrackOptions, type TrackSource, type TrackingSession } from '../client/tracking-session.js';
import type { DeviceOption, PromptBox, PromptPoint, ReadyInfo } from '../shared/types.js';
import { EngineController } from './controllers/engine-controller.js';
import { InputController, type Sam2SegmenterMode } from './controllers/input-controller.js';
import { MediaController, type Sam2SegmenterSource } from './controllers/media-controller.js';
import { OverlayController } from './controllers/overlay-controller.js';
import { PromptController } from './controllers/prompt-controller.js';
import { TrackingController } from './controllers/tracking-controller.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterEventMap } from './events.js';
import { Reporter } from './reporter.js';
import { styles } from './sam2-segmenter.styles.js';

export type { Sam2SegmenterMode } from './controllers/input-controller.js';
export type { Sam2SegmenterSource } from './controllers/media-controller.js';

/** What `segment()` takes: points and/or a box in the media's natural pixels. */
export interface Sam2SegmenterPrompt {
  points?: PromptPoint[];
  box?: PromptBox | null;
}

/** Events of the element; `error` is the element's CustomEvent, not the global ErrorEvent. */
export type Sam2SegmenterElementEventMap = Omit<HTMLElementEventMap, keyof Sam2SegmenterEventMap> &
  Sam2SegmenterEventMap;

/** Properties read when a segmenter is created: a change replaces it. */
const ENGINE_OPTIONS = ['model', 'device', 'dtype', 'wasmPaths', 'workerUrl', 'noCache', 'persistStorage'] as const;

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
 * @event warning - A non-fatal problem, e.g. code `storage` when the model cache is unavailable (models then load from the network); `detail` is `{code, message}`.
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

  readonly #reporter = new Reporter(this);
  readonly #engine: EngineController = new EngineController(this, {
    options: () => this.#segmenterOptions(),
    loading: () => this.loading,
    onReady: (info) => this.#reporter.emit('ready', info),
    onProgress: (p) => this.#reporter.emit('model-progress', p),
    onError: (e) => this.#reporter.error(e, 'model-fetch'),
    onWarning: (w) => this.#reporter.emit('warning', { code: w.code, message: w.message, error: w }),
    onImagePosted: () => this.#prompts.imagePosted(),
  });
  readonly #overlay = new OverlayController(this, () => ({
    media: this.renderRoot?.querySelector<HTMLElement>('[part="media"]') ?? null,
    overlay: this.renderRoot?.querySelector<HTMLCanvasElement>('[part="overlay"]') ?? null,
  }));
  readonly #media: MediaController = new MediaController(this, {
    input: () => ({ source: this.source ?? null, src: this.src }),
    overlay: this.#overlay,
    busy: () => this.#tracking.driving,
    willChange: (why) => {
      this.#prompts.resetForImage();
      if (why === 'source') this.#tracking.reset();
    },
    changed: (decoding, time) => {
      if (time !== undefined) this.#tracking.showRecorded(this.#tracking.frameAt(time));
      this.#prompts.encodeEarly(decoding);
    },
  });
  readonly #prompts: PromptController = new PromptController(this, {
    engine: this.#engine,
    overlay: this.#overlay,
    reporter: this.#reporter,
    image: () => this.#media.decoding,
    bitmap: () => this.#media.bitmap,
    willShowMask: () => {
      // A new selection on a tracked frame replaces the recorded masks drawn there.
      this.#tracking.stopReplay();
      this.#overlay.setTracked(new Map());
    },
  });
  readonly #input = new InputController(this, {
    overlay: this.#overlay,
    prompts: this.#prompts,
    mode: () => this.mode,
  });
  readonly #tracking: TrackingController = new TrackingController(this, {
    engine: this.#engine,
    overlay: this.#overlay,
    reporter: this.#reporter,
    video: () => this.video,
    fps: () => this.fps,
    selection: () => this.#prompts.current,
  });

  constructor() {
    super();
    this.device = 'auto';
    this.mode = 'click';
    this.label = 'Image to segment';
    this.loading = 'eager';
    this.fps = 30;
    this.noCache = false;
    this.persistStorage = false;
  }

  /** The `<video>` showing a video `src`, for playback control (play, pause, currentTime); null for images. */
  get video(): HTMLVideoElement | null {
    return this.#media.video;
  }

  /**
   * Tracks objects through a video with SAM 2's memory: this element's video by default, or any `<video>`, a camera
   * `MediaStream`, or a clip URL/Blob. Prompts come from `options.prompts`, else from the selection on the shown frame
   * (object 1). Fires `mask-change` per object and `track-frame` per frame, then `track-end`; when it tracks this
   * element's video the overlay shows the masks, and follows playback afterwards. A new `track()` stops the previous.
   */
  track(source?: TrackSource | null, options: TrackOptions = {}): TrackingSession {
    this.#applyMedia();
    return this.#tracking.track(source, options);
  }

  /** Segments with exactly these points and/or box (natural pixels); shows and returns the mask. */
  segment(prompt: Sam2SegmenterPrompt): Promise<Sam2MaskChangeDetail> {
    this.#applyMedia();
    return this.#prompts.segment(prompt);
  }

  /** Removes every prompt and the mask. */
  clear(): void {
    this.#prompts.clear();
  }

  /** Removes the last prompt and shows the mask from before it. */
  undo(): Promise<void> {
    return this.#prompts.undo();
  }

  /** Starts loading the model without an image; resolves with what `ready` reports (rejects while disconnected). */
  preload(): Promise<ReadyInfo> {
    try {
      return this.#engine.ready();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The `source` and `src` the media was last loaded from. */
  #appliedMedia: { source: unknown; src: string | undefined } = { source: null, src: undefined };

  /**
   * Loads the media when `source` or `src` changed since it was last loaded. Lit applies properties in `willUpdate`, a
   * microtask later; a method called right after the host set them must already work on the new media.
   */
  #applyMedia(): void {
    const source = this.source ?? null;
    const src = this.src;
    if (source === this.#appliedMedia.source && src === this.#appliedMedia.src) return;
    this.#appliedMedia = { source, src };
    this.#media.load();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Options are read when a segmenter is created: a change replaces it (first render: nothing to replace).
    if (ENGINE_OPTIONS.some((k) => changed.has(k)) && this.#engine.existing) this.#prompts.resetEngine();
    if (changed.has('src') || changed.has('source')) this.#applyMedia();
    if (changed.has('mode') && this.mode !== 'hover') this.#prompts.cancelHover();
  }

  protected override render() {
    const url = this.#media.objectUrl;
    const input = this.#input;
    return html`
      <div
        class="stage"
        part="base"
        tabindex="0"
        role="application"
        aria-label=${this.label}
        aria-describedby="help"
        @pointerdown=${input.onPointerDown}
        @pointermove=${input.onPointerMove}
        @pointerup=${input.onPointerUp}
        @pointercancel=${input.onPointerCancel}
        @pointerleave=${input.onPointerLeave}
        @contextmenu=${input.onContextMenu}
        @keydown=${input.onKeyDown}
        @focus=${input.onFocus}
        @blur=${input.onBlur}
      >
        ${
          url === null
            ? html`<canvas part="media" aria-hidden="true"></canvas>`
            : this.#media.isVideo
              ? html`<video
                  part="media"
                  src=${url}
                  muted
                  playsinline
                  preload="auto"
                  @seeked=${this.#media.onShownFrame}
                  @pause=${this.#media.onShownFrame}
                  @play=${this.#tracking.onPlay}
                ></video>`
              : html`<img part="media" src=${url} alt="" draggable="false" />`
        }
        <canvas part="overlay" aria-hidden="true"></canvas>
      </div>
      <div id="help" class="visually-hidden">
        Click or press Enter to add the object under the cursor, Alt-click, right-click or Shift+Enter to exclude, drag
        for a box, arrow keys move the cursor, Backspace undoes, Escape clears.
      </div>
      <div class="visually-hidden" role="status" aria-live="polite">${this.#reporter.announcement || nothing}</div>
    `;
  }

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
}

// Typed listeners: `error` is the element's CustomEvent here, where HTMLElementEventMap has the global ErrorEvent.
export interface Sam2SegmenterElement {
  addEventListener<K extends keyof Sam2SegmenterElementEventMap>(
    type: K,
    listener: (this: Sam2SegmenterElement, ev: Sam2SegmenterElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof Sam2SegmenterElementEventMap>(
    type: K,
    listener: (this: Sam2SegmenterElement, ev: Sam2SegmenterElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}
