// How each public video export wants the memory of one frame laid out (video-exports.md). The tracker decides WHAT
// conditions a frame (memory-bank.ts `planMemory`: SAM 2's rules); these pure functions decide WHERE it goes:
//  - fixed bank (layouts A and B): `memory` [7·T + 16·4, 1, 64], every block and pointer slot filled, unused ones
//    repeating an existing entry (zeros are a valid memory), pointer positions from `pointer_tpos`;
//  - dynamic (layout C, EdgeTAM): only the memories that exist, conditioning blocks first, then recent ones oldest
//    first; pointer positions zero.
// No ORT, no I/O: node tests pin which block gets which temporal row, the repetition, and the pointer rows.

import { f16ToF32 } from '../math/sine.js';
import { hostMemory, type MemoryPlan, type MemorySlot, type PointerEntry } from '../tracker/memory-bank.js';

/** Channels of one memory token. */
export const MEM_DIM = 64;
/** Channels of one object pointer; it enters memory attention as PTR_DIM / MEM_DIM = 4 tokens. */
export const PTR_DIM = 256;
export const PTR_TOKENS = PTR_DIM / MEM_DIM;

/** Fixed shapes of a layout A/B memory bank. */
export interface FixedBankGeometry {
  /** Tokens of one spatial memory: T = (S/16)² (4096 at S = 1024, 1024 at S = 512). */
  tokens: number;
  /** Spatial blocks (num_maskmem / memory_frames): 7. */
  blocks: number;
  /** Pointer slots: 16. */
  pointers: number;
}

/** Rows of the bank: blocks·T + pointers·4 (28,736 at S = 1024, 7,232 at S = 512). */
export function fixedBankRows(g: FixedBankGeometry): number {
  return g.blocks * g.tokens + g.pointers * PTR_TOKENS;
}

/** Which entry fills each slot of a fixed bank, before any data is copied. */
export interface FixedBankAssignment {
  /** One per block, in bank order; a repeated entry appears more than once. */
  blocks: MemorySlot[];
  /** One per pointer slot, in bank order. */
  pointers: PointerEntry[];
  /** Blocks and pointers that repeat an earlier entry because fewer exist than the bank has slots. */
  repeatedBlocks: number;
  repeatedPointers: number;
  /** Entries the plan had but the bank could not hold (more than 7 memories, more than 16 pointers). */
  droppedBlocks: number;
  droppedPointers: number;
}

/**
 * Assigns a plan to the fixed bank. Blocks: the conditioning memory closest to frame f first, then the recent
 * memories newest first, then the other conditioning memories by distance, cut at `blocks` (SAM 2 itself has no cap
 * with several conditioning frames; a fixed bank must choose, and keeps the nearest). Unused blocks repeat the newest
 * recent memory, else the conditioning one, with its own temporal row (as the public consumers do). Pointers: the
 * plan's order (conditioning, then recent newest first), cut at `pointers`; unused slots repeat the last one.
 */
export function assignFixedBank(
  plan: MemoryPlan,
  f: number,
  g: FixedBankGeometry,
  condRow: number,
): FixedBankAssignment {
  if (plan.slots.length === 0) throw new RangeError('memory attention needs at least one memory');
  if (plan.pointers.length === 0) throw new RangeError('a fixed bank needs at least one object pointer');
  const conds = plan.slots
    .filter((s) => s.row === condRow)
    .sort((a, b) => Math.abs(a.frame - f) - Math.abs(b.frame - f));
  const recents = plan.slots.filter((s) => s.row !== condRow).sort((a, b) => a.row - b.row);
  const ordered = [...conds.slice(0, 1), ...recents, ...conds.slice(1)];
  const blocks = ordered.slice(0, g.blocks);
  const droppedBlocks = ordered.length - blocks.length;
  const filler = blocks[1] ?? blocks[0]!;
  let repeatedBlocks = 0;
  while (blocks.length < g.blocks) {
    blocks.push(filler);
    repeatedBlocks++;
  }
  const pointers = plan.pointers.slice(0, g.pointers);
  const droppedPointers = plan.pointers.length - pointers.length;
  let repeatedPointers = 0;
  while (pointers.length < g.pointers) {
    pointers.push(pointers[pointers.length - 1]!);
    repeatedPointers++;
  }
  return { blocks, pointers, repeatedBlocks, repeatedPointers, droppedBlocks, droppedPointers };
}

/** The host-side inputs of a layout A/B memory attention, plus pointer_tpos's input. */
export interface FixedBankInputs {
  /** [R,1,64]: blocks of T tokens, then pointers as 4 consecutive 64-d rows each. */
  memory: Float32Array;
  /** [R,1,64]: memory_pos + the block's temporal row; pointer rows are filled by `writePointerPositions`. */
  memoryPos: Float32Array;
  /** [16]: |f − t_i| / max(1, maxPtr − 1), the input of pointer_tpos. */
  normalizedDiffs: Float32Array;
  assignment: FixedBankAssignment;
}

/**
 * Packs a plan into a fixed bank. `memPos` is the memory encoder's `memory_pos` [T,64] (the same for every frame);
 * `tpos` is `memory_temporal_positional_encoding` [blocks, 64]. Memories are token-major fp16 [T,64].
 */
export function packFixedBank(
  plan: MemoryPlan,
  f: number,
  g: FixedBankGeometry,
  memPos: Float32Array,
  tpos: Float32Array,
): FixedBankInputs {
  const T = g.tokens;
  const blockLen = T * MEM_DIM;
  if (memPos.length !== blockLen) throw new RangeError(`memory_pos has ${memPos.length} values, expected ${blockLen}`);
  if (tpos.length !== g.blocks * MEM_DIM)
    throw new RangeError(`temporal table has ${tpos.length} values, expected ${g.blocks * MEM_DIM}`);
  const a = assignFixedBank(plan, f, g, g.blocks - 1);
  const rows = fixedBankRows(g);
  const memory = new Float32Array(rows * MEM_DIM);
  const memoryPos = new Float32Array(rows * MEM_DIM);
  a.blocks.forEach((s, b) => {
    checkBlock(s, blockLen, g);
    f16ToF32(hostMemory(s.maskmem, s.frame), memory.subarray(b * blockLen, (b + 1) * blockLen));
    blockPositions(memPos, tpos, s.row, memoryPos.subarray(b * blockLen, (b + 1) * blockLen));
  });
  const ptr = fixedBankPointers(plan, a, g);
  memory.set(ptr.values, g.blocks * blockLen);
  return { memory, memoryPos, normalizedDiffs: ptr.normalizedDiffs, assignment: a };
}

/** Checks one assigned block: its memory's size and its temporal row. */
export function checkBlock(s: MemorySlot, blockLen: number, g: FixedBankGeometry): void {
  if (s.maskmem.length !== blockLen)
    throw new RangeError(`memory of frame ${s.frame} has ${s.maskmem.length} values, expected ${blockLen}`);
  if (!(s.row >= 0 && s.row < g.blocks)) throw new RangeError(`temporal row ${s.row} outside the table`);
}

/** One block's positions: memory_pos [T,64] + temporal row `row` of `tpos`, into `out` (the same for every frame). */
export function blockPositions(
  memPos: Float32Array,
  tpos: Float32Array,
  row: number,
  out = new Float32Array(memPos.length),
): Float32Array {
  const r = tpos.subarray(row * MEM_DIM, (row + 1) * MEM_DIM);
  const T = memPos.length / MEM_DIM;
  for (let t = 0; t < T; t++) for (let c = 0; c < MEM_DIM; c++) out[t * MEM_DIM + c] = memPos[t * MEM_DIM + c]! + r[c]!;
  return out;
}

/** The pointer rows of a fixed bank (each 256-d pointer as 4 rows of 64) and pointer_tpos's input. */
export function fixedBankPointers(
  plan: MemoryPlan,
  a: FixedBankAssignment,
  g: FixedBankGeometry,
): { values: Float32Array; normalizedDiffs: Float32Array } {
  const span = Math.max(1, plan.maxPtr - 1);
  const values = new Float32Array(g.pointers * PTR_DIM);
  const normalizedDiffs = new Float32Array(g.pointers);
  a.pointers.forEach((p, i) => {
    if (p.ptr.length !== PTR_DIM) throw new RangeError(`pointer of frame ${p.frame} has ${p.ptr.length} values`);
    // A 256-d pointer becomes 4 consecutive rows: ptr[0:64], ptr[64:128], ptr[128:192], ptr[192:256].
    values.set(p.ptr, i * PTR_DIM);
    normalizedDiffs[i] = Math.fround(p.pos / span);
  });
  return { values, normalizedDiffs };
}

/** pointer_tpos's output [16,64] as the pointers' rows of memory_pos: each row repeated for its pointer's 4 rows. */
export function pointerPositionRows(pointerPos: Float32Array, g: FixedBankGeometry): Float32Array {
  if (pointerPos.length !== g.pointers * MEM_DIM)
    throw new RangeError(`pointer_pos has ${pointerPos.length} values, expected ${g.pointers * MEM_DIM}`);
  const out = new Float32Array(g.pointers * PTR_DIM);
  for (let i = 0; i < g.pointers; i++) {
    const row = pointerPos.subarray(i * MEM_DIM, (i + 1) * MEM_DIM);
    for (let k = 0; k < PTR_TOKENS; k++) out.set(row, (i * PTR_TOKENS + k) * MEM_DIM);
  }
  return out;
}

/** Copies pointer_tpos's output [16,64] into each pointer's 4 rows of `memoryPos`. */
export function writePointerPositions(memoryPos: Float32Array, pointerPos: Float32Array, g: FixedBankGeometry): void {
  memoryPos.set(pointerPositionRows(pointerPos, g), g.blocks * g.tokens * MEM_DIM);
}

/** The host-side inputs of a layout C memory attention. */
export interface DynamicInputs {
  /** Spatial memories n and pointers p (lengths n·tokens and p·4 rows). */
  n: number;
  p: number;
  /** [n·tokens, 1, 64]; empty with `values: false` (the caller packs `slots` on the GPU). */
  spatial: Float32Array;
  /** The slots in the order packed. */
  slots: MemorySlot[];
  /** [n·tokens, 1, 64]: each memory's own positions + its temporal row; empty with `positions: false`. */
  spatialPos: Float32Array;
  /** [n, 64]: the temporal row of each slot, in the order packed (what the GPU path adds to the positions). */
  rows: Float32Array;
  /** [p·4, 1, 64]. */
  pointers: Float32Array;
  /** [p·4, 1, 64]: zeros (EdgeTAM has no pointer temporal encoding). */
  pointerPos: Float32Array;
  /** Frames of the spatial memories and pointers, in the order packed. */
  order: { spatial: { frame: number; row: number }[]; pointers: number[] };
}

/**
 * Packs a plan for dynamic memory attention (EdgeTAM): only memories that exist, no padding; conditioning blocks
 * first (temporal row 6), then the recent ones oldest first (row k − 1 for the frame k steps back); pointers in the
 * plan's order (conditioning, then recent newest first) with zero positions. Each slot carries its own positions
 * (`pos`, fp16 [tokens,64]).
 */
export function packDynamic(
  plan: MemoryPlan,
  tokens: number,
  tpos: Float32Array,
  condRow: number,
  /** `values`/`positions: false`: the caller packs the memories / positions on the GPU. */
  opts: { values?: boolean; positions?: boolean } = {},
): DynamicInputs {
  const values = opts.values ?? true;
  const positions = opts.positions ?? true;
  const len = tokens * MEM_DIM;
  const conds = plan.slots.filter((s) => s.row === condRow);
  const recents = plan.slots.filter((s) => s.row !== condRow).sort((a, b) => b.row - a.row);
  const slots = [...conds, ...recents];
  const n = slots.length;
  const spatial = new Float32Array(values ? n * len : 0);
  const spatialPos = new Float32Array(positions ? n * len : 0);
  const rows = new Float32Array(n * MEM_DIM);
  const scratch = new Float32Array(len);
  slots.forEach((s, b) => {
    if (s.maskmem.length !== len)
      throw new RangeError(`memory of frame ${s.frame} has ${s.maskmem.length} values, expected ${len}`);
    if (!s.pos || s.pos.length !== len) throw new RangeError(`memory of frame ${s.frame} has no positions`);
    if (values) f16ToF32(hostMemory(s.maskmem, s.frame), spatial.subarray(b * len, (b + 1) * len));
    const row = tpos.subarray(s.row * MEM_DIM, (s.row + 1) * MEM_DIM);
    if (row.length !== MEM_DIM) throw new RangeError(`temporal row ${s.row} outside the table`);
    rows.set(row, b * MEM_DIM);
    if (!positions) return;
    f16ToF32(hostMemory(s.pos, s.frame), scratch);
    const dst = spatialPos.subarray(b * len, (b + 1) * len);
    for (let t = 0; t < tokens; t++)
      for (let c = 0; c < MEM_DIM; c++) dst[t * MEM_DIM + c] = scratch[t * MEM_DIM + c]! + row[c]!;
  });
  const p = plan.pointers.length;
  const pointers = new Float32Array(p * PTR_DIM);
  plan.pointers.forEach((e, i) => pointers.set(e.ptr, i * PTR_DIM));
  return {
    n,
    p,
    spatial,
    slots,
    spatialPos,
    rows,
    pointers,
    pointerPos: new Float32Array(p * PTR_DIM),
    order: { spatial: slots.map((s) => ({ frame: s.frame, row: s.row })), pointers: plan.pointers.map((e) => e.frame) },
  };
}
