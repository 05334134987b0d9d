// Video tracking in the worker: one VideoTracker per tracking session (the worker's command queue runs its calls one
// after another), and every result leaves as compact bytes (mask at natural size, COCO RLE, optional overlay
// bitmap). Frames arrive as transferred VideoFrames or ImageBitmaps and are closed here once encoded.

import type { VideoModel } from './model-load.js';
import { Sam2Error, isCrossOriginError, mediaReadError } from '../shared/errors.js';
import { alphaBitmap } from './image-engine.js';
import { validateObjectPrompt } from '../shared/prompts.js';
import { upsampleThresholdRegion } from './math/resample.js';
import { encodeRle } from '../shared/rle.js';
import { VideoTracker, type ObjectFrameResult, type VideoTrackerOptions } from './tracker/video-tracker.js';
import { preprocess } from './preprocess.js';
import type {
  TrackFrameData,
  TrackObjectData,
  TrackPrompt,
  TrackPromptData,
  TrackerStats,
  TransferStats,
} from '../shared/types.js';
import { transferCounters } from './tensors.js';

/** A frame as it crosses to the worker. */
export type WorkerFrame = ImageBitmap | VideoFrame;

/** Options of one tracker. */
export interface TrackerOpenOptions {
  /** Frames in the clip; undefined for live streams. */
  numFrames?: number;
  /** Frames back on which a correction is exact (whole per-frame state kept); default 0. */
  history?: number;
}

/** What each result carries besides the mask bytes. */
export interface ResultOptions {
  /** Make an alpha bitmap of each mask for drawing. */
  overlay?: boolean;
}

/** Closes a frame the engine was given; safe on one already closed or detached. */
export function closeFrame(f: WorkerFrame | null | undefined): void {
  try {
    f?.close();
  } catch {
    // Already closed or detached.
  }
}

function isFrame(f: unknown): f is WorkerFrame {
  return (
    (typeof ImageBitmap !== 'undefined' && f instanceof ImageBitmap) ||
    (typeof VideoFrame !== 'undefined' && f instanceof VideoFrame)
  );
}

/** Frame indices, prompts and directions from the page become `invalid-prompt` errors, never crashes. */
function asPromptError(e: unknown): never {
  if (e instanceof RangeError) throw new Sam2Error('invalid-prompt', e.message, { cause: e });
  if (isCrossOriginError(e)) throw mediaReadError(e, 'the video frame');
  throw e;
}

/** Every tracker of one worker. */
export class VideoEngine {
  readonly #trackers = new Map<number, VideoTracker>();
  readonly #transfer = new Map<number, TransferStats>();

  constructor(
    private readonly load: (() => Promise<VideoModel>) | null,
    private readonly contract: string,
  ) {}

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
      const o: VideoTrackerOptions = {};
      // WebGPU: frames are normalised on the GPU, and the encoder's input stays there.
      if (model.backend === 'webgpu') o.preprocess = (s) => preprocess(s, model.layout.preprocess, true);
      if (options.numFrames !== undefined) o.numFrames = options.numFrames;
      if (options.history !== undefined) o.history = options.history;
      tracker = new VideoTracker(model.layout, o);
    } catch (e) {
      asPromptError(e);
    }
    this.#trackers.set(id, tracker);
    this.#transfer.set(id, {
      uploadBytes: 0,
      readbackBytes: 0,
      frames: 0,
      objectFrames: 0,
      promptUploadBytes: 0,
      promptReadbackBytes: 0,
      prompts: 0,
    });
  }

  /** A prompt for one object on one frame; `frame` pixels are needed unless that frame is the one last sent. */
  prompt(
    id: number,
    frame: number,
    pixels: WorkerFrame | null,
    prompt: TrackPrompt,
    options: ResultOptions = {},
  ): Promise<TrackPromptData> {
    return this.#run(id, pixels, async (t) => {
      const { objectId, points, box } = validateObjectPrompt(prompt);
      if (!pixels) throw new Sam2Error('invalid-prompt', `frame ${frame} pixels are needed for a prompt`);
      const before = transferCounters();
      const r = await t.addPrompt(frame, objectId, points, box, pixels).catch(asPromptError);
      this.#count(id, before, 'prompt', 1);
      return { ...(await this.#toData(r, options)), kind: r.kind, invalidated: r.invalidated };
    });
  }

  /** Tracks every object on one frame, in `direction` (1 forward, -1 backward). */
  step(
    id: number,
    frame: number,
    pixels: WorkerFrame,
    direction: 1 | -1,
    options: ResultOptions = {},
  ): Promise<TrackFrameData> {
    return this.#run(id, pixels, async (t) => {
      const before = transferCounters();
      const r = await t.track(frame, pixels, direction).catch(asPromptError);
      this.#count(id, before, 'frame', r.objects.length);
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
    return this.#run(id, null, async (t) => this.#stats(t, id));
  }

  /** Closes tracker `id` and frees everything it holds; resolves with its last stats (null when it was not open). */
  close(id: number): TrackerStats | null {
    const t = this.#trackers.get(id);
    if (!t) return null;
    this.#trackers.delete(id);
    const stats = this.#stats(t, id);
    this.#transfer.delete(id);
    t.dispose();
    return stats;
  }

  /** Trackers open (tests: a stopped session leaves none behind). */
  get openCount(): number {
    return this.#trackers.size;
  }

  #stats(t: VideoTracker, id: number): TrackerStats {
    const m = t.memoryStats();
    const timings = structuredClone(t.timings);
    const transfer = { ...this.#transfer.get(id)! };
    const memories = m.objects.reduce((a, o) => a + o.memories, 0);
    return { bytes: m.bytes, objects: m.objects.length, memories, encodedFrames: m.encodedFrames, timings, transfer };
  }

  /** Adds the bytes moved since `before` to tracker `id` (the preflight of pending prompts counts with the frame). */
  #count(
    id: number,
    before: { uploadBytes: number; readbackBytes: number },
    kind: 'prompt' | 'frame',
    objects: number,
  ): void {
    const s = this.#transfer.get(id);
    if (!s) return;
    const now = transferCounters();
    const up = now.uploadBytes - before.uploadBytes;
    const down = now.readbackBytes - before.readbackBytes;
    if (kind === 'prompt') {
      s.promptUploadBytes += up;
      s.promptReadbackBytes += down;
      s.prompts++;
    } else {
      s.uploadBytes += up;
      s.readbackBytes += down;
      s.frames++;
      s.objectFrames += objects;
    }
  }

  async #run<T>(id: number, pixels: WorkerFrame | null, fn: (t: VideoTracker) => Promise<T>): Promise<T> {
    try {
      const t = this.#trackers.get(id);
      if (!t) throw new Sam2Error('not-ready', `tracker ${id} is not open (stopped, or the worker restarted)`);
      if (pixels !== null && !isFrame(pixels))
        throw new Sam2Error('media-decode', 'a video frame must be a VideoFrame or an ImageBitmap');
      return await fn(t);
    } finally {
      closeFrame(pixels);
    }
  }

  async #toData(r: ObjectFrameResult, options: ResultOptions): Promise<TrackObjectData> {
    const { width, height } = r;
    // Only the object's band of rows is upsampled, and bbox and area come out of the same pass.
    const m = r.present ? upsampleThresholdRegion(r.lowRes, 256, 256, width, height) : null;
    const data = m?.data ?? new Uint8Array(width * height);
    const bbox = m?.bbox ?? ([0, 0, 0, 0] as [number, number, number, number]);
    const rle = encodeRle(data, width, height, bbox);
    const out: TrackObjectData = {
      objectId: r.objectId,
      frame: r.frame,
      score: r.score,
      objectScore: r.objectScore,
      present: r.present,
      mask: { width, height, data, bbox, area: m?.area ?? 0 },
      rle: { size: [rle.size[0], rle.size[1]], counts: rle.counts },
    };
    if (options.overlay) {
      const bitmap = await alphaBitmap(data, width, height, bbox);
      if (bitmap) out.overlay = bitmap;
    }
    return out;
  }
}
