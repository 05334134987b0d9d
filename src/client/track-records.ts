// What a tracking session keeps and hands out besides its callbacks: the recorded masks per frame (for replay,
// toJSON() and video export) and the fan-out of frames to async iterators, each fed from the moment it subscribes.
import type { TrackObjectData } from '../shared/types.js';
import type { TrackExport, TrackFrame } from './tracking-types.js';

/** The recorded objects of one frame. */
export interface Recorded {
  frame: number;
  time: number;
  objects: TrackExport['frames'][number]['objects'];
}

/** Recorded masks by frame index, as compact COCO RLE with scores, bbox and area. */
export class TrackRecords {
  readonly #byFrame = new Map<number, Recorded>();

  get(frame: number): Readonly<Recorded> | null {
    return this.#byFrame.get(frame) ?? null;
  }

  /** Frame indices that have a record. */
  frames(): number[] {
    return [...this.#byFrame.keys()];
  }

  /** The session's export (`toJSON()`): every record in frame order. */
  toExport(size: { width: number; height: number }, fps: number): TrackExport {
    return {
      format: 'sam2-segmenter/track',
      version: 1,
      width: size.width,
      height: size.height,
      fps,
      frames: this.sorted(),
    };
  }

  /** Every record, in frame order. */
  sorted(): Recorded[] {
    return [...this.#byFrame.values()].sort((a, b) => a.frame - b.frame);
  }

  /** Per frame index, the RLE masks of the objects wanted (all by default), for a video export. */
  masks(objectIds?: readonly number[]): { size: [number, number]; counts: string }[][] {
    const wanted = objectIds ? new Set(objectIds) : null;
    const out: { size: [number, number]; counts: string }[][] = [];
    for (const rec of this.#byFrame.values()) {
      out[rec.frame] = rec.objects.filter((o) => (wanted ? wanted.has(o.objectId) : true)).map((o) => o.segmentation);
    }
    return out;
  }

  /** Records (or replaces, per object) the results of one frame. */
  record(frame: number, time: number, objects: readonly TrackObjectData[]): void {
    const rec = this.#byFrame.get(frame) ?? { frame, time, objects: [] };
    for (const o of objects) {
      const entry = {
        objectId: o.objectId,
        score: o.score,
        objectScore: o.objectScore,
        bbox: o.mask.bbox,
        area: o.mask.area,
        segmentation: o.rle,
      };
      const k = rec.objects.findIndex((x) => x.objectId === o.objectId);
      if (k >= 0) rec.objects[k] = entry;
      else rec.objects.push(entry);
    }
    rec.objects.sort((a, b) => a.objectId - b.objectId);
    this.#byFrame.set(frame, rec);
  }
}

interface Subscriber {
  queue: TrackFrame[];
  wake: (() => void) | null;
}

/** Frames fanned out to async iterators until the session ends (then the iterators finish, or throw its error). */
export class FrameFeed {
  readonly #subscribers = new Set<Subscriber>();

  constructor(private readonly ended: () => { done: boolean; error: unknown }) {}

  push(f: TrackFrame): void {
    for (const s of this.#subscribers) {
      s.queue.push(f);
      s.wake?.();
    }
  }

  /** Wakes every iterator so that it sees the end. */
  end(): void {
    for (const s of this.#subscribers) s.wake?.();
  }

  iterator(): AsyncIterator<TrackFrame> {
    const sub: Subscriber = { queue: [], wake: null };
    this.#subscribers.add(sub);
    const next = async (): Promise<IteratorResult<TrackFrame>> => {
      for (;;) {
        const f = sub.queue.shift();
        if (f) return { value: f, done: false };
        const end = this.ended();
        if (end.done) {
          this.#subscribers.delete(sub);
          if (end.error !== null && end.error !== undefined) throw end.error;
          return { value: undefined, done: true };
        }
        await new Promise<void>((r) => (sub.wake = r));
        sub.wake = null;
      }
    };
    return {
      next,
      return: async () => {
        this.#subscribers.delete(sub);
        return { value: undefined, done: true };
      },
    };
  }
}
