// Owns the element's hold on a segmenter: acquired on first use with the element's current options from the shared
// registry (elements with the same options share one worker, download and engine), its `ready` turned into one
// `ready` event, and released when the element leaves the document (a move within the document, which disconnects
// and reconnects in one task, keeps it; the registry alone delays disposal, so a quick re-add keeps the model). It
// also keeps the segmenter's image: what this element sent, re-sent when a shared segmenter was given another's.
//
// Loading: `eager` starts the model download as soon as the element is connected; `lazy` only when the element
// becomes visible (IntersectionObserver) or something asks for the segmenter explicitly (`preload()`, `segment()`).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ImageSize, Segmenter, SegmenterOptions } from '../../client/segmenter.js';
import { Sam2Error } from '../../shared/errors.js';
import { whenGone } from '../reporter.js';
import { acquireSegmenter, type SharedSegmenter } from '../../client/registry.js';
import type { ModelProgress, ReadyInfo } from '../../shared/types.js';

/** When the model download starts. */
export type LoadingMode = 'eager' | 'lazy';

/** What the engine controller reports to its host. */
export interface EngineControllerCallbacks {
  /** The segmenter's options, read when one is acquired. */
  options(): SegmenterOptions;
  /** The host's loading mode (default `eager`). */
  loading?(): LoadingMode | string | undefined;
  onReady(info: ReadyInfo): void;
  onProgress(progress: ModelProgress): void;
  onError(error: unknown): void;
  /** A non-fatal problem of the model load (code `storage`: the cache is unavailable). */
  onWarning?(warning: Sam2Error): void;
  /** The element's image was just posted to the segmenter (its refinement state there is gone). */
  onImagePosted?(): void;
  /** The element's image was encoded (still the current one): its size and timings. */
  onImageEncoded?(info: ImageSize): void;
  /** The host media `bitmap` came from, posted instead of it when there is one (see MediaController.origin). */
  origin?(bitmap: ImageBitmap): Blob | HTMLCanvasElement | HTMLImageElement | null;
}

export class EngineController implements ReactiveController {
  #hold: SharedSegmenter | null = null;
  /** The segmenter whose `ready` is being reported. */
  #watched: Segmenter | null = null;
  /** Which segmenter has which of our images, and its encode. */
  #sent: { seg: Segmenter; bitmap: ImageBitmap; done: Promise<unknown> } | null = null;
  /** The element has been seen in the viewport, or the segmenter was asked for explicitly. */
  #allowedOnce = false;
  #observer: IntersectionObserver | null = null;
  #waiters: (() => void)[] = [];
  /** Work that keeps the segmenter held after the element left, until it settles. */
  #keep = new Set<Promise<unknown>>();

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly callbacks: EngineControllerCallbacks,
  ) {
    host.addController(this);
  }

  /** The current segmenter, acquired with the host's options on first use (this counts as an explicit request). */
  get segmenter(): Segmenter {
    if (!this.#hold) {
      // A call still running when the element left must not start a worker that nothing would dispose.
      if (!this.host.isConnected) throw new Sam2Error('aborted', 'the element is not in the document');
      let hold: SharedSegmenter | null = null;
      hold = acquireSegmenter(
        this.callbacks.options(),
        (p) => {
          if (this.#hold === hold) this.callbacks.onProgress(p);
        },
        (w) => {
          if (this.#hold === hold) this.callbacks.onWarning?.(w);
        },
      );
      this.#hold = hold;
      this.#allow();
    }
    return this.#hold.segmenter;
  }

  /** The current segmenter without acquiring one. */
  get existing(): Segmenter | null {
    return this.#hold?.segmenter ?? null;
  }

  /** Whether the segmenter's current image is the one this element last sent (false when shared and replaced). */
  ownsImage(): boolean {
    return this.#hold?.ownsImage() ?? false;
  }

  /**
   * Makes sure the segmenter has `bitmap` as its image (after a restart, a new segmenter, or another element sharing
   * the segmenter sending its own) and resolves with it once encoded. Callers segmenting call `reclaim` right before.
   */
  async setImage(bitmap: ImageBitmap): Promise<Segmenter> {
    const seg = this.segmenter;
    if (!this.#sent || this.#sent.seg !== seg || this.#sent.bitmap !== bitmap || !this.ownsImage()) {
      this.ready().catch(() => undefined);
      this.#post(seg, bitmap);
    }
    await this.#sent!.done;
    return seg;
  }

  /**
   * Called synchronously right before posting a segment call: when another element sharing the segmenter has set
   * its image since, posts ours again. Calls run in the order they are posted, so the segment runs on our image.
   */
  reclaim(seg: Segmenter, bitmap: ImageBitmap): void {
    if (this.existing === seg && !this.ownsImage()) this.#post(seg, bitmap);
  }

  /** Forgets what was sent: the next `setImage` posts again (a new image is coming). */
  forgetImage(): void {
    this.#sent = null;
  }

  /** Posts `setImage` and records this element as the owner of the engine's image. */
  #post(seg: Segmenter, bitmap: ImageBitmap): void {
    const encoding = seg.setImage(this.callbacks.origin?.(bitmap) ?? bitmap);
    const sent = { seg, bitmap, done: encoding as Promise<unknown> };
    encoding.then(
      (info) => {
        if (this.#sent === sent) this.callbacks.onImageEncoded?.(info);
      },
      () => undefined,
    );
    this.#hold?.claimImage();
    this.#sent = sent;
    this.callbacks.onImagePosted?.();
    // A failed encode is retried by the next call.
    sent.done.catch(() => {
      if (this.#sent === sent) this.#sent = null;
    });
  }

  /** Whether loading may start on its own: `eager`, or `lazy` once visible or explicitly requested. */
  get allowed(): boolean {
    return this.#allowedOnce || this.callbacks.loading?.() !== 'lazy';
  }

  /** Resolves once loading may start on its own (at once for `eager`). */
  whenAllowed(): Promise<void> {
    if (this.allowed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Starts loading the model (if it is not loading yet); the host hears `onReady` or `onError` once per segmenter. */
  ready(): Promise<ReadyInfo> {
    const seg = this.segmenter;
    const ready = seg.ready;
    if (this.#watched !== seg) {
      this.#watched = seg;
      ready.then(
        (info) => {
          if (this.#hold?.segmenter === seg) this.callbacks.onReady(info);
        },
        (e: unknown) => {
          // A failed load is retried by the next call: report that one too.
          if (this.#watched === seg) this.#watched = null;
          if (this.#hold?.segmenter === seg) this.callbacks.onError(e);
        },
      );
    }
    return ready;
  }

  /** Releases the segmenter; the next use acquires one again (after an option change). */
  reset(): void {
    this.#sent = null;
    const hold = this.#hold;
    this.#hold = null;
    this.#watched = null;
    hold?.release();
  }

  /** Keeps the segmenter held past a disconnect until `work` settles (a tracking session closing its worker tracker). */
  keepUntil(work: Promise<unknown>): void {
    const kept: Promise<unknown> = work
      .catch(() => undefined)
      .finally(() => {
        this.#keep.delete(kept);
        this.#releaseIfGone();
      });
    this.#keep.add(kept);
  }

  hostConnected(): void {
    // After the pending update, so that options set right after connecting are the ones loaded.
    void this.host.updateComplete.then(() => this.#autoStart());
  }

  hostUpdated(): void {
    // `loading` may have changed to eager, or options changed (the segmenter was reset).
    if (this.allowed) this.#flush();
    this.#autoStart();
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    whenGone(this.host, () => this.#releaseIfGone());
  }

  #releaseIfGone(): void {
    if (!this.host.isConnected && this.#keep.size === 0) this.reset();
  }

  /** Starts the download when allowed, or watches for visibility when lazy. */
  #autoStart(): void {
    if (!this.host.isConnected) return;
    if (!this.allowed) {
      this.#observe();
      return;
    }
    if (this.#hold) return;
    this.ready().catch(() => undefined);
  }

  #observe(): void {
    if (this.#observer || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      if (this.#observer === observer) this.#observer = null;
      this.#allow();
      this.#autoStart();
    });
    this.#observer = observer;
    observer.observe(this.host);
  }

  #allow(): void {
    this.#allowedOnce = true;
    this.#observer?.disconnect();
    this.#observer = null;
    this.#flush();
  }

  #flush(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
