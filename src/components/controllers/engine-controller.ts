// Owns the element's segmenter: created on first use with the element's current options, its `ready` turned into
// one `ready` event, and disposed a moment after the element leaves the document (a move within the document,
// which disconnects and reconnects in one task, keeps it and its loaded model).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createSegmenter, type Segmenter, type SegmenterOptions } from '../../engine/client.js';
import { Sam2Error } from '../../engine/errors.js';
import type { ModelProgress, ReadyInfo } from '../../engine/types.js';

/** What the engine controller reports to its host. */
export interface EngineControllerCallbacks {
  /** The segmenter's options, read when one is created. */
  options(): SegmenterOptions;
  onReady(info: ReadyInfo): void;
  onProgress(progress: ModelProgress): void;
  onError(error: unknown): void;
}

/** Milliseconds a disconnected element keeps its segmenter, so that DOM moves do not reload the model. */
export const DISPOSE_DELAY_MS = 100;

export class EngineController implements ReactiveController {
  #segmenter: Segmenter | null = null;
  /** The segmenter whose `ready` is being reported. */
  #watched: Segmenter | null = null;
  #disposeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly callbacks: EngineControllerCallbacks,
  ) {
    host.addController(this);
  }

  /** The current segmenter, created with the host's options on first use. */
  get segmenter(): Segmenter {
    if (!this.#segmenter) {
      // A call still running when the element left must not start a worker that nothing would dispose.
      if (!this.host.isConnected) throw new Sam2Error('aborted', 'the element is not in the document');
      const seg = createSegmenter({
        ...this.callbacks.options(),
        onProgress: (p) => {
          if (this.#segmenter === seg) this.callbacks.onProgress(p);
        },
      });
      this.#segmenter = seg;
    }
    return this.#segmenter;
  }

  /** The current segmenter without creating one. */
  get existing(): Segmenter | null {
    return this.#segmenter;
  }

  /** Starts loading the model (if it is not loading yet); the host hears `onReady` or `onError` once per segmenter. */
  ready(): Promise<ReadyInfo> {
    const seg = this.segmenter;
    const ready = seg.ready;
    if (this.#watched !== seg) {
      this.#watched = seg;
      ready.then(
        (info) => {
          if (this.#segmenter === seg) this.callbacks.onReady(info);
        },
        (e: unknown) => {
          // A failed load is retried by the next call: report that one too.
          if (this.#watched === seg) this.#watched = null;
          if (this.#segmenter === seg) this.callbacks.onError(e);
        },
      );
    }
    return ready;
  }

  /** Disposes the segmenter; the next use creates a new one (after an option change). */
  reset(): void {
    clearTimeout(this.#disposeTimer);
    this.#disposeTimer = undefined;
    const seg = this.#segmenter;
    this.#segmenter = null;
    this.#watched = null;
    seg?.dispose();
  }

  hostConnected(): void {
    clearTimeout(this.#disposeTimer);
    this.#disposeTimer = undefined;
  }

  hostDisconnected(): void {
    clearTimeout(this.#disposeTimer);
    this.#disposeTimer = setTimeout(() => this.reset(), DISPOSE_DELAY_MS);
  }
}
