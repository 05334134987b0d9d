// Video tracking in the worker: one VideoTracker per tracking session, its calls run one after another, and every
// result leaves as compact bytes (mask at natural size, COCO RLE, optional overlay bitmap). Frames arrive as
// transferred VideoFrames or ImageBitmaps and are closed here once encoded.

import type { VideoModel } from './bundle.js';
import { Sam2Error } from '../shared/errors.js';
import { alphaBitmap } from './image-engine.js';
import { PromptError } from './math/prompts.js';
import { maskArea, maskBbox } from './math/polygons.js';
import { encodeRle } from './math/rle.js';
import { VideoTracker, toNaturalMask, type ObjectFrameResult } from './tracker/video-tracker.js';
import type { TrackFrameData, TrackObjectData, TrackPrompt, TrackPromptData, TrackerStats } from '../shared/types.js';

/** A frame as it crosses to the worker. */
export type WorkerFrame = ImageBitmap | VideoFrame;

/** Options of one tracker. */
export interface TrackerOpenOptions {
  /** Frames in the clip; undefined for live streams. */
  numFrames?: number;
}

/** What each result carries besides the mask bytes. */
export interface ResultOptions {
  /** Make an alpha bitmap of each mask for drawing. */
  overlay?: boolean;
}

function closeFrame(f: WorkerFrame | null | undefined): void {
  try {
    f?.close();
  } catch {
    // Already closed or detached.
  }
}

function isFrame(f: unknown): f is WorkerFrame {
  return (typeof ImageBitmap !== 'undefined' && f instanceof ImageBitmap) || (typeof VideoFrame !== 'undefined' && f instanceof VideoFrame);
}

/** Frame indices, prompts and directions from the page become `invalid-prompt` errors, never crashes. */
function asPromptError(e: unknown): never {
  if (e instanceof RangeError || e instanceof PromptError) throw new Sam2Error('invalid-prompt', e.message, { cause: e });
  if (e instanceof DOMException && e.name === 'SecurityError') {
    throw new Sam2Error('media-cross-origin', 'the video frame is cross-origin without CORS and cannot be read', { cause: e });
  }
  throw e;
}

interface Entry {
  tracker: VideoTracker;
  tail: Promise<unknown>;
}

/** Every tracker of one worker. */
export class VideoEngine {
  readonly #trackers = new Map<number, Entry>();

  constructor(private readonly load: (() => Promise<VideoModel>) | null, private readonly contract: string) {}

  /** Opens tracker `id` (loading the memory graphs on first use). */
  async open(id: number, options: TrackerOpenOptions = {}): Promise<void> {
    if (!this.load) {
      throw new Sam2Error(
        'model-contract',
        `this model ("${this.contract}") has no video graphs: tracking needs a four-graph sam2-video-4g/1 bundle ` +
          '(the default twin preset, or a manifest listing memory_encoder, memory_attention and constants.json), ' +
          'or a SAM 2.1 / EdgeTAM video export (the *-video presets)',
      );
    }
    if (this.#trackers.has(id)) throw new Error(`tracker ${id} is already open`);
    const model = await this.load();
    let tracker: VideoTracker;
    try {
      tracker = new VideoTracker(model.layout, options.numFrames === undefined ? {} : { numFrames: options.numFrames });
    } catch (e) {
      asPromptError(e);
    }
    this.#trackers.set(id, { tracker, tail: Promise.resolve() });
  }

  /** A prompt for one object on one frame; `frame` pixels are needed unless that frame is the one last sent. */
  prompt(id: number, frame: number, pixels: WorkerFrame | null, prompt: TrackPrompt, options: ResultOptions = {}): Promise<TrackPromptData> {
    return this.#run(id, pixels, async (t) => {
      if (prompt === null || typeof prompt !== 'object') throw new Sam2Error('invalid-prompt', 'prompt must be an object');
      const objectId = prompt.objectId ?? 1;
      if (!Number.isInteger(objectId)) throw new Sam2Error('invalid-prompt', `objectId must be an integer, got ${String(objectId)}`);
      const points = prompt.points ?? [];
      if (!Array.isArray(points)) throw new Sam2Error('invalid-prompt', 'prompt.points must be an array');
      if (!pixels) throw new Sam2Error('invalid-prompt', `frame ${frame} pixels are needed for a prompt`);
      const r = await t.addPrompt(frame, objectId, points, prompt.box ?? null, pixels).catch(asPromptError);
      return { ...(await this.#toData(r, options)), kind: r.kind, invalidated: r.invalidated };
    });
  }

  /** Tracks every object on one frame, in `direction` (1 forward, -1 backward). */
  step(id: number, frame: number, pixels: WorkerFrame, direction: 1 | -1, options: ResultOptions = {}): Promise<TrackFrameData> {
    return this.#run(id, pixels, async (t) => {
      const r = await t.track(frame, pixels, direction).catch(asPromptError);
      const objects: TrackObjectData[] = [];
      for (const o of r.objects) objects.push(await this.#toData(o, options));
      return { frame: r.frame, objects };
    });
  }

  /** Forgets one object; false when it was not tracked. */
  removeObject(id: number, objectId: number): Promise<boolean> {
    return this.#run(id, null, async (t) => t.removeObject(objectId));
  }

  stats(id: number): Promise<TrackerStats> {
    return this.#run(id, null, async (t) => this.#stats(t));
  }

  /** Closes tracker `id` after its queued calls and frees everything it holds; resolves with its last stats. */
  async close(id: number): Promise<TrackerStats | null> {
    const e = this.#trackers.get(id);
    if (!e) return null;
    this.#trackers.delete(id);
    await e.tail.catch(() => undefined);
    const stats = this.#stats(e.tracker);
    e.tracker.dispose();
    return stats;
  }

  /** Trackers open (tests: a stopped session leaves none behind). */
  get openCount(): number {
    return this.#trackers.size;
  }

  #stats(t: VideoTracker): TrackerStats {
    const m = t.memoryStats();
    const timings = structuredClone(t.timings);
    return { bytes: m.bytes, objects: m.objects.length, encodedFrames: m.encodedFrames, timings };
  }

  #run<T>(id: number, pixels: WorkerFrame | null, fn: (t: VideoTracker) => Promise<T>): Promise<T> {
    const e = this.#trackers.get(id);
    if (!e) {
      closeFrame(pixels);
      return Promise.reject(new Sam2Error('not-ready', `tracker ${id} is not open (stopped, or the worker restarted)`));
    }
    if (pixels !== null && !isFrame(pixels)) {
      return Promise.reject(new Sam2Error('media-decode', 'a video frame must be a VideoFrame or an ImageBitmap'));
    }
    const result = e.tail.then(async () => {
      try {
        return await fn(e.tracker);
      } finally {
        closeFrame(pixels);
      }
    });
    e.tail = result.catch(() => undefined);
    return result;
  }

  async #toData(r: ObjectFrameResult, options: ResultOptions): Promise<TrackObjectData> {
    const { width, height } = r;
    const data = r.present ? toNaturalMask(r.lowRes, width, height) : new Uint8Array(width * height);
    const rle = encodeRle(data, width, height);
    const out: TrackObjectData = {
      objectId: r.objectId,
      frame: r.frame,
      score: r.iou,
      objectScore: r.score,
      present: r.present,
      mask: { width, height, data, bbox: maskBbox(data, width, height), area: maskArea(data) },
      rle: { size: [rle.size[0], rle.size[1]], counts: rle.counts },
    };
    if (options.overlay) {
      const bitmap = await alphaBitmap(data, width, height);
      if (bitmap) out.overlay = bitmap;
    }
    return out;
  }
}
