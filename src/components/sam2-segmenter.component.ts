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
import { objectColour } from './controllers/overlay-controller.js';
import { controlStyles, renderControls, type Sam2PromptTool } from './controls.js';
import { LoadProgress } from './load-progress.js';
import { renderState, stateStyles, type Sam2SegmenterState } from './states.js';
import { resolveStrings, type Sam2SegmenterStrings } from './strings.js';
import { Sam2Mask } from '../client/mask.js';
import { maskArea, maskBbox } from '../shared/polygons.js';
import type { Sam2ErrorCode } from '../shared/types.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterEventMap } from './events.js';
import { Reporter } from './reporter.js';
import { styles } from './sam2-segmenter.styles.js';

export type { Sam2SegmenterMode } from './controllers/input-controller.js';
export type { Sam2SegmenterSource } from './controllers/media-controller.js';
export type { Sam2PromptTool } from './controls.js';
export type { Sam2SegmenterState } from './states.js';

/** Errors that leave the element with nothing to prompt on: they show the error state (with a retry). */
const FATAL: ReadonlySet<Sam2ErrorCode> = new Set<Sam2ErrorCode>([
  'model-fetch',
  'model-integrity',
  'model-contract',
  'backend-unavailable',
  'media-cross-origin',
  'media-decode',
  'worker-crashed',
]);

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
 * @event image-encoded - The image (or shown video frame) was encoded; `detail` is `{width, height, timings}` (ms).
 * @event error - Loading, decoding, segmenting or tracking failed; `detail` is `{code, message}`. Does not bubble.
 * @event warning - A non-fatal problem, e.g. code `storage` when the model cache is unavailable (models then load from the network); `detail` is `{code, message}`.
 *
 * @slot loading - Replaces the loading overlay (the `state` attribute is `loading`; `model-progress` has the figures).
 * @slot error - Replaces the error overlay (`state="error"`; call `retry()` to load again).
 * @slot empty - Replaces what shows without media (`state="empty"`).
 *
 * @csspart base - The focusable stage holding the media and the overlay.
 * @csspart media - The `<img>`, `<video>` or `<canvas>` showing the media; style its `object-fit` (contain, cover, fill).
 * @csspart overlay - The canvas the mask and prompt markers are drawn on.
 * @csspart state - The overlay of a state, with `loading`, `error` or `empty` as its second part name.
 * @csspart progress - The loading bar's track; @csspart progress-bar - its fill (one figure over every file).
 * @csspart state-text - The state's message; @csspart state-title - the error's title; @csspart retry - its button.
 * @csspart controls - The toolbar (the `controls` attribute); @csspart control - each button, also named `tool`,
 *   `tool-active`, `undo`, `redo`, `clear`, `new-object`; @csspart object-select - the object picker.
 *
 * @cssproperty --sam2-mask-color - Mask fill colour (default rgb(30, 144, 255)).
 * @cssproperty --sam2-mask-opacity - Mask fill opacity (default 0.5).
 * @cssproperty --sam2-outline-color - Mask outline colour (default white).
 * @cssproperty --sam2-outline-width - Mask outline width in CSS pixels (default 2px; 0 for none).
 * @cssproperty --sam2-focus-ring - Outline of the focused stage (default 2px solid #1e90ff).
 * @cssproperty --sam2-state-background - Loading and error overlay background (default translucent dark).
 * @cssproperty --sam2-state-color - Loading and error text colour (default white).
 * @cssproperty --sam2-progress-color - Loading bar fill; --sam2-progress-track its track.
 * @cssproperty --sam2-empty-background - Empty state background; --sam2-empty-color its text.
 * @cssproperty --sam2-empty-min-width - Smallest width without media (default 240px); --sam2-empty-min-height (160px).
 * @cssproperty --sam2-control-background - Control buttons; also --sam2-control-color, --sam2-control-border,
 *   --sam2-control-active-background, --sam2-control-active-color.
 */
export class Sam2SegmenterElement extends LitElement {
  static override styles = [styles, stateStyles, controlStyles];

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
    tool: { type: String, reflect: true },
    controls: { type: Boolean, reflect: true },
    strings: { attribute: false },
    state: { type: String, reflect: true },
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
  /** What a plain click or tap adds: `positive` (default), `negative` or (dragging) a `box`; the controls set it too. */
  declare tool: Sam2PromptTool;
  /** `controls` (boolean attribute): show the prompt tool, undo, redo, clear and object controls under the media. */
  declare controls: boolean;
  /** Replacements for the element's texts (help, announcements, states, controls), for other languages; any subset. */
  declare strings: Partial<Sam2SegmenterStrings>;
  /** What the element shows (reflected for styling): `empty`, `loading`, `error` or `ready`. Read-only. */
  declare state: Sam2SegmenterState;

  readonly #progress = new LoadProgress();
  #loaded = false;
  #failure: { code: Sam2ErrorCode; message: string } | null = null;

  readonly #reporter = new Reporter(this);
  readonly #engine: EngineController = new EngineController(this, {
    options: () => this.#segmenterOptions(),
    loading: () => this.loading,
    onReady: (info) => {
      this.#loaded = true;
      this.requestUpdate();
      this.#reporter.emit('ready', info);
    },
    onProgress: (p) => {
      this.#progress.update(p);
      this.requestUpdate();
      this.#reporter.emit('model-progress', p);
    },
    onImageEncoded: (info) => this.#reporter.emit('image-encoded', info),
    onError: (e) => this.#reporter.error(e, 'model-fetch'),
    onWarning: (w) => this.#reporter.emit('warning', { code: w.code, message: w.message, error: w }),
    onImagePosted: () => this.#prompts.imagePosted(),
    origin: (bitmap) => this.#media.origin(bitmap),
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
      if (time !== undefined) this.#tracking.showRecorded(this.#tracking.frameAt(time), true);
      this.#prompts.encodeEarly(decoding);
    },
  });
  readonly #prompts: PromptController = new PromptController(this, {
    engine: this.#engine,
    overlay: this.#overlay,
    reporter: this.#reporter,
    text: () => this.#text,
    image: () => this.#media.decoding,
    bitmap: () => this.#media.bitmap,
    pixels: (bitmap) => this.#media.pixels(bitmap),
    willShowMask: () => {
      // A new selection on a tracked frame replaces the recorded masks drawn there.
      this.#tracking.stopReplay();
      this.#overlay.setTracked(new Map());
    },
  });
  readonly #input = new InputController(this, {
    overlay: this.#overlay,
    prompts: this.#prompts,
    mode: () => (this.tool === 'box' ? 'box' : this.mode),
    negative: () => this.tool === 'negative',
    redo: () => void this.redo(),
    newObject: () => this.newObject(),
  });
  readonly #tracking: TrackingController = new TrackingController(this, {
    engine: this.#engine,
    overlay: this.#overlay,
    reporter: this.#reporter,
    video: () => this.video,
    fps: () => this.fps,
    selection: () => this.#prompts.selections(),
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
    this.tool = 'positive';
    this.controls = false;
    this.strings = {};
    this.state = 'empty';
    // Errors that leave nothing to prompt on show the error state; its retry loads again.
    this.addEventListener('error', (e) => {
      const { code, message } = (e as CustomEvent<{ code: Sam2ErrorCode; message: string }>).detail;
      if (!FATAL.has(code)) return;
      this.#failure = { code, message };
      this.requestUpdate();
    });
  }

  /** The element's texts: the host's `strings` over the English defaults. */
  get #text(): Sam2SegmenterStrings {
    return resolveStrings(this.strings);
  }

  /** Takes back the last undo of the active object. */
  redo(): Promise<void> {
    return this.#prompts.redo();
  }

  /** Starts a new object; prompts go to it from now on. Returns its id (fires no mask-change until prompted). */
  newObject(): number {
    return this.#prompts.newObject();
  }

  /** The object prompts (clicks, `segment()`, undo, redo) go to; setting a new id starts that object. */
  get activeObject(): number {
    return this.#prompts.activeObject;
  }

  set activeObject(objectId: number) {
    this.#prompts.selectObject(objectId);
  }

  /** Ids of the objects made so far. */
  get objects(): number[] {
    return this.#prompts.objectIds;
  }

  /** The shown mask of one object (default: the active one), for exports; null when it has none. */
  getMask(objectId?: number): Sam2Mask | null {
    return this.#prompts.maskOf(objectId);
  }

  /** Every object's shown mask merged into one (for a combined export); null when no object has a mask. */
  getCombinedMask(): Sam2Mask | null {
    const masks = this.#prompts.objectIds
      .map((id) => this.#prompts.maskOf(id))
      .filter((m): m is Sam2Mask => m !== null);
    if (masks.length === 0) return null;
    if (masks.length === 1) return masks[0]!;
    const { width, height } = masks[0]!;
    const data = new Uint8Array(width * height);
    for (const m of masks) for (let i = 0; i < data.length; i++) data[i]! |= m.data[i]!;
    return new Sam2Mask(
      { width, height, data, bbox: maskBbox(data, width, height), area: maskArea(data) },
      this.#media.bitmap && this.#media.pixels(this.#media.bitmap),
      this.#engine.existing?.maskCodec,
    );
  }

  /** Leaves the error state and loads again: the media and the model (a failed load is never cached). */
  retry(): void {
    const failure = this.#failure;
    this.#failure = null;
    this.#progress.reset();
    this.requestUpdate();
    if (failure && failure.code.startsWith('media-')) this.#media.load();
    else if (failure) this.#prompts.resetEngine();
    this.preload().catch(() => undefined);
  }

  /** The `<video>` showing a video `src`, for playback control (play, pause, currentTime); null for images. */
  get video(): HTMLVideoElement | null {
    return this.#media.video;
  }

  /**
   * Tracks objects through a video with SAM 2's memory: this element's video by default, or any `<video>`, a camera
   * `MediaStream`, or a clip URL/Blob. Prompts come from `options.prompts`, else from the selection on the shown frame
   * (each object's). Fires `mask-change` per object and `track-frame` per frame, then `track-end`; when it tracks this
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
    if (ENGINE_OPTIONS.some((k) => changed.has(k))) {
      // Another model or backend: a new load, whatever the last one did.
      this.#failure = null;
      this.#loaded = false;
      this.#progress.reset();
      if (this.#engine.existing) this.#prompts.resetEngine();
    }
    if ((changed.has('src') || changed.has('source')) && this.#failure?.code.startsWith('media-')) this.#failure = null;
    if (changed.has('src') || changed.has('source')) this.#applyMedia();
    if (changed.has('mode') && this.mode !== 'hover') this.#prompts.cancelHover();
    this.state = this.#computeState();
  }

  #computeState(): Sam2SegmenterState {
    if (this.#failure) return 'error';
    if (!this.source && !this.src) return 'empty';
    if (!this.#loaded) return 'loading';
    return 'ready';
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
        ${renderState(this.state, this.#text, this.#progress.current, this.#failure, () => this.retry())}
      </div>
      ${this.controls ? this.#renderControls() : nothing}
      <div id="help" class="visually-hidden">${this.#text.help}</div>
      <div class="visually-hidden" role="status" aria-live="polite">${this.#reporter.announcement || nothing}</div>
    `;
  }

  #renderControls() {
    const prompts = this.#prompts;
    const hostColour = getComputedStyle(this).getPropertyValue('--sam2-mask-color').trim() || undefined;
    return renderControls({
      text: this.#text,
      tool: this.tool,
      objects: prompts.objectIds,
      active: prompts.activeObject,
      colourOf: (id) => objectColour(id, hostColour),
      canUndo: prompts.length > 0,
      canRedo: prompts.redoLength > 0,
      canClear: prompts.length > 0,
      setTool: (tool) => {
        this.tool = tool;
      },
      undo: () => void this.undo(),
      redo: () => void this.redo(),
      clear: () => this.#prompts.clear(prompts.activeObject),
      newObject: () => this.newObject(),
      selectObject: (id) => {
        this.activeObject = id;
      },
    });
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
