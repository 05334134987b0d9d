// The engine core of one worker: the loaded model, the image pipeline and the trackers behind ONE command queue, so
// that ordering, cancellation and supersession live in one place. Loading (init, a tracker's memory graphs) and pure
// work (drawing recorded masks) run beside the queue: they touch no session state.

import { loadModel, type ProgressCallback } from './model-load.js';
import type { EngineConfig } from '../shared/engine-config.js';
import { Sam2Error } from '../shared/errors.js';
import { ImageEngine, alphaBitmap, type ImageInfo } from './image-engine.js';
import { decodeRle, rleToBbox } from '../shared/rle.js';
import { CommandQueue } from './command-queue.js';
import {
  VideoEngine,
  closeFrame,
  type ResultOptions,
  type TrackerOpenOptions,
  type WorkerFrame,
} from './video-engine.js';
import type {
  MaskOverlay,
  ReadyInfo,
  SegmentPrompt,
  SegmentResultData,
  TrackFrameData,
  TrackPrompt,
  TrackPromptData,
  TrackerStats,
} from '../shared/types.js';

export type { ImageInfo, ResultOptions, TrackerOpenOptions, WorkerFrame };

export class EngineCore {
  readonly #queue = new CommandQueue();
  #image: Promise<ImageEngine> | null = null;
  #video: Promise<VideoEngine> | null = null;
  /** The last init failed: another may run in this worker (and share ORT's .wasm, downloaded or still coming). */
  #failed = false;

  /** Loads the model; resolves with what `ready` reports. Once per core. */
  async init(
    config: EngineConfig,
    onProgress?: ProgressCallback,
    onWarning?: (w: Sam2Error) => void,
  ): Promise<ReadyInfo> {
    if (this.#image && !this.#failed) throw new Error('init() was already called in this worker');
    this.#failed = false;
    const loading = loadModel(config, onProgress, onWarning ? { onWarning } : {});
    loading.catch(() => {
      this.#failed = true;
    });
    this.#image = loading.then((m) => new ImageEngine(m.adapter, m.info.backend === 'webgpu'));
    this.#video = loading.then((m) => new VideoEngine(m.loadVideo, m.info.contract));
    // A failed load leaves the core without an engine until init() is called again.
    this.#image.catch(() => undefined);
    this.#video.catch(() => undefined);
    return (await loading).info;
  }

  /** Encodes an image (a bitmap is closed; a Blob is decoded) and keeps its embedding. */
  setImage(image: ImageBitmap | Blob, callId?: number): Promise<ImageInfo> {
    return this.#queue.run(callId, async () => (await this.#needImage()).setImage(image), {
      onSkip: () => {
        if (!(image instanceof Blob)) image.close();
      },
    });
  }

  /** Segments one object; a newer segment() of the same object queued before this one starts supersedes it. */
  segment(prompt: SegmentPrompt, callId?: number): Promise<SegmentResultData> {
    const objectId = (prompt as SegmentPrompt | null)?.objectId ?? 1;
    return this.#queue.run(callId, async () => (await this.#needImage()).segment(prompt), {
      supersede: `segment:${String(objectId)}`,
    });
  }

  /** Drops the refinement state of one object, or of all (at once: it only forgets). */
  async clear(objectId?: number): Promise<void> {
    if (this.#image) (await this.#image.catch(() => null))?.clear(objectId);
  }

  /** Skips a queued call; a running one finishes and the page drops its result. */
  cancel(callId: number): void {
    this.#queue.cancel(callId);
  }

  /** Opens tracker `id` (loading the memory graphs on first use); `model-contract` for image-only bundles. */
  async trackerOpen(id: number, options: TrackerOpenOptions): Promise<void> {
    await (await this.#needVideo()).open(id, options);
  }

  /** A prompt on one frame of a tracker; the frame (transferred) is closed here. */
  trackerPrompt(
    id: number,
    frame: number,
    pixels: WorkerFrame | null,
    prompt: TrackPrompt,
    options: ResultOptions,
    callId?: number,
  ): Promise<TrackPromptData> {
    return this.#queue.run(callId, async () => (await this.#needVideo()).prompt(id, frame, pixels, prompt, options), {
      onSkip: () => closeFrame(pixels),
    });
  }

  /** Tracks every object of a tracker on one frame (transferred, closed here). */
  trackerStep(
    id: number,
    frame: number,
    pixels: WorkerFrame,
    direction: 1 | -1,
    options: ResultOptions,
    callId?: number,
  ): Promise<TrackFrameData> {
    return this.#queue.run(callId, async () => (await this.#needVideo()).step(id, frame, pixels, direction, options), {
      onSkip: () => closeFrame(pixels),
    });
  }

  trackerRemoveObject(id: number, objectId: number, callId?: number): Promise<boolean> {
    return this.#queue.run(callId, async () => (await this.#needVideo()).removeObject(id, objectId));
  }

  trackerStats(id: number, callId?: number): Promise<TrackerStats> {
    return this.#queue.run(callId, async () => (await this.#needVideo()).stats(id));
  }

  /** Closes a tracker after the commands queued before it; resolves with its last stats (null when not open). */
  trackerClose(id: number, callId?: number): Promise<TrackerStats | null> {
    return this.#queue.run(callId, async () => (await this.#needVideo()).close(id));
  }

  /** Trackers open. */
  async trackerCount(): Promise<number> {
    return this.#video ? ((await this.#video.catch(() => null))?.openCount ?? 0) : 0;
  }

  /** Draws recorded COCO RLE masks as alpha bitmaps of their boxes (a replayed track). */
  async renderMasks(rles: readonly { size: [number, number]; counts: string }[]): Promise<MaskOverlay[]> {
    const out: MaskOverlay[] = [];
    for (const rle of rles) {
      const [h, w] = rle.size;
      const bbox = rleToBbox(rle);
      const bitmap = await alphaBitmap(decodeRle(rle), w, h, bbox);
      if (!bitmap) throw new Sam2Error('not-ready', 'this browser cannot make bitmaps in a worker');
      out.push({ bitmap, bbox });
    }
    return out;
  }

  #needImage(): Promise<ImageEngine> {
    if (!this.#image) throw new Sam2Error('not-ready', 'the worker has no model: init() was not called');
    return this.#image;
  }

  #needVideo(): Promise<VideoEngine> {
    if (!this.#video) throw new Sam2Error('not-ready', 'the worker has no model: init() was not called');
    return this.#video;
  }
}
