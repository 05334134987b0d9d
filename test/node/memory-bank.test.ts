// The video memory bank's rules (sam2-reference.md §3.6, §3.8, §4.4 G4), as pure logic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MASKMEM_SIZE,
  ObjectState,
  defaultRetention,
  evict,
  invalidateAhead,
  maxPointers,
  objectMemoryStats,
  packMemoryInputs,
  planMemory,
  selectCondFrames,
  toStoredMemory,
  type BankConfig,
  type Direction,
  type FrameOut,
} from '../../src/engine/tracker/memory-bank.js';
import { parseConstants } from '../../src/engine/tracker/constants.js';
import { objPtrPosEnc, toHalfBits } from '../../src/engine/math/sine.js';

const CFG: BankConfig = { numMaskmem: 7, maxObjPtrs: 16, maxCondFramesInAttn: -1, numFrames: 1000 };

/** A frame output whose memory and pointer are tagged with the frame number (memory value = frame as fp16). */
function out(frame: number, withMem = true): FrameOut {
  const ptr = new Float32Array(256);
  ptr[0] = frame;
  return {
    lowRes: new Float32Array(256 * 256),
    objPtr: ptr,
    objectScore: 1,
    prompted: false,
    maskmem: withMem ? new Uint16Array(MASKMEM_SIZE).fill(toHalfBits(frame)) : null,
  };
}

function state(cond: number[], nonCond: number[]): ObjectState {
  const o = new ObjectState(1);
  for (const t of cond) o.cond.set(t, out(t));
  for (const t of nonCond) o.nonCond.set(t, out(t));
  return o;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const slots = (o: ObjectState, f: number, dir: Direction = 1, cfg = CFG) =>
  planMemory(o, f, dir, cfg).slots.map((s) => [s.frame, s.row]);
const ptrs = (o: ObjectState, f: number, dir: Direction = 1, cfg = CFG) =>
  planMemory(o, f, dir, cfg).pointers.map((p) => [p.frame, p.pos]);

test('temporal rows: conditioning frame -> row 6, f-d -> row d-1 (§3.6 table)', () => {
  const o = state([0], range(1, 9));
  assert.deepEqual(slots(o, 10), [
    [0, 6],
    [9, 0],
    [8, 1],
    [7, 2],
    [6, 3],
    [5, 4],
    [4, 5],
  ]);
  // Only 6 recent frames: f-7 and older are not spatial memories.
  assert.ok(!slots(o, 10).some(([t]) => t === 3));
});

test('missing frames are skipped, not padded, and the others keep their rows', () => {
  const o = state([0], [1, 2, 3, 4, 6, 9]);
  assert.deepEqual(slots(o, 10), [
    [0, 6],
    [9, 0],
    [6, 3],
    [4, 5],
  ]);
  // A frame without memory features (not encoded yet) is skipped too, but its pointer still counts.
  o.nonCond.set(8, out(8, false));
  assert.deepEqual(slots(o, 10), [
    [0, 6],
    [9, 0],
    [6, 3],
    [4, 5],
  ]);
  assert.ok(ptrs(o, 10).some(([t, pos]) => t === 8 && pos === 2));
});

test('a future conditioning frame is a spatial memory (row 6) but never a pointer', () => {
  const o = state([20], []);
  assert.deepEqual(slots(o, 5), [[20, 6]]);
  assert.deepEqual(ptrs(o, 5), []);
  // Both past and future conditioning frames are memories; only the past one is a pointer.
  const o2 = state([0, 20], [9]);
  assert.deepEqual(slots(o2, 10), [
    [0, 6],
    [20, 6],
    [9, 0],
  ]);
  assert.deepEqual(ptrs(o2, 10), [
    [0, 10],
    [9, 1],
  ]);
});

test('pointers: conditioning pointer at pos f-t, recent at pos d for d = 1..15, 16 at most', () => {
  const o = state([0], range(1, 29));
  const p = ptrs(o, 30);
  assert.equal(p.length, 16);
  assert.deepEqual(p[0], [0, 30]);
  assert.deepEqual(
    p.slice(1),
    range(1, 15).map((d) => [30 - d, d]),
  );
  assert.equal(maxPointers(CFG), 16);
});

test('pointers: maxPtr = min(numFrames, 16), and the loop stops at frame 0', () => {
  const o = state([0], range(1, 4));
  const cfg5 = { ...CFG, numFrames: 5 };
  assert.equal(maxPointers(cfg5), 5);
  // d = 1..4 -> t = 3, 2, 1, 0; frame 0 is a selected conditioning frame: it counts once, as such.
  assert.deepEqual(ptrs(o, 4, 1, cfg5), [
    [0, 4],
    [3, 1],
    [2, 2],
    [1, 3],
  ]);
  // The loop stops at t < 0: with one object added on frame 2 and tracked on 3, pointers reach back to 2 only.
  const o2 = state([2], []);
  assert.deepEqual(ptrs(o2, 3), [[2, 1]]);
  // A live stream (numFrames unknown) uses 16.
  assert.equal(maxPointers({ ...CFG, numFrames: undefined }), 16);
});

test('reverse tracking: memories from f + d, pointers from t >= f, stop at numFrames', () => {
  const cfg = { ...CFG, numFrames: 60 };
  const o = state([59], range(50, 58));
  assert.deepEqual(slots(o, 49, -1, cfg), [
    [59, 6],
    [50, 0],
    [51, 1],
    [52, 2],
    [53, 3],
    [54, 4],
    [55, 5],
  ]);
  const p = ptrs(o, 49, -1, cfg);
  assert.deepEqual(p[0], [59, 10]); // pos = (f - t)·(−1) ≥ 0
  assert.deepEqual(
    p.slice(1),
    range(1, 9).map((d) => [49 + d, d]),
  );
  // t = 59 is the conditioning frame (skipped as recent), t = 60 >= numFrames stops the loop.
  assert.equal(p.length, 10);
  // A forward conditioning frame behind a reverse step is not a pointer.
  const o2 = state([10, 40], []);
  assert.deepEqual(ptrs(o2, 20, -1, cfg), [[40, 20]]);
});

test('select_closest_cond_frames: closest before, closest at/after, then nearest; unselected ones act as recent', () => {
  const cond = new Map([0, 10, 20, 30].map((t) => [t, t]));
  assert.deepEqual(
    [...selectCondFrames(cond, 15, 2).selected.keys()].sort((a, b) => a - b),
    [10, 20],
  );
  assert.deepEqual(
    [...selectCondFrames(cond, 15, 3).selected.keys()].sort((a, b) => a - b),
    [0, 10, 20],
  );
  assert.deepEqual(
    [...selectCondFrames(cond, 31, 2).selected.keys()].sort((a, b) => a - b),
    [20, 30],
  );
  assert.deepEqual(
    [...selectCondFrames(cond, 10, 2).selected.keys()].sort((a, b) => a - b),
    [0, 10],
  );
  assert.equal(selectCondFrames(cond, 15, -1).selected.size, 4);
  assert.throws(() => selectCondFrames(cond, 15, 1));
  // Capped at 2 on frame 6: {5, 8} selected, 0 unselected; frame 0 = f - 6 is then a recent memory at row 5.
  const o = state([0, 5, 8], []);
  const cfg = { ...CFG, maxCondFramesInAttn: 2 };
  assert.deepEqual(slots(o, 6, 1, cfg), [
    [5, 6],
    [8, 6],
    [0, 5],
  ]);
  assert.deepEqual(ptrs(o, 6, 1, cfg), [
    [5, 1],
    [0, 6],
  ]);
});

test('packing G4: slots in order with their tpos rows, fp16 memories widened, pointer PE, P = 0 padding', () => {
  const tpos = Float32Array.from({ length: 7 * 64 }, (_, i) => i);
  const weight = Float32Array.from({ length: 64 * 256 }, (_, i) => Math.sin(i));
  const bias = Float32Array.from({ length: 64 }, (_, i) => i / 64);
  const o = state([0], [8, 9]);
  const plan = planMemory(o, 10, 1, CFG);
  const g = packMemoryInputs(plan, { maskmemTposEnc: tpos, objPtrTposProj: { weight, bias } });
  assert.equal(g.S, 3);
  assert.equal(g.P, 3);
  assert.equal(g.maskmemFeatures.length, 3 * MASKMEM_SIZE);
  assert.deepEqual(
    [g.maskmemFeatures[0], g.maskmemFeatures[MASKMEM_SIZE], g.maskmemFeatures[2 * MASKMEM_SIZE + 5]],
    [0, 9, 8],
  );
  assert.deepEqual([...g.maskmemTpos.subarray(0, 64)], [...tpos.subarray(6 * 64, 7 * 64)]);
  assert.deepEqual([...g.maskmemTpos.subarray(64, 128)], [...tpos.subarray(0, 64)]);
  assert.deepEqual([...g.maskmemTpos.subarray(128, 192)], [...tpos.subarray(64, 128)]);
  assert.deepEqual([...g.maskmemValid], [1, 1, 1]);
  assert.deepEqual([g.objPtrs[0], g.objPtrs[256], g.objPtrs[512]], [0, 9, 8]);
  // Positions 10, 1, 2 with maxPtr = 16: PE = proj(sine1d(pos / 15)).
  for (const [i, pos] of [
    [0, 10],
    [1, 1],
    [2, 2],
  ] as const) {
    assert.deepEqual([...g.objPtrPos.subarray(i * 64, (i + 1) * 64)], [...objPtrPosEnc(pos, 16, weight, bias)]);
  }
  assert.deepEqual([...g.objPtrValid], [1, 1, 1]);

  // No pointer (only a future conditioning frame): one masked padding pointer.
  const g0 = packMemoryInputs(planMemory(state([20], []), 5, 1, CFG), {
    maskmemTposEnc: tpos,
    objPtrTposProj: { weight, bias },
  });
  assert.equal(g0.P, 1);
  assert.deepEqual([...g0.objPtrValid], [0]);
  assert.ok(g0.objPtrs.every((v) => v === 0) && g0.objPtrPos.every((v) => v === 0));
  // 2.0: pointer PE is zeros.
  const g20 = packMemoryInputs(plan, { maskmemTposEnc: tpos, objPtrTposProj: null });
  assert.ok(g20.objPtrPos.every((v) => v === 0));
  // Fixed buckets: padded slots and pointers are invalid zeros.
  const gb = packMemoryInputs(plan, { maskmemTposEnc: tpos, objPtrTposProj: null }, { minSlots: 7, minPtrs: 16 });
  assert.equal(gb.S, 7);
  assert.equal(gb.P, 16);
  assert.deepEqual([...gb.maskmemValid], [1, 1, 1, 0, 0, 0, 0]);
  assert.equal(
    gb.objPtrValid.reduce((a, b) => a + b, 0),
    3,
  );
  assert.ok(gb.maskmemFeatures.subarray(3 * MASKMEM_SIZE).every((v) => v === 0));
  // Memory attention needs at least one slot.
  assert.throws(() =>
    packMemoryInputs({ slots: [], pointers: [], maxPtr: 16 }, { maskmemTposEnc: tpos, objPtrTposProj: null }),
  );
});

test('fp16 storage halves a memory and round-trips within fp16 precision', () => {
  const x = Float32Array.from({ length: MASKMEM_SIZE }, (_, i) => Math.sin(i) * 10);
  const h = toStoredMemory(x);
  assert.equal(h.byteLength, MASKMEM_SIZE * 2);
  const o = new ObjectState(1);
  o.cond.set(0, { ...out(0), maskmem: h });
  const g = packMemoryInputs(planMemory(o, 1, 1, CFG), {
    maskmemTposEnc: new Float32Array(7 * 64),
    objPtrTposProj: null,
  });
  let err = 0;
  for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(g.maskmemFeatures[i]! - x[i]!));
  assert.ok(err <= 10 * 2 ** -11, `max error ${err}`);
});

/** Tracks frames from..to (inclusive, in dir) like the engine loop does: store, mark tracked, evict. */
function simulate(o: ObjectState, frames: number[], dir: Direction, cfg = CFG, history = 0) {
  const keep = { ...defaultRetention(cfg), history };
  for (const f of frames) {
    if (!o.cond.has(f)) {
      const plan = planMemory(o, f, dir, cfg);
      // Everything the plan needs is still held.
      assert.ok(plan.slots.length >= 1);
      o.nonCond.set(f, out(f));
    }
    o.tracked.set(f, dir);
    evict(o, f, dir, keep);
  }
}

test('eviction keeps memory bounded: after 1000 frames as after 60, with the same plan as without eviction', () => {
  const o = state([0], []);
  simulate(o, range(0, 59), 1);
  const at60 = objectMemoryStats(o);
  const full = state([0], range(1, 59)); // never evicted
  assert.deepEqual(
    planMemory(o, 60, 1, CFG).slots.map((s) => [s.frame, s.row]),
    slots(full, 60),
  );
  assert.deepEqual(ptrs(o, 60), ptrs(full, 60));
  simulate(o, range(60, 999), 1);
  const at1000 = objectMemoryStats(o);
  assert.equal(at1000.bytes, at60.bytes);
  // 1 conditioning frame + 7 recent memories (6 for the next frame, 1 more for a correction on the latest) + the 6
  // frames next to the conditioning frame (a backward pass from it starts there); 16 recent non-conditioning frames
  // and the 15 next to the conditioning frame hold a pointer.
  assert.equal(at1000.memories, 14);
  assert.equal(at1000.nonCondFrames, 31);
  // 14 × (512 KiB fp16 memory + 256 KiB logits) plus pointers: about 10.5 MiB per object.
  assert.ok(at1000.bytes < 10.6 * 1024 * 1024, `${at1000.bytes} bytes`);
  assert.deepEqual(
    [...o.nonCond.keys()].sort((a, b) => a - b),
    [...range(1, 15), ...range(984, 999)],
  );
  // The tracked set is bounded as well (conditioning frames stay).
  assert.deepEqual(
    [...o.tracked.keys()].sort((a, b) => a - b),
    [0, ...range(1, 15), ...range(984, 999)],
  );
  // A correction on the latest frame sees exactly what tracking it saw.
  const fullLate = state([0], range(980, 998));
  assert.deepEqual(slots(o, 999), slots(fullLate, 999));
  assert.deepEqual(ptrs(o, 999), ptrs(fullLate, 999));
});

test('history h: a correction h frames back sees exactly what tracking that frame saw, and memory stays bounded', () => {
  const h = 20;
  const o = state([0], []);
  simulate(o, range(0, 499), 1, CFG, h);
  const at500 = objectMemoryStats(o);
  simulate(o, range(500, 999), 1, CFG, h);
  assert.equal(objectMemoryStats(o).bytes, at500.bytes);
  // Frame 979 (20 behind 999): its own stored output (the mask prompt) and the plan it was tracked with.
  const f = 999 - h;
  assert.ok(o.nonCond.get(f)?.lowRes, 'the corrected frame keeps its logits');
  assert.equal(o.tracked.get(f), 1, 'still a tracked frame: a prompt there is a correction');
  const full = state([0], range(f - 20, f - 1));
  assert.deepEqual(slots(o, f), slots(full, f));
  assert.deepEqual(ptrs(o, f), ptrs(full, f));
  // Beyond the pointers that frame needed, nothing is held (memory stays bounded).
  assert.equal(o.nonCond.has(999 - h - CFG.maxObjPtrs), false);
  assert.equal(o.nonCond.has(999 - h - CFG.maxObjPtrs + 1), true);
  // Without history the same frame is gone: a prompt there would start a new conditioning frame.
  const plain = state([0], []);
  simulate(plain, range(0, 999), 1);
  assert.equal(plain.tracked.has(f), false);
  // h more frames hold a memory than without history.
  assert.equal(objectMemoryStats(o).memories, objectMemoryStats(plain).memories + h);
});

test('eviction in reverse keeps the frames behind in the reverse direction', () => {
  const cfg = { ...CFG, numFrames: 300 };
  const o = state([299], []);
  simulate(o, range(0, 298).reverse(), -1, cfg);
  assert.deepEqual(
    [...o.nonCond.keys()].sort((a, b) => a - b),
    [...range(0, 15), ...range(284, 298)],
  );
  assert.equal(objectMemoryStats(o).memories, 14);
});

test('backward after forward starts from the forward pass memories and pointers next to the conditioning frame', () => {
  const cfg = { ...CFG, numFrames: 41 };
  const o = state([10], []);
  simulate(o, range(10, 40), 1, cfg);
  // Frame 9, backward: the conditioning frame (row 6), then 11..15 at rows 1..5 (10 = f + 1 is the conditioning
  // frame itself); pointers 10 (pos 1) and 11..24 (pos 2..15): exactly what an unevicted state gives.
  const full = state([10], range(11, 40));
  assert.deepEqual(slots(o, 9, -1, cfg), [
    [10, 6],
    [11, 1],
    [12, 2],
    [13, 3],
    [14, 4],
    [15, 5],
  ]);
  assert.deepEqual(slots(o, 9, -1, cfg), slots(full, 9, -1, cfg));
  assert.deepEqual(ptrs(o, 9, -1, cfg), ptrs(full, 9, -1, cfg));
  assert.deepEqual(ptrs(o, 9, -1, cfg)[1], [11, 2]);
  // Tracking backward then drops the forward frames as it moves away, and stays bounded.
  simulate(o, range(0, 9).reverse(), -1, cfg);
  assert.ok(objectMemoryStats(o).memories <= 1 + 7 + 12);
});

test('a correction makes the frames after it (in its direction) stale', () => {
  const o = state([0], range(1, 20));
  for (let t = 1; t <= 20; t++) o.tracked.set(t, 1);
  assert.deepEqual(invalidateAhead(o, 12, 1), range(13, 20));
  assert.deepEqual([...o.nonCond.keys()], range(1, 12));
  assert.ok(!o.tracked.has(13) && o.tracked.has(12));
  const r = state([30], range(10, 29));
  assert.deepEqual(invalidateAhead(r, 15, -1), range(10, 14));
});

test('constants.json of the twin bundle parses: scalars and base64 tensors', async () => {
  const { readFile } = await import('node:fs/promises');
  const json = JSON.parse(
    await readFile(new URL('../../demo/models/sam2-twin/constants.json', import.meta.url), 'utf8'),
  );
  const c = parseConstants(json);
  assert.equal(c.modelVersion, '2.1');
  assert.equal(c.numMaskmem, 7);
  assert.equal(c.maxObjPtrs, 16);
  assert.equal(c.noObjScore, -1024);
  assert.equal(c.maskmemTposEnc.length, 7 * 64);
  assert.equal(c.noObjPtr.length, 256);
  assert.equal(c.objPtrTposProj!.weight.length, 64 * 256);
  // The twin's table: channel 0 = recency, channel 1 = reach, per row.
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((r) => c.maskmemTposEnc[r * 64 + 1]),
    [8, 14, 20, 26, 32, 38, 16],
  );
  assert.throws(() => parseConstants({ ...json, modelVersion: '3' }), /modelVersion/);
  const broken = {
    ...json,
    tensors: { ...json.tensors, no_obj_ptr: { shape: [255], data: json.tensors.no_obj_ptr.data } },
  };
  assert.throws(() => parseConstants(broken), /no_obj_ptr/);
});
