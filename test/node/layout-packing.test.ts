// Memory packing of the public video exports (video-exports.md, src/engine/layouts/packing.ts): which block gets
// which temporal row, repetition of unused slots (fixed bank), pointer rows and positions, dynamic lengths (EdgeTAM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectState, planMemory, type BankConfig, type FrameOut } from '../../src/engine/tracker/memory-bank.js';
import {
  assignFixedBank,
  fixedBankRows,
  packDynamic,
  packFixedBank,
  writePointerPositions,
  type FixedBankGeometry,
} from '../../src/engine/layouts/packing.js';
import { toHalfBits } from '../../src/engine/math/sine.js';
import {
  parseExportConstants,
  parseNoMemorySidecar,
  SIDECAR_FORMAT,
} from '../../src/engine/layouts/export-constants.js';

const CFG: BankConfig = { numMaskmem: 7, maxObjPtrs: 16, maxCondFramesInAttn: -1, numFrames: 1000 };
/** A small token count keeps the arrays short; the layout is the same for T = 4096 or 1024. */
const T = 8;
const G: FixedBankGeometry = { tokens: T, blocks: 7, pointers: 16 };

/** Memory tokens of frame t all equal t (fp16); its positions (EdgeTAM) equal 1000 + t; its pointer [t, t+0.5, ...]. */
function out(frame: number, tokens = T): FrameOut {
  const ptr = new Float32Array(256);
  for (let i = 0; i < 256; i++) ptr[i] = frame + i / 256;
  return {
    lowRes: null,
    objPtr: ptr,
    objectScore: 1,
    prompted: false,
    maskmem: new Uint16Array(tokens * 64).fill(toHalfBits(frame)),
    maskmemPos: new Uint16Array(tokens * 64).fill(toHalfBits(1000 + frame)),
  };
}

function state(cond: number[], nonCond: number[], tokens = T): ObjectState {
  const o = new ObjectState(1);
  for (const t of cond) o.cond.set(t, out(t, tokens));
  for (const t of nonCond) o.nonCond.set(t, out(t, tokens));
  return o;
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
/** Temporal table whose row r holds 10·r in every channel: positions reveal the row. */
const TPOS = Float32Array.from({ length: 7 * 64 }, (_, i) => 10 * Math.floor(i / 64));
/** memory_pos of the memory encoder: 0.25 everywhere. */
const MEMPOS = new Float32Array(T * 64).fill(0.25);

test('fixed bank geometry: R = 7·T + 16·4 (28,736 at S = 1024, 7,232 at S = 512)', () => {
  assert.equal(fixedBankRows({ tokens: 4096, blocks: 7, pointers: 16 }), 28736);
  assert.equal(fixedBankRows({ tokens: 1024, blocks: 7, pointers: 16 }), 7232);
});

test('fixed bank, full history: block 0 is the conditioning frame (row 6), then f-1..f-6 at rows 0..5', () => {
  const f = 20;
  const plan = planMemory(state([0], range(1, 19)), f, 1, CFG);
  const bank = packFixedBank(plan, f, G, MEMPOS, TPOS);
  const blockFrames = bank.assignment.blocks.map((s) => [s.frame, s.row]);
  assert.deepEqual(blockFrames, [
    [0, 6],
    [19, 0],
    [18, 1],
    [17, 2],
    [16, 3],
    [15, 4],
    [14, 5],
  ]);
  assert.equal(bank.assignment.repeatedBlocks, 0);
  for (let b = 0; b < 7; b++) {
    const [frame, row] = blockFrames[b]!;
    // Tokens are the memory's, positions = memory_pos + the block's temporal row, over all T tokens.
    assert.equal(bank.memory[b * T * 64], frame);
    assert.equal(bank.memory[(b + 1) * T * 64 - 1], frame);
    assert.equal(bank.memoryPos[b * T * 64 + 5], 0.25 + 10 * row!);
    assert.equal(bank.memoryPos[(b + 1) * T * 64 - 1], 0.25 + 10 * row!);
  }
});

test('fixed bank, early frame: unused blocks repeat the newest memory with its own row, never zeros', () => {
  const f = 3; // conditioning 0, tracked 1 and 2
  const plan = planMemory(state([0], [1, 2]), f, 1, CFG);
  const bank = packFixedBank(plan, f, G, MEMPOS, TPOS);
  const frames = bank.assignment.blocks.map((s) => s.frame);
  assert.deepEqual(frames, [0, 2, 1, 2, 2, 2, 2]);
  assert.equal(bank.assignment.repeatedBlocks, 4);
  for (let b = 3; b < 7; b++) {
    assert.equal(bank.memory[b * T * 64 + 17], 2, `block ${b} repeats frame 2`);
    assert.equal(bank.memoryPos[b * T * 64 + 17], 0.25 + 10 * 0, `block ${b} keeps row 0`);
  }
  // Nothing in the spatial part is zero (a zero memory would be a valid, wrong memory).
  assert.ok(bank.memory.subarray(0, 7 * T * 64).every((v, i) => v !== 0 || Math.floor(i / (T * 64)) === 0));
});

test('fixed bank, first tracked frame: only the conditioning memory, repeated in every block at row 6', () => {
  const plan = planMemory(state([0], []), 1, 1, CFG);
  const bank = packFixedBank(plan, 1, G, MEMPOS, TPOS);
  assert.deepEqual(
    bank.assignment.blocks.map((s) => [s.frame, s.row]),
    Array(7).fill([0, 6]),
  );
  // One pointer (the conditioning frame at distance 1), repeated; maxPtr = min(1000, 16) = 16.
  assert.deepEqual([...bank.normalizedDiffs], Array(16).fill(Math.fround(1 / 15)));
});

test('fixed bank pointers: conditioning first, then recent newest first, 4 rows each, positions from normalized diffs', () => {
  const f = 30;
  const cfg = { ...CFG, numFrames: 40 };
  const plan = planMemory(state([0], range(1, 29)), f, 1, cfg);
  const bank = packFixedBank(plan, f, G, MEMPOS, TPOS);
  // maxPtr = min(40, 16) = 16: the conditioning pointer at distance 30, then f-1..f-15.
  assert.deepEqual(
    bank.assignment.pointers.map((p) => p.frame),
    [0, ...range(15, 29).reverse()],
  );
  assert.equal(bank.assignment.repeatedPointers, 0);
  const span = 15;
  assert.deepEqual(
    [...bank.normalizedDiffs],
    [30, ...range(1, 15)].map((d) => Math.fround(d / span)),
  );
  // Pointer i occupies rows 7T + 4i .. 7T + 4i + 3: ptr[0:64], ptr[64:128], ptr[128:192], ptr[192:256].
  const base = 7 * T * 64;
  const p1 = bank.assignment.pointers[1]!.ptr;
  for (let k = 0; k < 4; k++) assert.equal(bank.memory[base + (4 + k) * 64], p1[k * 64]);
  // pointer_tpos's output row i goes to all 4 rows of pointer i.
  const pointerPos = Float32Array.from({ length: 16 * 64 }, (_, i) => Math.floor(i / 64) + 0.5);
  writePointerPositions(bank.memoryPos, pointerPos, G);
  for (let i = 0; i < 16; i++)
    for (let k = 0; k < 4; k++) assert.equal(bank.memoryPos[base + (4 * i + k) * 64 + 63], i + 0.5);
  // The spatial positions are untouched by the pointer positions.
  assert.equal(bank.memoryPos[base - 1], 0.25 + 10 * 5);
});

test('fixed bank pointers: unused slots repeat the last pointer (and its distance)', () => {
  const plan = planMemory(state([0], [1, 2, 3]), 4, 1, { ...CFG, numFrames: 10 });
  const bank = packFixedBank(plan, 4, G, MEMPOS, TPOS);
  const frames = bank.assignment.pointers.map((p) => p.frame);
  assert.deepEqual(frames, [0, 3, 2, 1, ...Array(12).fill(1)]);
  assert.equal(bank.assignment.repeatedPointers, 12);
  const span = 9; // min(10, 16) - 1
  assert.deepEqual(
    [...bank.normalizedDiffs],
    [4, 1, 2, 3, ...Array(12).fill(3)].map((d) => Math.fround(d / span)),
  );
});

test('fixed bank, several conditioning frames: the nearest one first, the bank keeps 7 blocks and 16 pointers', () => {
  const o = state([0, 10, 50], range(11, 24));
  const plan = planMemory(o, 25, 1, CFG);
  const a = assignFixedBank(plan, 25, G, 6);
  // Conditioning 10 (nearest), then f-1..f-6, dropping conditioning frames 0 and 50.
  assert.deepEqual(
    a.blocks.map((s) => s.frame),
    [10, 24, 23, 22, 21, 20, 19],
  );
  assert.equal(a.droppedBlocks, 2);
  assert.equal(a.pointers.length, 16);
  assert.deepEqual(
    a.pointers.slice(0, 3).map((p) => p.frame),
    [0, 10, 24],
  );
});

test('fixed bank, reverse tracking: rows count frames after f', () => {
  const plan = planMemory(state([50], range(41, 49)), 40, -1, CFG);
  const bank = packFixedBank(plan, 40, G, MEMPOS, TPOS);
  assert.deepEqual(
    bank.assignment.blocks.map((s) => [s.frame, s.row]),
    [
      [50, 6],
      [41, 0],
      [42, 1],
      [43, 2],
      [44, 3],
      [45, 4],
      [46, 5],
    ],
  );
  assert.equal(bank.assignment.pointers[0]!.frame, 50);
});

test('dynamic (EdgeTAM): only existing memories, conditioning first (row 6), then recent oldest first', () => {
  const f = 20;
  const plan = planMemory(state([0], [13, 15, 17, 18, 19], 512), f, 1, CFG);
  const m = packDynamic(plan, 512, TPOS, 6);
  assert.equal(m.n, 5);
  assert.deepEqual(
    m.order.spatial.map((s) => [s.frame, s.row]),
    [
      [0, 6],
      [15, 4],
      [17, 2],
      [18, 1],
      [19, 0],
    ],
  );
  // f-7 = 13 is not a spatial memory (6 recent frames at most) but it is a pointer.
  assert.equal(m.spatial.length, 5 * 512 * 64);
  m.order.spatial.forEach((s, b) => {
    assert.equal(m.spatial[b * 512 * 64 + 3], s.frame);
    // Each memory's own positions + its temporal row.
    assert.equal(m.spatialPos[b * 512 * 64 + 3], 1000 + s.frame + 10 * s.row);
    // The temporal rows alone, in the same order, for the GPU path to add.
    assert.deepEqual(m.rows.subarray(b * 64, (b + 1) * 64), TPOS.subarray(s.row * 64, (s.row + 1) * 64));
  });
  // Positions packed on the GPU: none here, the rows still.
  const gpu = packDynamic(plan, 512, TPOS, 6, { values: false, positions: false });
  assert.equal(gpu.spatial.length + gpu.spatialPos.length, 0);
  assert.deepEqual(gpu.rows, m.rows);
});

test('dynamic (EdgeTAM): pointers conditioning first then newest first, 4 rows each, zero positions', () => {
  const plan = planMemory(state([0], [13, 15, 17, 18, 19], 512), 20, 1, CFG);
  const m = packDynamic(plan, 512, TPOS, 6);
  assert.deepEqual(m.order.pointers, [0, 19, 18, 17, 15, 13]);
  assert.equal(m.p, 6);
  assert.equal(m.pointers.length, 6 * 4 * 64);
  assert.equal(m.pointers[1 * 256 + 64], 19 + 64 / 256);
  assert.ok(m.pointerPos.every((v) => v === 0));
  assert.equal(m.pointerPos.length, m.pointers.length);
});

test('export constants: A and B keys, the temporal table, sidecar format', () => {
  const table = Array.from({ length: 7 }, (_, r) => Array.from({ length: 64 }, (_, c) => r + c / 100));
  const b = parseExportConstants({
    model: 'sam2.1-tiny',
    image_size: 512,
    memory_frames: 7,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.2, 0.2, 0.2],
    memory_temporal_positional_encoding: table,
  });
  assert.equal(b.imageSize, 512);
  assert.equal(b.numMaskmem, 7);
  assert.equal(b.tpos[64 * 3 + 2], Math.fround(3.02));
  assert.deepEqual(b.mean, [0.5, 0.5, 0.5]);
  assert.equal(b.noMemoryEmbedding, null);
  const a = parseExportConstants({
    memory_temporal_positional_encoding: table,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
  });
  assert.equal(a.imageSize, null);
  assert.throws(() => parseExportConstants({ image_size: 1024 }), /memory_temporal_positional_encoding/);
  assert.throws(
    () => parseExportConstants({ memory_temporal_positional_encoding: table.slice(0, 6) }),
    /expected 7×64/,
  );
  const emb = Array.from({ length: 256 }, (_, i) => i / 256);
  assert.equal(
    parseNoMemorySidecar({ format: SIDECAR_FORMAT, no_memory_embedding: emb }, 'x.json')[255],
    Math.fround(255 / 256),
  );
  assert.throws(() => parseNoMemorySidecar({ format: 'other', no_memory_embedding: emb }, 'x.json'), /format/);
  assert.throws(
    () => parseNoMemorySidecar({ format: SIDECAR_FORMAT, no_memory_embedding: emb.slice(1) }, 'x.json'),
    /256/,
  );
});
