// Twins of the public video exports (shared/design/video-exports.md): the exact file names, tensor names, dtypes
// and fixed shapes of layouts A (square-zero-labs, fp32, S = 1024), B (diffusionstudio, fp16 inside with fp32 I/O
// through Cast nodes, S = 512) and C (EdgeTAM, four graphs at the root), around the same colour-and-position
// segmenter as the canonical twin (twin-graphs.ts). Only the inside is small.
//
// Side band of the memory-conditioned features, as in the canonical twin (channels 9..13), plus one channel
// (CH_COND) that memory attention sets: the decoders of these twins report no object (score −10) when their
// features carry neither the no-memory embedding (channel 8) nor CH_COND, so a host that decodes a prompted frame
// on raw features (forgetting the no-memory embedding, which layout C leaves to the host) fails visibly.

import { f32ToF16 } from '../../src/engine/math/sine.js';
import { DataType } from './onnx-proto.js';
import { Graph, type V, int } from './graph.js';
import { CH_MEM_HAS, CH_NO_MEM, CH_PRIOR, TWIN, decoderCore, meta, twinConstantTensors } from './twin-graphs.js';

const F32 = DataType.FLOAT;
const CH_COND = CH_MEM_HAS + 1;

/** Twin memory encoders leave channels 0 and 1 of `memory_pos` at zero: the bank's positions there are the
 * temporal row's recency and reach (from the temporal table), which the twin attention reads. */
const MEM_POS_PATTERN = Float32Array.from({ length: 64 }, (_, c) => (c >= 2 ? 0.001 * c : 0));

/** Temporal table of a twin at grid F: recency in channel 0, reach (in cells of its grid) in channel 1. */
export function twinTemporalTable(F: number): number[][] {
  return Array.from({ length: 7 }, (_, r) => {
    const row = new Array<number>(64).fill(0);
    row[0] = TWIN.recency[r]!;
    row[1] = (TWIN.reach[r]! * F) / 64;
    return row;
  });
}

/** The no-memory embedding of the twins: channel 8 set (what their decoders look for on an initial frame). */
export function twinNoMemoryEmbedding(): Float32Array {
  return twinConstantTensors()['no_mem_embed']!.data;
}

/** Float I/O, optionally through fp16 at the boundary (layout B: the exporter casts each float input down on entry
 * and each float output up on exit). */
class Io {
  constructor(
    readonly g: Graph,
    readonly fp16: boolean,
  ) {}

  input(name: string, shape: readonly (number | string)[]): V {
    const x = this.g.input(name, F32, shape);
    if (!this.fp16) return x;
    const half = this.g.node('Cast', [x], { to: int(DataType.FLOAT16) }, `${name}__fp16`);
    return this.g.cast(half, F32);
  }

  output(name: string, v: V, shape: readonly (number | string)[]): void {
    if (!this.fp16) {
      this.g.output(name, v, F32, shape);
      return;
    }
    const half = this.g.node('Cast', [v], { to: int(DataType.FLOAT16) }, `${name}__fp16`);
    this.g.node('Cast', [half], { to: int(F32) }, name);
    this.g.outputs.push({ name, type: F32, shape });
  }
}

/** Stride-4/8/16 colour maps at input side S: [1,32,4F,4F], [1,64,2F,2F], raw [1,256,F,F]. */
function encoder(g: Graph, x: V): { hr0: V; hr1: V; pix: V } {
  const c4 = g.rescale(x, [1, 1, 0.25, 0.25]);
  const c8 = g.rescale(c4, [1, 1, 0.5, 0.5]);
  const c16 = g.rescale(c8, [1, 1, 0.5, 0.5]);
  return { hr0: g.padChannels(c4, 0, 29), hr1: g.padChannels(c8, 0, 61), pix: g.padChannels(c16, 0, 253) };
}

const NO_MEM = (g: Graph): V => g.f32(twinNoMemoryEmbedding(), [1, 256, 1, 1]);

/** A positional-encoding stand-in: one value per channel, the same over the grid. */
const POS_PATTERN = Float32Array.from({ length: 256 }, (_, c) => Math.sin(c / 7) * 0.5);

/**
 * Decoder core over features at grid F (any S): points come in S-space and are mapped to 1024-space; the stride-4
 * colour map is brought to 256×256; the rest is the canonical twin's decoder. Returns the three candidates and the
 * checked score (−10 unless the features carry the no-memory embedding or come from memory attention).
 */
function decoderBody(g: Graph, S: number, feats0: V, feats1: V, feats2: V, points: V, labelsI32: V) {
  const coords = g.mul(g.reshape(points, [1, -1, 2]), 1024 / S);
  const labels = g.reshape(g.cast(labelsI32, F32), [1, -1]);
  const colour = g.slice(feats0, [0], [3], [1]);
  const hr0 = S === 1024 ? colour : g.resize(colour, [1, 3, 256, 256], 'linear');
  const out = decoderCore(g, { embed: feats2, hr0, hr1: feats1, coords, labels });
  const channel = (c: number) => g.reshape(g.mean(g.slice(feats2, [c], [c + 1], [1]), [1, 2, 3]), [1, 1]);
  const ok = g.gt(g.max(channel(CH_NO_MEM), channel(CH_COND)), 0.5); // [1,1]
  const score = g.blend(ok, out.score, -10); // [1,1]
  const iouTok = (t: number) => g.mul(g.scalar(TWIN.iou[t]!), g.add(g.mul(out.evidence, 0.5), 0.5)); // [1,1]
  return { ...out, score, iouTok, labels };
}

// ---- layouts A and B: five graphs under onnx/ ----

export function fiveVisionEncoder(S: number, fp16: boolean): Uint8Array {
  const g = new Graph('vision_encoder');
  const io = new Io(g, fp16);
  const F = S / 16;
  const e = encoder(g, io.input('pixel_values', [1, 3, S, S]));
  io.output('feats0', e.hr0, [1, 32, 4 * F, 4 * F]);
  io.output('feats1', e.hr1, [1, 64, 2 * F, 2 * F]);
  io.output('feats2', e.pix, [1, 256, F, F]);
  io.output('feats2_no_mem', g.add(e.pix, NO_MEM(g)), [1, 256, F, F]);
  // The exporter stores the positional encoding as a constant (an fp16 initializer `pos_embed` in layout B).
  const pattern = fp16
    ? g.cast(g.f16(f32ToF16(POS_PATTERN), [1, 256, 1, 1], 'pos_embed'), F32)
    : g.f32(POS_PATTERN, [1, 256, 1, 1]);
  io.output('vision_pos_embed', g.node('Expand', [pattern, g.i64([1, 256, F, F])]), [1, 256, F, F]);
  return g.encode(meta('vision_encoder'));
}

export function fiveMaskDecoder(S: number, fp16: boolean): Uint8Array {
  const g = new Graph('mask_decoder');
  const io = new Io(g, fp16);
  const F = S / 16;
  const feats0 = io.input('feats0', [1, 32, 4 * F, 4 * F]);
  const feats1 = io.input('feats1', [1, 64, 2 * F, 2 * F]);
  const feats2 = io.input('feats2_cond', [1, 256, F, F]);
  const points = io.input('input_points', [1, 1, 'num_points', 2]);
  const labels = g.input('input_labels', DataType.INT32, [1, 1, 'num_points']);
  const d = decoderBody(g, S, feats0, feats1, feats2, points, labels);
  // In-graph selection: several candidates for ≤ 1 real point (best IoU: the medium one), else token 0 (also medium).
  const real = g.sum(g.sub(1, g.eq(d.labels, -1)), [1]); // [1,1]
  const multimask = g.gt(1.5, real);
  const iou = g.blend(multimask, d.iouTok(2), d.iouTok(0));
  // In-graph gating: −1024 masks and the (zero) no-object pointer when the score is ≤ 0.
  const appearing = g.gt(d.score, 0); // [1,1]
  const low = g.blend(g.reshape(appearing, [1, 1, 1, 1]), g.unsqueeze(d.medium, [1]), -1024); // [1,1,256,256]
  io.output('low_res_mask', low, [1, 1, 256, 256]);
  io.output('high_res_mask', g.resize(low, [1, 1, S, S], 'linear'), [1, 1, S, S]);
  io.output('iou', iou, [1, 1]);
  io.output('object_score_logits', g.reshape(d.score, [1, 1, 1]), [1, 1, 1]);
  io.output('object_pointer', g.mul(d.ptr, g.reshape(appearing, [1, 1, 1])), [1, 1, 256]);
  return g.encode(meta('mask_decoder'));
}

/** Cover of each feature cell and the colour under it, with the no-object marker: [1,64,F,F]. */
function memoryFeatures(g: Graph, feats2: V, forMem: V, absent: V | null): V {
  const cover = g.rescale(g.sigmoid(forMem), [1, 1, 1 / 16, 1 / 16]);
  const colour = g.mul(g.slice(feats2, [0], [3], [1]), cover);
  let feat = g.padChannels(g.concat([cover, colour], 1), 0, 60);
  if (absent)
    feat = g.add(feat, g.mul(absent, g.f32(twinConstantTensors()['no_obj_embed_spatial']!.data, [1, 64, 1, 1])));
  return feat;
}

export function fiveMemoryEncoder(S: number, fp16: boolean): Uint8Array {
  const g = new Graph('memory_encoder');
  const io = new Io(g, fp16);
  const F = S / 16;
  const T = F * F;
  const feats2 = io.input('feats2', [1, 256, F, F]);
  const hi = io.input('high_res_mask', [1, 1, S, S]);
  const score = io.input('object_score_logits', [1, 1]);
  const binarize = io.input('binarize', []);
  // Binarise (prompted frames) or sigmoid, then ×20 − 10, as the exported memory encoder does.
  const m01 = g.blend(g.reshape(binarize, [1, 1, 1, 1]), g.gt(hi, 0), g.sigmoid(hi));
  const absent = g.sub(1, g.gt(g.reshape(score, [1, 1, 1, 1]), 0));
  const feat = memoryFeatures(g, feats2, g.sub(g.mul(m01, 20), 10), absent);
  io.output('memory_tokens', g.reshape(g.transpose(g.reshape(feat, [64, T]), [1, 0]), [T, 1, 64]), [T, 1, 64]);
  // A constant: the same positions for every frame.
  const pos = g.node('Expand', [
    g.add(g.f32(MEM_POS_PATTERN, [1, 1, 64]), g.mul(g.reshape(g.slice(score, [0, 0], [1, 1], [0, 1]), [1, 1, 1]), 0)),
    g.i64([T, 1, 64]),
  ]);
  io.output('memory_pos', pos, [T, 1, 64]);
  return g.encode(meta('memory_encoder'));
}

/**
 * The twin attention over memories at grid F: `mem` [S,64,F,F], `tpos` [S,64] (recency, reach), `valid` [S],
 * pointers [P,256] with positions [P,64] and validity [P]. The bounding box of the most recent non-empty memory,
 * grown by its row's reach, becomes the position prior; memories and pointers give the colour. Returns the side band
 * [1,256,F,F] to add to the frame's features.
 */
function attentionBand(g: Graph, F: number, mem: V, tpos: V, valid: V, ptrs: V, ptrPos: V, ptrValid: V): V {
  const cover = g.slice(mem, [0], [1], [1]); // [S,1,F,F]
  const colourSum = g.sum(g.slice(mem, [1], [4], [1]), [2, 3], false); // [S,3]
  const mass = g.sum(cover, [1, 2, 3], false); // [S]
  const live = g.mul(valid, g.gt(mass, 0.5));
  const recency = g.squeeze(g.slice(tpos, [0], [1], [1]), [1]);
  const w = g.mul(live, recency);
  const chosen = g.mul(g.eq(w, g.rmax(w, [0])), g.gt(w, 0));
  const BIG = 1e6;
  const cells = Array.from({ length: F }, (_, i) => i);
  const gx = g.f32(cells, [1, 1, 1, F]);
  const gy = g.f32(cells, [1, 1, F, 1]);
  const off = g.mul(g.sub(1, g.gt(cover, 0.25)), BIG);
  const s4 = (v: V) => g.unsqueeze(v, [1, 2, 3]);
  const reach = s4(g.squeeze(g.slice(tpos, [1], [2], [1]), [1]));
  const x0 = g.sub(g.rmin(g.add(gx, off), [1, 2, 3]), reach);
  const x1 = g.add(g.rmax(g.sub(gx, off), [1, 2, 3]), reach);
  const y0 = g.sub(g.rmin(g.add(gy, off), [1, 2, 3]), reach);
  const y1 = g.add(g.rmax(g.sub(gy, off), [1, 2, 3]), reach);
  const region = g.mul(
    g.mul(g.gt(gx, g.sub(x0, 0.5)), g.gt(g.add(x1, 0.5), gx)),
    g.mul(g.gt(gy, g.sub(y0, 0.5)), g.gt(g.add(y1, 0.5), gy)),
  );
  const prior = g.rmax(g.mul(region, s4(chosen)), [0]); // [1,1,F,F]
  const memMass = g.sum(g.mul(mass, live), [0]);
  const memColour = g.div(g.sum(g.mul(colourSum, g.unsqueeze(live, [1])), [0]), g.max(memMass, 1e-6));
  const memHas = g.gt(memMass, 0.5);
  const pw = g.mul(
    g.mul(g.squeeze(g.slice(ptrs, [0], [1], [1]), [1]), ptrValid),
    g.sub(1, g.mul(g.squeeze(g.slice(ptrPos, [0], [1], [1]), [1]), 0.5)),
  );
  const ptrW = g.sum(pw, [0]);
  const ptrColour = g.div(g.sum(g.mul(g.slice(ptrs, [1], [4], [1]), g.unsqueeze(pw, [1])), [0]), g.max(ptrW, 1e-6));
  const ptrHas = g.gt(ptrW, 1e-3);
  const colour = g.div(g.add(g.mul(memColour, memHas), g.mul(ptrColour, ptrHas)), g.max(g.add(memHas, ptrHas), 1));
  const colourMap = g.node('Expand', [g.reshape(colour, [1, 3, 1, 1]), g.i64([1, 3, F, F])]);
  const hasMap = g.node('Expand', [g.reshape(memHas, [1, 1, 1, 1]), g.i64([1, 1, F, F])]);
  const condMap = g.node('Expand', [g.f32([1], [1, 1, 1, 1]), g.i64([1, 1, F, F])]);
  return g.padChannels(g.concat([prior, colourMap, hasMap, condMap], 1), CH_PRIOR, 256 - CH_COND - 1);
}

/** Token-major [T,1,256] → [1,256,F,F]. */
const toChannels = (g: Graph, v: V, F: number): V =>
  g.reshape(g.transpose(g.reshape(v, [F * F, 256]), [1, 0]), [1, 256, F, F]);

/** Keeps an input live without letting it change the result (the real graphs read it). */
const touch = (g: Graph, v: V, rank: number): V =>
  g.mul(g.reshape(g.slice(v, Array(rank).fill(0), Array(rank).fill(1), [...Array(rank).keys()]), []), 0);

export function fiveMemoryAttention(S: number, fp16: boolean): Uint8Array {
  const g = new Graph('memory_attention');
  const io = new Io(g, fp16);
  const F = S / 16;
  const T = F * F;
  const R = 7 * T + 64;
  const cur = io.input('current_vision_features', [T, 1, 256]);
  const curPos = io.input('current_vision_position_embeddings', [T, 1, 256]);
  const memory = io.input('memory', [R, 1, 64]);
  const memPos = io.input('memory_pos', [R, 1, 64]);
  const pix = toChannels(g, cur, F);
  // Blocks: 7 × T tokens → [7,64,F,F]; each block's temporal row (recency, reach) from its first token's position.
  const blocks = g.transpose(g.reshape(g.slice(memory, [0], [7 * T], [0]), [7, F, F, 64]), [0, 3, 1, 2]);
  const tpos = g.reshape(g.slice(g.reshape(g.slice(memPos, [0], [7 * T], [0]), [7, T, 64]), [0], [1], [1]), [7, 64]);
  const ones7 = g.f32(new Array(7).fill(1), [7]);
  // Pointers: 16 × 4 rows of 64 → [16,256]; their positions from the first of their rows.
  const ptrs = g.reshape(g.slice(memory, [7 * T], [R], [0]), [16, 256]);
  const ptrPos = g.reshape(
    g.slice(g.reshape(g.slice(memPos, [7 * T], [R], [0]), [16, 4, 64]), [0], [1], [1]),
    [16, 64],
  );
  const ones16 = g.f32(new Array(16).fill(1), [16]);
  const band = attentionBand(g, F, blocks, tpos, ones7, ptrs, ptrPos, ones16);
  io.output('conditioned_feats', g.add(g.add(pix, band), touch(g, curPos, 3)), [1, 256, F, F]);
  return g.encode(meta('memory_attention'));
}

export function fivePointerTpos(fp16: boolean): Uint8Array {
  const g = new Graph('pointer_tpos');
  const io = new Io(g, fp16);
  const d = io.input('normalized_diffs', [16]);
  // Channel 0 = sin(normalized distance), as the canonical twin's obj_ptr_tpos_proj: a recency measure.
  const pos = g.node('Pad', [g.unsqueeze(g.sin(d), [1]), g.i64([0, 0, 0, 63])], {});
  io.output('pointer_pos', pos, [16, 64]);
  return g.encode(meta('pointer_tpos'));
}

// ---- layout C: EdgeTAM, four graphs at the root ----

const EDGE_TOKENS = 512;

export function edgeVisionEncoder(): Uint8Array {
  const g = new Graph('vision_encoder');
  const e = encoder(g, g.input('pixel_values', F32, [1, 3, 1024, 1024]));
  g.output('feats0', e.hr0, F32, [1, 32, 256, 256]);
  g.output('feats1', e.hr1, F32, [1, 64, 128, 128]);
  // Raw level-2 features: EdgeTAM's encoder does not add the no-memory embedding.
  g.output('feats2', e.pix, F32, [1, 256, 64, 64]);
  const pattern = g.f32(POS_PATTERN, [1, 256, 1, 1]);
  g.output('pos0', g.node('Expand', [pattern, g.i64([1, 256, 256, 256])]), F32, [1, 256, 256, 256]);
  g.output('pos1', g.node('Expand', [pattern, g.i64([1, 256, 128, 128])]), F32, [1, 256, 128, 128]);
  g.output('pos2', g.node('Expand', [pattern, g.i64([1, 256, 64, 64])]), F32, [1, 256, 64, 64]);
  return g.encode(meta('vision_encoder'));
}

export function edgeMaskDecoder(): Uint8Array {
  const g = new Graph('mask_decoder');
  const feats0 = g.input('feats0', F32, [1, 32, 256, 256]);
  const feats1 = g.input('feats1', F32, [1, 64, 128, 128]);
  const feats2 = g.input('feats2', F32, [1, 256, 64, 64]);
  const points = g.input('input_points', F32, [1, 1, 'num_points', 2]);
  const labels = g.input('input_labels', DataType.INT32, [1, 1, 'num_points']);
  const d = decoderBody(g, 1024, feats0, feats1, feats2, points, labels);
  // Three candidates (tight, medium, loose) with their IoUs; no gating of the masks in the graph (the host clamps),
  // the pointer gated to the (zero) no-object pointer.
  const masks = g.concat(
    [d.tight, d.medium, d.loose].map((v) => g.unsqueeze(v, [1])),
    1,
  ); // [1,3,256,256]
  g.output('pred_masks', g.unsqueeze(masks, [0]), F32, [1, 1, 3, 256, 256]);
  g.output(
    'high_res_masks',
    g.unsqueeze(g.resize(masks, [1, 3, 1024, 1024], 'linear'), [0]),
    F32,
    [1, 1, 3, 1024, 1024],
  );
  g.output('iou_scores', g.reshape(g.concat([d.iouTok(1), d.iouTok(2), d.iouTok(3)], 1), [1, 1, 3]), F32, [1, 1, 3]);
  g.output('object_pointer', g.mul(d.ptr, g.reshape(g.gt(d.score, 0), [1, 1, 1])), F32, [1, 1, 256]);
  g.output('object_score_logits', g.reshape(d.score, [1, 1, 1]), F32, [1, 1, 1]);
  return g.encode(meta('mask_decoder'));
}

export function edgeMemoryEncoder(): Uint8Array {
  const g = new Graph('memory_encoder');
  const feats2 = g.input('vision_features', F32, [1, 256, 64, 64]);
  const hi = g.input('pred_masks_high_res', F32, [1, 1, 1024, 1024]);
  const fromPts = g.input('is_mask_from_pts', DataType.BOOL, [1]);
  const m01 = g.blend(g.reshape(g.cast(fromPts, F32), [1, 1, 1, 1]), g.gt(hi, 0), g.sigmoid(hi));
  const feat = memoryFeatures(g, feats2, g.sub(g.mul(m01, 20), 10), null); // [1,64,64,64]
  // EdgeTAM compresses a memory to 512 tokens: the twin packs 8 cells of cover per token (channels 0..7) and the
  // colour under them (channels 8..10).
  const cover = g.reshape(g.slice(feat, [0], [1], [1]), [EDGE_TOKENS, 8]);
  const colour = g.transpose(g.sum(g.reshape(g.slice(feat, [1], [4], [1]), [3, EDGE_TOKENS, 8]), [2], false), [1, 0]); // [512,3]
  const tokens = g.node('Pad', [g.concat([cover, colour], 1), g.i64([0, 0, 0, 53])], {});
  g.output('memory_tokens', g.reshape(tokens, [EDGE_TOKENS, 1, 64]), F32, [EDGE_TOKENS, 1, 64]);
  const pos = g.node('Expand', [
    g.add(g.f32(MEM_POS_PATTERN, [1, 1, 64]), touch(g, feats2, 4)),
    g.i64([EDGE_TOKENS, 1, 64]),
  ]);
  g.output('memory_pos_enc', pos, F32, [EDGE_TOKENS, 1, 64]);
  return g.encode(meta('memory_encoder'));
}

export function edgeMemoryAttention(): Uint8Array {
  const g = new Graph('memory_attention');
  const cur = g.input('current_vision_features', F32, [4096, 1, 256]);
  const curPos = g.input('current_vision_position_embeddings', F32, [4096, 1, 256]);
  const spatial = g.input('spatial_memory', F32, ['num_spatial', 1, 64]);
  const spatialPos = g.input('spatial_memory_position_embeddings', F32, ['num_spatial', 1, 64]);
  const pointer = g.input('pointer_memory', F32, ['num_pointer', 1, 64]);
  const pointerPos = g.input('pointer_memory_position_embeddings', F32, ['num_pointer', 1, 64]);
  const pix = toChannels(g, cur, 64);
  // n memories of 512 tokens: cover from channels 0..7 back to a 64×64 grid, colour sums from channels 8..10.
  const blocks = g.reshape(spatial, [-1, EDGE_TOKENS, 64]);
  const cover = g.reshape(g.slice(blocks, [0], [8], [2]), [-1, 1, 64, 64]);
  const colourSum = g.sum(g.slice(blocks, [8], [11], [2]), [1], false); // [n,3]
  const colourMap = g.mul(g.unsqueeze(colourSum, [2, 3]), 1 / 4096); // [n,3,1,1] spread evenly: the sums are kept
  const mem = g.concat([cover, g.node('Expand', [colourMap, g.i64([1, 3, 64, 64])])], 1); // [n,4,64,64]
  const tpos = g.reshape(g.slice(g.reshape(spatialPos, [-1, EDGE_TOKENS, 64]), [0], [1], [1]), [-1, 64]);
  const valid = g.add(g.mul(g.sum(cover, [1, 2, 3], false), 0), 1);
  const ptrs = g.reshape(pointer, [-1, 256]);
  const ptrPos = g.reshape(g.slice(g.reshape(pointerPos, [-1, 4, 64]), [0], [1], [1]), [-1, 64]);
  const ptrValid = g.add(g.mul(g.squeeze(g.slice(ptrs, [0], [1], [1]), [1]), 0), 1);
  const band = attentionBand(g, 64, mem, tpos, valid, ptrs, ptrPos, ptrValid);
  const out = g.add(g.add(pix, band), touch(g, curPos, 3));
  g.output(
    'conditioned_features',
    g.reshape(g.transpose(g.reshape(out, [256, 4096]), [1, 0]), [1, 1, 4096, 256]),
    F32,
    [1, 1, 4096, 256],
  );
  return g.encode(meta('memory_attention'));
}
