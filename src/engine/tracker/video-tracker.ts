// SAM 2 video object tracking on the four graphs of the canonical bundle (sam2-reference.md §3, §3.9 engine
// loop, §4.4 contract): prompts make conditioning frames (or corrections on tracked frames), preflight
// memory-encodes them, and each tracked frame runs the image encoder once, then per object memory attention →
// mask decoder → memory encoder. Selection, gating, hole filling and the memory bank are host-side.

import { Sam2Error } from '../../shared/errors.js';
import { fillHoles } from '../math/holes.js';
import { buildDecoderPoints, emptyDecoderPoints, type Box, type DecoderPoints, type Point } from '../math/prompts.js';
import { upsampleAndThreshold } from '../math/resample.js';
import { selectMask } from '../math/select.js';
import { preprocess, type PixelValues, type PreprocessSource } from '../preprocess.js';
import { ort } from '../runtime.js';
import type { VideoConstants } from './constants.js';
import {
  ObjectState,
  defaultRetention,
  evict,
  invalidateAhead,
  objectMemoryStats,
  packMemoryInputs,
  planMemory,
  toStoredMemory,
  type BankConfig,
  type Direction,
  type FrameOut,
  type ObjectMemoryStats,
  type Retention,
} from './memory-bank.js';

type Feeds = Record<string, ort.Tensor>;
type Outputs = Readonly<Record<string, ort.Tensor>>;

/** Anything that runs a graph: an ort.InferenceSession, a SerialSession, or a test wrapper around one. */
export interface GraphRunner {
  run(feeds: Feeds): Promise<Outputs>;
}

/** The four graphs of a "sam2-video-4g/1" bundle (§4.4). */
export interface VideoGraphs {
  imageEncoder: GraphRunner;
  maskDecoder: GraphRunner;
  memoryEncoder: GraphRunner;
  memoryAttention: GraphRunner;
}

/** A frame: anything `preprocess` accepts, or an already prepared model input. */
export type FrameSource = PreprocessSource | PixelValues;

export interface VideoTrackerOptions {
  /** Frames in the clip (bounds the pointer window); undefined for live streams. */
  numFrames?: number;
  /** Overrides constants.json's maxCondFramesInAttn (−1 = all). */
  maxCondFramesInAttn?: number;
  /** Non-conditioning history kept (default: 7 memories, 16 pointers; see memory-bank.ts `defaultRetention`). */
  retention?: Retention;
  /** Pads G4's slot and pointer axes to at least these sizes (fixed shapes on WebGPU, §4.4). */
  minSlots?: number;
  minPtrs?: number;
  /** Frame preparation (default: SAM 2's stretch + ImageNet normalisation). */
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
  /** Object score logit: > 0 means the object is present. */
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

/** Calls and total milliseconds per graph (including the host-side feed packing of that step). */
export type GraphTimings = Record<keyof VideoGraphs, { calls: number; ms: number }>;

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

const LOW = 256;
const LOW_AREA = LOW * LOW;

function isPixelValues(src: FrameSource): src is PixelValues {
  const s = src as Partial<PixelValues>;
  return s.data instanceof Float32Array && typeof s.size === 'number' && typeof s.contentWidth === 'number';
}

async function floats(t: ort.Tensor | undefined, name: string): Promise<Float32Array> {
  if (!t) throw new Sam2Error('model-contract', `graph output "${name}" is missing`);
  const data = t.location === 'cpu' || t.location === undefined ? t.data : await t.getData(true);
  if (!(data instanceof Float32Array)) throw new Sam2Error('model-contract', `graph output "${name}" is not float32`);
  return data;
}

function disposeTensor(t: ort.Tensor): void {
  if (t.location === 'gpu-buffer') t.dispose();
}

const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

/** Low-res logits → binary mask at natural size (bilinear, align_corners = false, then > 0; §2.6). */
export function toNaturalMask(lowRes: Float32Array, width: number, height: number): Uint8Array {
  return upsampleAndThreshold(lowRes, LOW, LOW, width, height);
}

/** The video tracker of one clip or stream: one state per object, one encoder pass per frame. */
export class VideoTracker {
  private readonly objects = new Map<number, ObjectState>();
  private readonly encoded = new Map<number, Encoded>();
  /** Prompted frames whose outputs still need memory encoding: frame → objects. */
  private readonly pending = new Map<number, Set<number>>();
  private readonly cfg: BankConfig;
  private readonly keep: Retention;
  private readonly zeros = new Float32Array(LOW_AREA);
  private lastSize: { width: number; height: number } | null = null;
  readonly timings: GraphTimings = {
    imageEncoder: { calls: 0, ms: 0 },
    maskDecoder: { calls: 0, ms: 0 },
    memoryEncoder: { calls: 0, ms: 0 },
    memoryAttention: { calls: 0, ms: 0 },
  };

  constructor(
    private readonly graphs: VideoGraphs,
    private readonly C: VideoConstants,
    private readonly options: VideoTrackerOptions = {},
  ) {
    if (options.numFrames !== undefined && !(Number.isInteger(options.numFrames) && options.numFrames > 0)) {
      throw new RangeError(`numFrames must be a positive integer, got ${options.numFrames}`);
    }
    this.cfg = {
      numMaskmem: C.numMaskmem,
      maxObjPtrs: C.maxObjPtrs,
      maxCondFramesInAttn: options.maxCondFramesInAttn ?? C.maxCondFramesInAttn,
      numFrames: options.numFrames,
    };
    this.keep = options.retention ?? defaultRetention(this.cfg);
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
    let maskInput: Float32Array | null = null;
    if (prev?.lowRes) {
      const c = this.C.maskPromptClamp;
      maskInput = prev.lowRes.map((v) => (v < -c ? -c : v > c ? c : v));
    }
    const embed = kind === 'correction' ? await this.attend(o, f, dir!, enc) : enc.tensors['image_embed']!;
    const out = await this.decodeAndGate(embed, enc, pts, maskInput, embed !== enc.tensors['image_embed']);
    const stored: FrameOut = { lowRes: out.filled, objPtr: out.objPtr, objectScore: out.objectScore, score: out.score, prompted: true, maskmem: null };
    o.points.set(f, pts);
    let invalidated: number[] = [];
    if (kind === 'correction') {
      o.nonCond.set(f, stored);
      invalidated = invalidateAhead(o, f, dir!);
    } else {
      o.cond.set(f, stored);
      // A frame that became conditioning is not also a non-conditioning memory (reference preflight).
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
        out.maskmem = await this.memoryEncode(enc, out.lowRes!, 1, out.objectScore);
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
    if (direction !== 1 && direction !== -1) throw new RangeError(`direction must be 1 or -1, got ${String(direction)}`);
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
        enc ??= await this.encode(f, frameSource);
        const embed = await this.attend(o, f, direction, enc);
        const d = await this.decodeAndGate(embed, enc, emptyDecoderPoints(), null, true);
        // §3.5.4: memory of a tracked frame = sigmoid of the gated mask BEFORE hole filling (binarize = 0).
        const maskmem = await this.memoryEncode(enc, d.gated, 0, d.objectScore);
        out = { lowRes: d.filled, objPtr: d.objPtr, objectScore: d.objectScore, score: d.score, prompted: false, maskmem };
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
      lowRes: out.lowRes ?? new Float32Array(LOW_AREA).fill(this.C.noObjScore),
      score: out.objectScore > 0 ? (out.score ?? 0) : 0,
      objectScore: out.objectScore,
      present: out.objectScore > 0,
      width: size.width,
      height: size.height,
    };
  }

  private async timed<T>(graph: keyof VideoGraphs, fn: () => Promise<T>): Promise<T> {
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
    const px = isPixelValues(src) ? src : await (this.options.preprocess ?? preprocess)(src);
    const tensors = await this.timed('imageEncoder', () =>
      this.graphs.imageEncoder.run({ pixel_values: f32(px.data, [1, 3, px.size, px.size]) }),
    );
    for (const name of ['pix_feat', 'image_embed', 'high_res_feats_0', 'high_res_feats_1']) {
      if (!tensors[name]) throw new Sam2Error('model-contract', `image_encoder has no output "${name}"`);
    }
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
      const g = packMemoryInputs(plan, this.C, { minSlots: this.options.minSlots ?? 0, minPtrs: this.options.minPtrs ?? 0 });
      const out = await this.graphs.memoryAttention.run({
        pix_feat: enc.tensors['pix_feat']!,
        maskmem_features: f32(g.maskmemFeatures, [g.S, 64, 64, 64]),
        maskmem_tpos: f32(g.maskmemTpos, [g.S, 64]),
        maskmem_valid: f32(g.maskmemValid, [g.S]),
        obj_ptrs: f32(g.objPtrs, [g.P, 256]),
        obj_ptr_pos: f32(g.objPtrPos, [g.P, 64]),
        obj_ptr_valid: f32(g.objPtrValid, [g.P]),
      });
      const t = out['pix_feat_with_mem'];
      if (!t) throw new Sam2Error('model-contract', 'memory_attention has no output "pix_feat_with_mem"');
      return t;
    });
  }

  /** G2, then selection (§2.4) and object-score gating (§2.5), then hole filling (§2.6). */
  private async decodeAndGate(
    embed: ort.Tensor,
    enc: Encoded,
    pts: DecoderPoints,
    maskInput: Float32Array | null,
    disposeEmbed: boolean,
  ): Promise<{ gated: Float32Array; filled: Float32Array; objPtr: Float32Array; objectScore: number; score: number }> {
    const out = await this.timed('maskDecoder', () => {
      const n = pts.labels.length;
      return this.graphs.maskDecoder.run({
        image_embed: embed,
        high_res_feats_0: enc.tensors['high_res_feats_0']!,
        high_res_feats_1: enc.tensors['high_res_feats_1']!,
        point_coords: f32(pts.coords, [1, n, 2]),
        point_labels: new ort.Tensor('int32', pts.labels, [1, n]),
        mask_input: f32(maskInput ?? this.zeros, [1, 1, LOW, LOW]),
        has_mask_input: f32(Float32Array.of(maskInput ? 1 : 0), [1]),
      });
    });
    if (disposeEmbed) disposeTensor(embed);
    const masks = await floats(out['low_res_masks'], 'low_res_masks');
    const iou = await floats(out['iou_scores'], 'iou_scores');
    const objectScore = (await floats(out['object_score_logits'], 'object_score_logits'))[0]!;
    const ptrs = await floats(out['obj_ptrs'], 'obj_ptrs');
    // Multimask for nPts ≤ 1 (tracking frames: nPts = 0 → k = 1 + argmax(iou[1..3])); stability on un-gated logits.
    const sel = selectMask(iou, masks, pts.nPts, this.C.stabilityThresh, this.C.stabilityDelta);
    const present = objectScore > 0;
    // §2.5: absent → every logit noObjScore and the pointer is no_obj_ptr (fixed_no_obj_ptr, λ = 0).
    const gated = present
      ? masks.slice(sel.k * LOW_AREA, (sel.k + 1) * LOW_AREA)
      : new Float32Array(LOW_AREA).fill(this.C.noObjScore);
    const objPtr = present ? ptrs.slice(sel.ptrToken * 256, (sel.ptrToken + 1) * 256) : this.C.noObjPtr.slice();
    const filled = fillHoles(gated, LOW, LOW, this.C.fillHoleArea);
    return { gated, filled, objPtr, objectScore, score: sel.iou };
  }

  /** G3 → fp16 storage. */
  private async memoryEncode(enc: Encoded, mask: Float32Array, binarize: 0 | 1, objectScore: number): Promise<Uint16Array> {
    const out = await this.timed('memoryEncoder', () =>
      this.graphs.memoryEncoder.run({
        pix_feat: enc.tensors['pix_feat']!,
        mask_logits: f32(mask, [1, 1, LOW, LOW]),
        binarize: f32(Float32Array.of(binarize), [1]),
        object_score_logits: f32(Float32Array.of(objectScore), [1, 1]),
      }),
    );
    return toStoredMemory(await floats(out['maskmem_features'], 'maskmem_features'));
  }
}
