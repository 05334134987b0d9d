// SAM 2 video object tracking (sam2-reference.md §3, §3.9 engine loop) on any bundle layout (layouts/*.ts):
// prompts make conditioning frames (or corrections on tracked frames), preflight memory-encodes them, and each
// tracked frame runs the image encoder once, then per object memory attention → mask decoder → memory encoder.
// Which memories and pointers condition a frame, hole filling, eviction and invalidation are decided here, once;
// the layout packs the memory and selects/gates the decoder's output (in its graph or on the host).

import { Sam2Error } from '../../shared/errors.js';
import { fillHoles } from '../math/holes.js';
import { buildDecoderPoints, emptyDecoderPoints, type Box, type DecoderPoints, type Point } from '../math/prompts.js';
import { upsampleAndThreshold } from '../math/resample.js';
import { preprocess, type PixelValues, type PreprocessSource } from '../preprocess.js';
import type { ort } from '../runtime.js';
import {
  disposeTensor,
  type LayoutDecoded,
  type Outputs,
  type TrackerLayout,
  type TrackerStep,
} from '../layouts/layout.js';
import {
  ObjectState,
  defaultRetention,
  evict,
  invalidateAhead,
  objectMemoryStats,
  planMemory,
  releaseMemory,
  releaseObject,
  type BankConfig,
  type Direction,
  type FrameOut,
  type ObjectMemoryStats,
  type Retention,
} from './memory-bank.js';

export type { GraphRunner, TrackerLayout } from '../layouts/layout.js';
export type { VideoGraphs } from '../layouts/canonical.js';

/** A frame: anything `preprocess` accepts, or an already prepared model input. */
export type FrameSource = PreprocessSource | PixelValues;

export interface VideoTrackerOptions {
  /** Frames in the clip (bounds the pointer window); undefined for live streams. */
  numFrames?: number;
  /** Overrides the bundle's maxCondFramesInAttn (−1 = all). */
  maxCondFramesInAttn?: number;
  /** Non-conditioning history kept (default: 7 memories, 16 pointers; see memory-bank.ts `defaultRetention`). */
  retention?: Retention;
  /** Frames behind the latest tracked one on which a correction is exact (memory-bank.ts `Retention.history`). */
  history?: number;
  /** Frame preparation (default: the layout's, SAM 2's stretch + normalisation at its input size). */
  preprocess?: (src: PreprocessSource) => Promise<PixelValues>;
}

/** One object's result on one frame. */
export interface ObjectFrameResult {
  objectId: number;
  frame: number;
  /** Stored 256×256 logits (gated, hole-filled); upsample with `toNaturalMask`. */
  lowRes: Float32Array;
  /** Predicted IoU of the selected candidate (0..1); 0 where the object is absent. */
  score: number;
  /** Object score logit; > 0 means the object is there. */
  objectScore: number;
  /** objectScore > 0; when false every logit is noObjScore and the mask is empty. */
  present: boolean;
  /** Natural size of the frame. */
  width: number;
  height: number;
}

/** How a prompt was applied (§3.2, §3.8). */
export type PromptKind =
  | 'initial' //     first prompt on a frame not tracked for this object: a new conditioning frame
  | 'refine' //      another prompt on one of its conditioning frames: re-decoded without memory [P]
  | 'correction'; // prompt on a tracked frame: decoded on memory-conditioned features, stored as non-cond

export interface PromptResult extends ObjectFrameResult {
  kind: PromptKind;
  /** Frames after this one (in its tracking direction) whose outputs were dropped as stale. */
  invalidated: number[];
}

export interface FrameResult {
  frame: number;
  direction: Direction;
  objects: ObjectFrameResult[];
}

/** Calls and total milliseconds per step (including the host-side feed packing of that step). */
export type GraphTimings = Record<TrackerStep, { calls: number; ms: number }>;

export interface TrackerMemoryStats {
  /** Bytes held by all objects' banks. */
  bytes: number;
  objects: ObjectMemoryStats[];
  /** Frames whose encoder outputs are cached (the current frame and prompted frames awaiting preflight). */
  encodedFrames: number;
}

interface Encoded {
  tensors: Outputs;
  width: number;
  height: number;
}

interface Decoded extends LayoutDecoded {
  filled: Float32Array;
}

const LOW = 256;
const LOW_AREA = LOW * LOW;

function isPixelValues(src: FrameSource): src is PixelValues {
  const s = src as Partial<PixelValues>;
  return s.data instanceof Float32Array && typeof s.size === 'number' && typeof s.contentWidth === 'number';
}

/** Low-res logits → binary mask at natural size (bilinear, align_corners = false, then > 0; §2.6). */
export function toNaturalMask(lowRes: Float32Array, width: number, height: number): Uint8Array {
  return upsampleAndThreshold(lowRes, LOW, LOW, width, height);
}

/**
 * The video tracker of one clip or stream: one state per object, one encoder pass per frame. SAM 2's rules live here
 * once; `layout` feeds and reads the bundle's graphs (layouts/*.ts).
 */
export class VideoTracker {
  private readonly objects = new Map<number, ObjectState>();
  private readonly encoded = new Map<number, Encoded>();
  /** Prompted frames whose outputs still need memory encoding: frame → objects. */
  private readonly pending = new Map<number, Set<number>>();
  private readonly cfg: BankConfig;
  private readonly keep: Retention;
  private lastSize: { width: number; height: number } | null = null;
  readonly timings: GraphTimings = {
    imageEncoder: { calls: 0, ms: 0 },
    maskDecoder: { calls: 0, ms: 0 },
    memoryEncoder: { calls: 0, ms: 0 },
    memoryAttention: { calls: 0, ms: 0 },
  };

  constructor(
    readonly layout: TrackerLayout,
    private readonly options: VideoTrackerOptions = {},
  ) {
    const C = layout.settings;
    if (options.numFrames !== undefined && !(Number.isInteger(options.numFrames) && options.numFrames > 0)) {
      throw new RangeError(`numFrames must be a positive integer, got ${options.numFrames}`);
    }
    this.cfg = {
      numMaskmem: C.numMaskmem,
      maxObjPtrs: C.maxObjPtrs,
      maxCondFramesInAttn: options.maxCondFramesInAttn ?? C.maxCondFramesInAttn,
      numFrames: options.numFrames,
    };
    const history = options.history ?? options.retention?.history ?? 0;
    if (!(Number.isInteger(history) && history >= 0) && history !== Infinity) {
      throw new RangeError(`history must be a non-negative integer or Infinity, got ${history}`);
    }
    this.keep = { ...(options.retention ?? defaultRetention(this.cfg)), history };
  }

  /** Ids of the objects, in the order they were added. */
  objectIds(): number[] {
    return [...this.objects.keys()];
  }

  /** Read-only view of an object's state (tests, export). */
  objectState(id: number): ObjectState | undefined {
    return this.objects.get(id);
  }

  /**
   * A prompt (points and/or box in natural pixels; replaces earlier points on that frame) for one object on one
   * frame (§3.2). Not memory-encoded yet: that happens at the next `track` (preflight, §3.4).
   */
  async addPrompt(
    frameIndex: number,
    objectId: number,
    points: readonly Point[],
    box: Box | null | undefined,
    frameSource: FrameSource,
  ): Promise<PromptResult> {
    this.checkFrame(frameIndex);
    const enc = await this.encode(frameIndex, frameSource);
    const pts = buildDecoderPoints(points, box, enc.width, enc.height);
    if (pts.nPts === 0) throw new Sam2Error('invalid-prompt', 'a prompt needs at least one point or a box');
    let o = this.objects.get(objectId);
    if (!o) {
      o = new ObjectState(objectId);
      this.objects.set(objectId, o);
    }
    const f = frameIndex;
    const dir = o.tracked.get(f);
    // §3.2.2/3: a frame not yet tracked for o is an initial conditioning frame (no memory, image_embed);
    // a tracked one is a correction on the memory-conditioned features of the direction it was tracked in.
    // [P] A prompt on an existing conditioning frame re-decodes it as such (the reference would store a
    // correction in non-cond and then drop it at preflight, since the cond output takes precedence).
    const kind: PromptKind = o.cond.has(f) ? 'refine' : dir === undefined ? 'initial' : 'correction';
    const prev = o.cond.get(f) ?? o.nonCond.get(f);
    // §3.2.4: the previous stored logits of (o, f), clamped to ±32, are the mask prompt.
    // Layouts whose decoder has no mask input decode a correction from its points and memory alone.
    let maskInput: Float32Array | null = null;
    if (prev?.lowRes && this.layout.hasMaskInput) {
      const c = this.layout.settings.maskPromptClamp;
      maskInput = prev.lowRes.map((v) => (v < -c ? -c : v > c ? c : v));
    }
    const features = kind === 'correction' ? await this.attend(o, f, dir!, enc) : null;
    const out = await this.decodeAndGate(features, enc, pts, maskInput);
    // A prompted frame's memory is encoded from its stored logits (preflight), not from the decoder's own mask.
    disposeTensor(out.memoryMask);
    const stored: FrameOut = {
      lowRes: out.filled,
      objPtr: out.objPtr,
      objectScore: out.objectScore,
      score: out.score,
      prompted: true,
      maskmem: null,
    };
    o.points.set(f, pts);
    let invalidated: number[] = [];
    // The output this prompt replaces gives up its memory (preflight encodes the new one).
    releaseMemory(prev);
    if (kind === 'correction') {
      o.nonCond.set(f, stored);
      invalidated = invalidateAhead(o, f, dir!);
    } else {
      o.cond.set(f, stored);
      // A frame that became conditioning is not also a non-conditioning memory (reference preflight).
      releaseMemory(o.nonCond.get(f));
      o.nonCond.delete(f);
    }
    let set = this.pending.get(f);
    if (!set) this.pending.set(f, (set = new Set()));
    set.add(objectId);
    return { ...this.result(o.id, f, stored, enc), kind, invalidated };
  }

  /**
   * Memory-encodes every prompted output without memory (§3.4): the stored hole-filled logits, binarised
   * (binarize = 1, as the mask came from points), with the stored object score. Runs at the start of `track`.
   */
  async preflight(): Promise<void> {
    for (const [f, ids] of this.pending) {
      const enc = this.encoded.get(f);
      for (const id of ids) {
        const o = this.objects.get(id);
        const out = o?.cond.get(f) ?? o?.nonCond.get(f);
        if (!out || out.maskmem || !out.prompted) continue;
        if (!enc) throw new Error(`encoder output of prompted frame ${f} is gone`);
        const m = await this.timed('memoryEncoder', () =>
          this.layout.memoryEncode(enc.tensors, { prompted: out.lowRes! }, out.objectScore),
        );
        out.maskmem = m.tokens;
        if (m.pos) out.maskmemPos = m.pos;
      }
      this.pending.delete(f);
    }
  }

  /**
   * Tracks every prompted object on frame f (§3.5, §3.9): one encoder pass shared by all objects, then per
   * object memory attention → decoder with one (0,0,−1) point → multimask selection → object-score gating →
   * memory encoder (sigmoid, pre-fill mask) → store. Conditioning frames and kept corrections are reused as is.
   */
  async track(frameIndex: number, frameSource: FrameSource, direction: Direction = 1): Promise<FrameResult> {
    this.checkFrame(frameIndex);
    if (direction !== 1 && direction !== -1)
      throw new RangeError(`direction must be 1 or -1, got ${String(direction)}`);
    await this.preflight();
    const f = frameIndex;
    const results: ObjectFrameResult[] = [];
    let enc: Encoded | undefined;
    for (const o of this.objects.values()) {
      // An object is tracked once it has a conditioning frame; one whose conditioning frames all lie ahead
      // is tracked from that future memory with no pointer (§3.7).
      if (o.cond.size === 0) continue;
      let out = o.cond.get(f);
      // [P] A correction stored on this frame is kept: re-running it without its points would discard it.
      if (!out && o.nonCond.get(f)?.prompted) out = o.nonCond.get(f)!;
      if (!out) {
        const e = (enc ??= await this.encode(f, frameSource));
        const features = await this.attend(o, f, direction, e);
        const d = await this.decodeAndGate(features, e, emptyDecoderPoints(), null);
        // §3.5.4: memory of a tracked frame = sigmoid of the gated mask BEFORE hole filling (binarize = 0).
        const m = await this.timed('memoryEncoder', () =>
          this.layout.memoryEncode(e.tensors, { tracked: d }, d.objectScore),
        );
        disposeTensor(d.memoryMask);
        out = {
          lowRes: d.filled,
          objPtr: d.objPtr,
          objectScore: d.objectScore,
          score: d.score,
          prompted: false,
          maskmem: m.tokens,
        };
        if (m.pos) out.maskmemPos = m.pos;
        o.nonCond.set(f, out);
      }
      o.tracked.set(f, direction);
      evict(o, f, direction, this.keep);
      results.push(this.result(o.id, f, out, enc));
    }
    this.dropEncodings(f);
    return { frame: f, direction, objects: results };
  }

  /** Forgets an object and everything it holds. */
  removeObject(id: number): boolean {
    const o = this.objects.get(id);
    if (o) releaseObject(o);
    const had = this.objects.delete(id);
    for (const [f, ids] of this.pending) {
      ids.delete(id);
      if (ids.size === 0) this.pending.delete(f);
    }
    if (this.objects.size === 0) this.dropEncodings(null);
    return had;
  }

  /** Memory held by the banks (bounded: §3.8) and the encoder cache. */
  memoryStats(): TrackerMemoryStats {
    const objects = [...this.objects.values()].map(objectMemoryStats);
    return { bytes: objects.reduce((a, o) => a + o.bytes, 0), objects, encodedFrames: this.encoded.size };
  }

  /** Releases every object and cached encoder output. */
  dispose(): void {
    for (const o of this.objects.values()) releaseObject(o);
    this.objects.clear();
    this.pending.clear();
    this.dropEncodings(null);
  }

  // --- internals ---

  private checkFrame(f: number): void {
    if (!Number.isInteger(f) || f < 0) throw new RangeError(`frame index must be a non-negative integer, got ${f}`);
    if (this.options.numFrames !== undefined && f >= this.options.numFrames) {
      throw new RangeError(`frame ${f} is outside the clip (${this.options.numFrames} frames)`);
    }
  }

  private result(id: number, f: number, out: FrameOut, enc: Encoded | undefined): ObjectFrameResult {
    const size = enc ?? this.lastSize ?? { width: LOW, height: LOW };
    return {
      objectId: id,
      frame: f,
      lowRes: out.lowRes ?? new Float32Array(LOW_AREA).fill(this.layout.settings.noObjScore),
      score: out.objectScore > 0 ? (out.score ?? 0) : 0,
      objectScore: out.objectScore,
      present: out.objectScore > 0,
      width: size.width,
      height: size.height,
    };
  }

  private async timed<T>(graph: TrackerStep, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[graph].calls++;
      this.timings[graph].ms += performance.now() - t0;
    }
  }

  /** G1 once per frame: cached for the current frame and for prompted frames awaiting preflight. */
  private async encode(f: number, src: FrameSource): Promise<Encoded> {
    const hit = this.encoded.get(f);
    if (hit) return hit;
    const px = isPixelValues(src)
      ? src
      : await (this.options.preprocess ?? ((s: PreprocessSource) => preprocess(s, this.layout.preprocess)))(src);
    const tensors = await this.timed('imageEncoder', () => this.layout.encode(px));
    const enc = { tensors, width: px.width, height: px.height };
    this.encoded.set(f, enc);
    this.lastSize = { width: px.width, height: px.height };
    return enc;
  }

  /** Drops cached encoder outputs except frame `keep` and frames with pending prompts. */
  private dropEncodings(keep: number | null): void {
    for (const [f, enc] of this.encoded) {
      if (f === keep || this.pending.has(f)) continue;
      for (const t of Object.values(enc.tensors)) disposeTensor(t);
      this.encoded.delete(f);
    }
  }

  /** G4: memory-conditioned features of frame f for object o (§3.6). */
  private async attend(o: ObjectState, f: number, dir: Direction, enc: Encoded): Promise<ort.Tensor> {
    return this.timed('memoryAttention', async () => {
      const plan = planMemory(o, f, dir, this.cfg);
      if (plan.slots.length === 0) {
        throw new Error(`object ${o.id} has no memory to track frame ${f} from`);
      }
      return this.layout.attend(enc.tensors, plan, f);
    });
  }

  /** G2 with the layout's selection and gating (§2.4, §2.5), then hole filling on the host (§2.6). */
  private async decodeAndGate(
    features: ort.Tensor | null,
    enc: Encoded,
    pts: DecoderPoints,
    maskInput: Float32Array | null,
  ): Promise<Decoded> {
    let d: LayoutDecoded;
    try {
      d = await this.timed('maskDecoder', () =>
        this.layout.decode(enc.tensors, features ? { kind: 'memory', features } : { kind: 'initial' }, pts, maskInput),
      );
    } finally {
      disposeTensor(features ?? undefined);
    }
    return { ...d, filled: fillHoles(d.gated, LOW, LOW, this.layout.settings.fillHoleArea) };
  }
}
