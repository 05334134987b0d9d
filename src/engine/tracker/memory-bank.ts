// SAM 2's video memory bank, as pure bookkeeping (no I/O, no ORT): per-object state, which memories and
// object pointers condition frame f, their temporal encodings, eviction that keeps memory bounded, and the
// packing of the memory-attention (G4) inputs. sam2-reference.md §3.1, §3.6, §3.8, §4.4 (G4).
// Reference code: sam2:sam2/modeling/sam2_base.py `_prepare_memory_conditioned_features`,
// sam2/modeling/sam2_utils.py `select_closest_cond_frames`.

import type { DecoderPoints } from '../math/prompts.js';
import { f16ToF32, f32ToF16, objPtrPosEnc } from '../math/sine.js';

/** Tracking direction: 1 = forward (memories from f − d), −1 = reverse (memories from f + d). */
export type Direction = 1 | -1;

/**
 * A memory kept on the device that computed it (layouts keep the memory encoder's output in a GPU buffer on WebGPU,
 * tensors.ts `GpuMemory`): the bank only sizes it and releases it when it drops the memory.
 */
export interface DeviceMemory {
  /** Float32 values held. */
  readonly length: number;
  readonly byteLength: number;
  release(): void;
}

/** A memory as the bank stores it: fp16 bits on the CPU, or float32 on the device. */
export type StoredMemory = Uint16Array | DeviceMemory;

/** The fp16 bits of a memory stored on the CPU; a device memory here is a layout bug. */
export function hostMemory(m: StoredMemory, frame: number): Uint16Array {
  if (m instanceof Uint16Array) return m;
  throw new RangeError(`memory of frame ${frame} is on the device; this layout packs on the CPU`);
}

/** Releases what a frame output holds on the device (its memory and positions) and forgets them. */
export function releaseMemory(out: FrameOut | undefined): void {
  if (!out) return;
  for (const m of [out.maskmem, out.maskmemPos]) if (m && !(m instanceof Uint16Array)) m.release();
  out.maskmem = null;
  out.maskmemPos = null;
}

/** What is stored for one object on one frame (§3.1). */
export interface FrameOut {
  /** 256×256 logits as stored (gated, hole-filled): display and the re-click mask prompt. Null once evicted. */
  lowRes: Float32Array | null;
  /** Gated object pointer [256] (no_obj_ptr when absent). */
  objPtr: Float32Array;
  objectScore: number;
  /** SAM 2's predicted IoU of the selected candidate (reported, not used by memory). */
  score?: number;
  /** From user points: memory-encoded with binarize = 1 at preflight (§3.4). */
  prompted: boolean;
  /** Memory features as fp16 bits, or float32 on the GPU (layout-specific: [64,64,64] canonical, [T,64]
   * token-major for the public exports); null until memory-encoded, or once evicted. */
  maskmem: StoredMemory | null;
  /** Per-memory positions (fp16, or float32 on the GPU), for layouts whose memory encoder returns them per frame
   * (EdgeTAM); released with the memory. */
  maskmemPos?: StoredMemory | null;
}

/** One independent state per object (§3.1, §3.7). */
export class ObjectState {
  /** Conditioning frames: the first prompt on a frame not yet tracked (initial conditioning frames). */
  readonly cond = new Map<number, FrameOut>();
  /** Tracked frames and corrections on tracked frames (add_all_frames_to_correct_as_cond = false). */
  readonly nonCond = new Map<number, FrameOut>();
  /** Prompt points per frame, 1024-space, box corners first (the last prompt replaces earlier ones). */
  readonly points = new Map<number, DecoderPoints>();
  /** Frames tracked for this object, with the direction they were tracked in. */
  readonly tracked = new Map<number, Direction>();

  constructor(readonly id: number) {}
}

/** The memory settings of a bundle (constants.json) and of a clip. */
export interface BankConfig {
  /** 7 (num_maskmem): row 6 for conditioning frames, rows 0..5 for f−1..f−6. */
  numMaskmem: number;
  /** 16 (max_obj_ptrs_in_encoder). */
  maxObjPtrs: number;
  /** −1: all conditioning frames; k ≥ 2: the k closest (select_closest_cond_frames). */
  maxCondFramesInAttn: number;
  /** Frames in the clip; undefined for a live stream (then maxPtr = maxObjPtrs, §3.6 [P]). */
  numFrames?: number | undefined;
}

/** One spatial memory slot fed to G4. */
export interface MemorySlot {
  frame: number;
  /** Row of maskmem_tpos_enc: 6 (numMaskmem − 1) for a conditioning frame, d − 1 for the frame at distance d. */
  row: number;
  maskmem: StoredMemory;
  /** The memory's own positions, where the layout keeps them per frame. */
  pos?: StoredMemory;
}

/** One object pointer fed to G4. */
export interface PointerEntry {
  frame: number;
  /** Temporal distance, ≥ 0 in both directions; its PE uses pos / (maxPtr − 1). */
  pos: number;
  ptr: Float32Array;
}

/** What conditions frame f of one object. */
export interface MemoryPlan {
  slots: MemorySlot[];
  pointers: PointerEntry[];
  /** min(numFrames, maxObjPtrs). */
  maxPtr: number;
}

/**
 * Splits conditioning frames into those attended to and the rest (sam2_utils.py `select_closest_cond_frames`):
 * all when max is −1 or not exceeded; otherwise the closest before f, the closest at or after f, then the nearest
 * by |t − f| (ties: insertion order, as Python's stable sort) up to max.
 */
export function selectCondFrames<T>(
  cond: ReadonlyMap<number, T>,
  f: number,
  max: number,
): { selected: Map<number, T>; unselected: Map<number, T> } {
  if (max === -1 || cond.size <= max) return { selected: new Map(cond), unselected: new Map() };
  if (!(max >= 2)) throw new RangeError(`maxCondFramesInAttn must be -1 or at least 2, got ${max}`);
  const selected = new Map<number, T>();
  let before: number | undefined;
  let after: number | undefined;
  for (const t of cond.keys()) {
    if (t < f && (before === undefined || t > before)) before = t;
    if (t >= f && (after === undefined || t < after)) after = t;
  }
  if (before !== undefined) selected.set(before, cond.get(before)!);
  if (after !== undefined) selected.set(after, cond.get(after)!);
  const rest = [...cond.keys()].filter((t) => !selected.has(t)).sort((a, b) => Math.abs(a - f) - Math.abs(b - f));
  for (const t of rest.slice(0, max - selected.size)) selected.set(t, cond.get(t)!);
  const unselected = new Map<number, T>();
  for (const [t, v] of cond) if (!selected.has(t)) unselected.set(t, v);
  return { selected, unselected };
}

/** maxPtr = min(numFrames, maxObjPtrs); a live stream (numFrames unknown) uses maxObjPtrs (§3.6 [P]). */
export function maxPointers(cfg: BankConfig): number {
  return cfg.numFrames === undefined ? cfg.maxObjPtrs : Math.min(cfg.numFrames, cfg.maxObjPtrs);
}

/**
 * The memories and pointers that condition frame f of object o tracked in direction dir (§3.6).
 *
 * Spatial: every selected conditioning frame, past or future, at row numMaskmem − 1 (t_pos 0); then for
 * d = 1..numMaskmem−1 the frame f − dir·d from nonCond, else from an unselected conditioning frame, at row
 * d − 1 (row = num_maskmem − t_pos − 1 with t_pos = num_maskmem − d). A missing frame, or one without memory
 * features, is skipped: the reference does not pad.
 *
 * Pointers (only_obj_ptrs_in_the_past_for_eval): selected conditioning frames with t ≤ f (reverse: t ≥ f) at
 * pos = dir·(f − t); then d = 1..maxPtr−1, t = f − dir·d, stopping at t < 0 or t ≥ numFrames, from nonCond or an
 * unselected conditioning frame, at pos = d. A selected conditioning frame inside that window is not in nonCond,
 * so it counts once, as a conditioning pointer.
 */
export function planMemory(o: ObjectState, f: number, dir: Direction, cfg: BankConfig): MemoryPlan {
  const { selected, unselected } = selectCondFrames(o.cond, f, cfg.maxCondFramesInAttn);
  const slots: MemorySlot[] = [];
  for (const [t, out] of selected) {
    if (out.maskmem) slots.push(slot(t, cfg.numMaskmem - 1, out));
  }
  for (let d = 1; d < cfg.numMaskmem; d++) {
    const t = f - dir * d;
    const out = o.nonCond.get(t) ?? unselected.get(t);
    if (out?.maskmem) slots.push(slot(t, d - 1, out));
  }

  const maxPtr = maxPointers(cfg);
  const pointers: PointerEntry[] = [];
  for (const [t, out] of selected) {
    const pos = dir * (f - t);
    if (pos >= 0) pointers.push({ frame: t, pos, ptr: out.objPtr });
  }
  for (let d = 1; d < maxPtr; d++) {
    const t = f - dir * d;
    if (t < 0 || (cfg.numFrames !== undefined && t >= cfg.numFrames)) break;
    const out = o.nonCond.get(t) ?? unselected.get(t);
    if (out) pointers.push({ frame: t, pos: d, ptr: out.objPtr });
  }
  return { slots, pointers, maxPtr };
}

function slot(frame: number, row: number, out: FrameOut): MemorySlot {
  const s: MemorySlot = { frame, row, maskmem: out.maskmem! };
  if (out.maskmemPos) s.pos = out.maskmemPos;
  return s;
}

/** Host-side tables for G4 packing (constants.json). */
export interface PackTables {
  /** maskmem_tpos_enc [numMaskmem, 64]. */
  maskmemTposEnc: Float32Array;
  /** 2.1 obj_ptr_tpos_proj; null for 2.0, whose pointer PE is zeros (§1.2). */
  objPtrTposProj: { weight: Float32Array; bias: Float32Array } | null;
}

/** G4 inputs (§4.4), as flat float32 arrays with their leading sizes. */
export interface G4Inputs {
  /** Spatial slots S (≥ 1) and pointers P (≥ 1: P = 0 is sent as one masked padding pointer). */
  S: number;
  P: number;
  /** [S,64,64,64]; empty when the memories are packed on the device (`features: false`). */
  maskmemFeatures: Float32Array;
  /** [S,64]. */
  maskmemTpos: Float32Array;
  /** [S]: 1 real, 0 padding. */
  maskmemValid: Float32Array;
  /** [P,256]. */
  objPtrs: Float32Array;
  /** [P,64]. */
  objPtrPos: Float32Array;
  /** [P]. */
  objPtrValid: Float32Array;
}

/** Values of one memory: 64 channels × 64 × 64. */
export const MASKMEM_SIZE = 64 * 64 * 64;
const MEM_DIM = 64;
const PTR_DIM = 256;

/**
 * Packs a plan into G4 inputs. Padding (slots up to minSlots, pointers up to minPtrs, e.g. fixed WebGPU buckets)
 * is zeros with validity 0; P = 0 always becomes one padding pointer, since the graph needs P ≥ 1. With
 * `features: false` the memories themselves are left to the caller (packed on the GPU, in `plan.slots` order).
 */
export function packMemoryInputs(
  plan: MemoryPlan,
  tables: PackTables,
  opts: { minSlots?: number; minPtrs?: number; features?: boolean } = {},
): G4Inputs {
  if (plan.slots.length === 0) throw new RangeError('memory attention needs at least one memory slot');
  const S = Math.max(plan.slots.length, opts.minSlots ?? 0);
  const P = Math.max(plan.pointers.length, opts.minPtrs ?? 0, 1);
  const rows = tables.maskmemTposEnc.length / MEM_DIM;
  const features = opts.features ?? true;
  const maskmemFeatures = new Float32Array(features ? S * MASKMEM_SIZE : 0);
  const maskmemTpos = new Float32Array(S * MEM_DIM);
  const maskmemValid = new Float32Array(S);
  plan.slots.forEach((s, i) => {
    if (s.maskmem.length !== MASKMEM_SIZE)
      throw new RangeError(`memory of frame ${s.frame} has ${s.maskmem.length} values`);
    if (!(s.row >= 0 && s.row < rows)) throw new RangeError(`temporal row ${s.row} outside maskmem_tpos_enc`);
    if (features)
      f16ToF32(hostMemory(s.maskmem, s.frame), maskmemFeatures.subarray(i * MASKMEM_SIZE, (i + 1) * MASKMEM_SIZE));
    maskmemTpos.set(tables.maskmemTposEnc.subarray(s.row * MEM_DIM, (s.row + 1) * MEM_DIM), i * MEM_DIM);
    maskmemValid[i] = 1;
  });
  const objPtrs = new Float32Array(P * PTR_DIM);
  const objPtrPos = new Float32Array(P * MEM_DIM);
  const objPtrValid = new Float32Array(P);
  // The PE divides by maxPtr − 1 (t_diff_max); with fewer than 2 frames there is no pointer but the conditioning
  // one at pos 0, and the reference would divide 0 by 0: use 1 instead.
  const maxPtr = Math.max(plan.maxPtr, 2);
  plan.pointers.forEach((p, i) => {
    objPtrs.set(p.ptr, i * PTR_DIM);
    if (tables.objPtrTposProj) {
      objPtrPosEnc(
        p.pos,
        maxPtr,
        tables.objPtrTposProj.weight,
        tables.objPtrTposProj.bias,
        objPtrPos.subarray(i * MEM_DIM, (i + 1) * MEM_DIM),
      );
    }
    objPtrValid[i] = 1;
  });
  return { S, P, maskmemFeatures, maskmemTpos, maskmemValid, objPtrs, objPtrPos, objPtrValid };
}

/** Stores fp32 memory features as fp16 bits (§3.8: the reference keeps bf16, which is less precise). */
export function toStoredMemory(features: Float32Array): Uint16Array {
  if (features.length !== MASKMEM_SIZE)
    throw new RangeError(`memory features have ${features.length} values, expected ${MASKMEM_SIZE}`);
  return f32ToF16(features);
}

/** How much of the non-conditioning history to keep (in frames behind the latest tracked one, inclusive). */
export interface Retention {
  /** Frames whose memory features and low-res logits are kept. */
  maskmem: number;
  /** Frames whose pointer and score are kept. */
  pointers: number;
  /**
   * Frames further back whose whole state is also kept, so that a correction up to this many frames behind the
   * latest tracked one is decoded on exactly the memories, pointers and mask prompt that frame had (default 0).
   */
  history?: number;
}

/**
 * Default retention (§3.8): the next frame needs memories of the 6 frames behind it and pointers of the 15 behind
 * it; one more of each (7 and 16) keeps a correction on the latest tracked frame exact, since it is conditioned
 * like that frame was (f−1..f−6, pointers f−1..f−15).
 */
export function defaultRetention(cfg: BankConfig): Retention {
  return { maskmem: cfg.numMaskmem, pointers: cfg.maxObjPtrs };
}

/**
 * Keeps memory bounded after frame f was tracked in direction dir (§3.8): conditioning frames keep everything;
 * a non-conditioning frame t at age a = dir·(f − t) keeps its memory and logits while a < retention.maskmem,
 * its pointer and score while a < retention.pointers, and is dropped otherwise — frames ahead of f (a < 0) too,
 * since tracking in dir will overwrite them. A dropped frame also leaves `tracked` and `points`, so a later prompt
 * there starts a new conditioning frame (add_all_frames_to_correct_as_cond behaviour, §3.8).
 *
 * Frames next to a conditioning frame are kept by the same windows measured from that frame (memories within
 * maskmem − 1 frames of it, pointers within pointers − 1), in both directions: tracking the other way from that
 * frame later (backward after forward, SAM 2's demo propagating both ways on one state) starts from exactly these
 * memories and pointers. This costs at most 6 memories and 15 pointers per conditioning frame.
 */
export function evict(o: ObjectState, f: number, dir: Direction, keep: Retention): void {
  const conds = [...o.cond.keys()];
  const nearCond = (t: number): number => conds.reduce((m, c) => Math.min(m, Math.abs(t - c)), Infinity);
  // A correction h frames back needs what tracking that frame saw: memories and pointers h frames further back.
  const history = keep.history ?? 0;
  const pointerAge = keep.pointers + history;
  const maskmemAge = keep.maskmem + history;
  for (const [t, out] of o.nonCond) {
    const age = dir * (f - t);
    const near = nearCond(t);
    if ((age < 0 || age >= pointerAge) && near >= keep.pointers) {
      releaseMemory(out);
      o.nonCond.delete(t);
      o.points.delete(t);
    } else if (age >= maskmemAge && near >= keep.maskmem) {
      releaseMemory(out);
      out.lowRes = null;
    }
  }
  for (const t of o.tracked.keys()) {
    const age = dir * (f - t);
    if (!o.cond.has(t) && !o.nonCond.has(t) && (age < 0 || age >= pointerAge)) o.tracked.delete(t);
  }
}

/**
 * A correction on tracked frame f (direction dir) makes the frames after it in dir stale (§3.2.7 [P]): their
 * non-conditioning outputs are dropped so that tracking recomputes them.
 */
export function invalidateAhead(o: ObjectState, f: number, dir: Direction): number[] {
  const dropped: number[] = [];
  for (const t of [...o.nonCond.keys()]) {
    if (dir * (t - f) > 0) {
      releaseMemory(o.nonCond.get(t));
      o.nonCond.delete(t);
      o.points.delete(t);
      dropped.push(t);
    }
  }
  for (const t of [...o.tracked.keys()]) if (!o.cond.has(t) && dir * (t - f) > 0) o.tracked.delete(t);
  return dropped.sort((a, b) => a - b);
}

/** Releases every memory an object holds on the device (the object is being dropped). */
export function releaseObject(o: ObjectState): void {
  for (const out of o.cond.values()) releaseMemory(out);
  for (const out of o.nonCond.values()) releaseMemory(out);
}

/** Bytes held by one frame output. */
export function frameBytes(out: FrameOut): number {
  return (
    (out.lowRes?.byteLength ?? 0) +
    out.objPtr.byteLength +
    (out.maskmem?.byteLength ?? 0) +
    (out.maskmemPos?.byteLength ?? 0) +
    8
  );
}

/** Memory held by one object's state. */
export interface ObjectMemoryStats {
  id: number;
  condFrames: number;
  nonCondFrames: number;
  /** Frames holding memory features. */
  memories: number;
  bytes: number;
}

/** Bytes held by an object's bank (memories, logits, pointers, prompt points). */
export function objectMemoryStats(o: ObjectState): ObjectMemoryStats {
  let bytes = 0;
  let memories = 0;
  for (const out of [...o.cond.values(), ...o.nonCond.values()]) {
    bytes += frameBytes(out);
    if (out.maskmem) memories++;
  }
  for (const p of o.points.values()) bytes += p.coords.byteLength + p.labels.byteLength;
  bytes += o.tracked.size * 16;
  return { id: o.id, condFrames: o.cond.size, nonCondFrames: o.nonCond.size, memories, bytes };
}
