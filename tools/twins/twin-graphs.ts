// The twin models: SAM 2's tensor contracts around a colour-and-position segmenter.
//
// Encoder: the features are the mean colour of each cell (at strides 4, 8 and 16) in the first three
// channels, the other channels zero. Level 2 uses a few more channels as a side band, shared by every graph:
export const CH_NO_MEM = 8; //  1 in `image_embed` (no_mem_embed), 0 after memory attention
export const CH_PRIOR = 9; //   memory attention: where the tracked object may be (0/1 on the 64x64 grid)
export const CH_MEM_COLOUR = 10; // memory attention: the tracked object's colour (3 channels)
export const CH_MEM_HAS = 13; // memory attention: 1 when some memory holds the object
// Decoder: the reference colour comes from the positive clicks, else the box centre, else the memory; a
// cell belongs to the object when its colour is near the reference (three tolerances give the tight, medium
// and loose candidates), and is excluded outside a box, nearer a negative click of the same colour than any
// positive one, or (memory only) outside the memory's position prior. Memory encoder: the mask's cover of
// each 64x64 cell and the colour under it. Memory attention: the bounding box of the most recent non-empty
// memory, grown by a reach that depends on its temporal row, becomes the position prior; all memories and
// pointers give the colour.

import { DataType, type EncodedModel, type ExternalDataLayout } from './onnx-proto.js';
import { Graph, type V, int } from './graph.js';

const F = DataType.FLOAT;

/** Twin-specific values of the constants a bundle carries (reference §4.4 constants.json). */
export const TWIN = {
  /**
   * How far (64x64 cells, 16 px of 1024-space each) the position prior reaches beyond the bounding box of a
   * memory of temporal row 0..5 (f-1 .. f-6) and 6 (conditioning frames): older memories reach further.
   */
  reach: [8, 14, 20, 26, 32, 38, 16],
  /** Colour-distance tolerances (squared, normalised units) of the tight/medium/loose candidates. */
  tolerance: 1.0,
  logitScale: 4,
  /** Recency weight of temporal rows 0..5 (f-1 .. f-6); row 6 (conditioning frames) comes last. */
  recency: [1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625],
  /** IoU estimates of tokens 0 (single), 1 (tight), 2 (medium), 3 (loose). */
  iou: [0.92, 0.86, 0.94, 0.78],
};

/** Constant vectors the host code needs; the twin gives each a role it can observe. */
export function twinConstantTensors(): Record<string, { shape: number[]; data: Float32Array }> {
  const noMemEmbed = new Float32Array(256);
  noMemEmbed[CH_NO_MEM] = 1;
  const noObjEmbedSpatial = new Float32Array(64);
  noObjEmbedSpatial[4] = 1;
  const tpos = new Float32Array(7 * 64);
  TWIN.recency.forEach((w, row) => {
    tpos[row * 64] = w;
    tpos[row * 64 + 1] = TWIN.reach[row]!;
  });
  // obj_ptr_tpos_proj: output 0 copies sine1d's first component, sin(pos / (maxPtr - 1)), a recency measure.
  const projW = new Float32Array(64 * 256);
  projW[0] = 1;
  const projB = new Float32Array(64);
  const maskDown = new Float32Array(16).fill(1 / 16);
  return {
    no_obj_ptr: { shape: [256], data: new Float32Array(256) },
    maskmem_tpos_enc: { shape: [7, 64], data: tpos },
    'obj_ptr_tpos_proj.weight': { shape: [64, 256], data: projW },
    'obj_ptr_tpos_proj.bias': { shape: [64], data: projB },
    'mask_downsample.weight': { shape: [4, 4], data: maskDown },
    'mask_downsample.bias': { shape: [1], data: new Float32Array(1) },
    no_mem_embed: { shape: [256], data: noMemEmbed },
    no_obj_embed_spatial: { shape: [64], data: noObjEmbedSpatial },
  };
}

interface EncoderOut {
  hr0: V;
  hr1: V;
  pix: V;
  embed: V;
}

// Pooling and reductions over many outputs are very slow on WebGPU under SwiftShader (seconds per op), so
// the twins downsample with linear Resize (half_pixel: a /2 step is an exact 2x2 mean) and reduce over
// space only where there are few outputs, keeping the twins quick on both backends.

/** Stride-4/8/16 colours; `embed` = `pix + no_mem_embed`. */
function encoderCore(g: Graph, x: V): EncoderOut {
  const c256 = g.rescale(x, [1, 1, 0.25, 0.25]);
  const c128 = g.rescale(c256, [1, 1, 0.5, 0.5]);
  const c64 = g.rescale(c128, [1, 1, 0.5, 0.5]);
  const hr0 = g.padChannels(c256, 0, 29);
  const hr1 = g.padChannels(c128, 0, 61);
  const pix = g.padChannels(c64, 0, 253);
  const noMem = twinConstantTensors()['no_mem_embed']!.data;
  const embed = g.add(pix, g.f32(noMem, [1, 256, 1, 1]));
  return { hr0, hr1, pix, embed };
}

const GRID = Array.from({ length: 256 }, (_, i) => i);

/** Colour of the 256x256 stride-4 map at 1024-space points x, y ([M,K]) -> [M,K,3]. */
function sampleColour(g: Graph, colourFlat: V, x: V, y: V): V {
  const cell = (v: V) => g.clip(g.floor(g.div(v, 4)), 0, 255);
  const idx = g.cast(g.add(g.mul(cell(y), 256), cell(x)), DataType.INT64);
  const picked = g.node('Gather', [colourFlat, idx], { axis: int(1) }); // [3,M,K]
  return g.transpose(picked, [1, 2, 0]);
}

export interface DecoderIn {
  embed: V; // [1,256,64,64]
  hr0: V; // [1,32,256,256]
  hr1: V; // [1,64,128,128]
  coords: V; // [M,N,2] 1024-space
  labels: V; // [M,N] float
  maskInput?: { logits: V; has: V }; // [M,1,256,256], [M]
  extBox?: { box: V; has: V }; // [M or 1,4] xyxy, [1,1]
}

export interface DecoderOut {
  tight: V; // [M,256,256]
  medium: V;
  loose: V;
  score: V; // [M,1]
  evidence: V; // [M,1]
  ptr: V; // [M,1,256]
}

export function decoderCore(g: Graph, d: DecoderIn): DecoderOut {
  // The reference appends one (0,0,-1) padding point inside the graph (reference §2.2.4); so do we.
  const zeroPt = g.mul(g.slice(d.coords, [0], [1], [1]), 0);
  const coords = g.concat([d.coords, zeroPt], 1);
  const labels = g.concat([d.labels, g.sub(g.mul(g.slice(d.labels, [0], [1], [1]), 0), 1)], 1);
  const px = g.squeeze(g.slice(coords, [0], [1], [2]), [2]); // [M,N']
  const py = g.squeeze(g.slice(coords, [1], [2], [2]), [2]);

  const colour = g.slice(d.hr0, [0], [3], [1]); // [1,3,256,256]
  const colourFlat = g.reshape(colour, [3, 65536]);
  const pointColour = sampleColour(g, colourFlat, px, py); // [M,N',3]

  const pos = g.eq(labels, 1);
  const neg = g.eq(labels, 0);
  const tl = g.eq(labels, 2);
  const br = g.eq(labels, 3);
  const nPos = g.sum(pos, [1]); // [M,1]
  const hasPos = g.gt(nPos, 0.5);

  // Box from corner points (labels 2/3), or from an explicit input box when the contract has one.
  const cornerHas = g.rmax(tl, [1]);
  const corner = (w: V, v: V) => g.div(g.sum(g.mul(w, v), [1]), g.max(g.sum(w, [1]), 1)); // [M,1]
  let bx0 = corner(tl, px);
  let by0 = corner(tl, py);
  let bx1 = corner(br, px);
  let by1 = corner(br, py);
  let boxHas = cornerHas;
  if (d.extBox) {
    const col = (i: number) => g.slice(d.extBox!.box, [i], [i + 1], [1]); // [M,1]
    const h = d.extBox.has;
    bx0 = g.blend(h, col(0), bx0);
    by0 = g.blend(h, col(1), by0);
    bx1 = g.blend(h, col(2), bx1);
    by1 = g.blend(h, col(3), by1);
    boxHas = g.max(cornerHas, h);
  }
  // Cell centres in 1024-space; a cell is inside when its centre is.
  const centres = GRID.map((i) => (i + 0.5) * 4);
  const cx = g.f32(centres, [1, 1, 256]);
  const cy = g.f32(centres, [1, 256, 1]);
  const u3 = (v: V) => g.unsqueeze(v, [2]); // [M,1] -> [M,1,1]
  const insideX = g.mul(g.gt(cx, g.sub(u3(bx0), 0.01)), g.gt(g.add(u3(bx1), 0.01), cx));
  const insideY = g.mul(g.gt(cy, g.sub(u3(by0), 0.01)), g.gt(g.add(u3(by1), 0.01), cy));
  const outsideBox = g.mul(u3(boxHas), g.sub(1, g.mul(insideX, insideY))); // [M,256,256]
  const boxCx = g.div(g.add(bx0, bx1), 2);
  const boxCy = g.div(g.add(by0, by1), 2);
  const boxColour = sampleColour(g, colourFlat, boxCx, boxCy); // [M,1,3]
  // A box alone selects what differs from the colour just inside its corners (the background around the
  // object), which is how SAM treats a loose box around a product.
  const inset = (v: V, k: number) => g.add(v, k * 6);
  const cornersX = g.concat([inset(bx0, 1), inset(bx1, -1), inset(bx0, 1), inset(bx1, -1)], 1); // [M,4]
  const cornersY = g.concat([inset(by0, 1), inset(by0, 1), inset(by1, -1), inset(by1, -1)], 1);
  const cornerColours = sampleColour(g, colourFlat, cornersX, cornersY); // [M,4,3]

  // Reference colour: positive clicks, else box centre, else memory (if any).
  const posU = g.unsqueeze(pos, [2]);
  const ptsColour = g.div(g.sum(g.mul(pointColour, posU), [1]), g.max(u3(nPos), 1)); // [M,1,3]
  const memColour = g.reshape(g.mean(g.slice(d.embed, [CH_MEM_COLOUR], [CH_MEM_COLOUR + 3], [1]), [2, 3]), [1, 1, 3]);
  const memHas = g.gt(g.mean(g.slice(d.embed, [CH_MEM_HAS], [CH_MEM_HAS + 1], [1]), [1, 2, 3]), 0.5); // [1,1,1,1]
  const a = u3(hasPos);
  const b = g.mul(g.sub(1, a), u3(boxHas));
  const m = g.mul(g.mul(g.sub(1, a), g.sub(1, u3(boxHas))), g.reshape(memHas, [1, 1, 1]));
  const ref = g.add(g.add(g.mul(a, ptsColour), g.mul(b, boxColour)), g.mul(m, memColour)); // [M,1,3]
  const evidence = g.add(g.add(a, b), m); // [M,1,1]

  // Squared colour distance to the reference on the 256 grid.
  const sqDist = (c: V) => {
    const diff = g.sub(colour, g.unsqueeze(g.transpose(c, [0, 2, 1]), [3])); // c [M,1,3] -> [M,3,1,1]
    const sq = g.mul(diff, diff);
    const ch = (i: number) => g.squeeze(g.slice(sq, [i], [i + 1], [1]), [1]);
    return g.add(g.add(ch(0), ch(1)), ch(2)); // [M,256,256]
  };
  // Box alone: distance 0 for colours far from every corner colour, up to 2x the tolerance for a corner's own.
  const cornerDist = [0, 1, 2, 3].map((k) => sqDist(g.slice(cornerColours, [k], [k + 1], [1])));
  const boxDist = g.relu(
    g.sub(
      TWIN.tolerance * 2,
      cornerDist.reduce((x, y) => g.min(x, y)),
    ),
  );
  const dist = g.blend(b, boxDist, sqDist(ref));

  // Negative clicks whose colour matches the reference exclude the cells nearer to them than to every
  // positive anchor (the positive clicks, or the box centre when there are none): this is how a second
  // object of the same colour is cut away.
  // Computed on the 64x64 grid (16 px cells) and upsampled: the boundary only matters between objects.
  const BIG = 1e9;
  const CELLS = GRID.slice(0, 64);
  const gxg = g.f32(CELLS, [1, 1, 1, 64]);
  const gyg = g.f32(CELLS, [1, 1, 64, 1]);
  const toGrid = (v: V) => g.unsqueeze(g.sub(g.div(v, 16), 0.5), [2, 3]); // [M,K] -> [M,K,1,1]
  const d2 = (x: V, y: V) => {
    const dx = g.sub(gxg, toGrid(x));
    const dy = g.sub(gyg, toGrid(y));
    return g.add(g.mul(dx, dx), g.mul(dy, dy)); // [M,K,256,256]
  };
  const pointD2 = d2(px, py);
  const unsq23 = (v: V) => g.unsqueeze(v, [2, 3]);
  const posD2 = g.rmin(g.add(pointD2, unsq23(g.mul(g.sub(1, pos), BIG))), [1]); // [M,1,64,64]
  const boxAnchor = g.mul(g.sub(1, hasPos), boxHas); // [M,1]
  const boxD2 = g.add(d2(boxCx, boxCy), unsq23(g.mul(g.sub(1, boxAnchor), BIG)));
  const anchorD2 = g.min(posD2, boxD2);
  const negColourD = g.sum(g.mul(g.sub(pointColour, ref), g.sub(pointColour, ref)), [2], false); // [M,N']
  const negSim = g.mul(neg, g.gt(TWIN.tolerance * 4, negColourD));
  const nearerNeg = g.gt(anchorD2, pointD2); // [M,N',64,64]
  const excluded64 = g.rmax(g.mul(nearerNeg, unsq23(negSim)), [1]); // [M,1,64,64]
  const excluded = g.squeeze(g.gt(g.rescale(excluded64, [1, 1, 4, 4]), 0.5), [1]); // [M,256,256]

  // Memory-only decodes are confined to the memory's position prior.
  const prior = g.resize(g.slice(d.embed, [CH_PRIOR], [CH_PRIOR + 1], [1]), [1, 1, 256, 256], 'linear');
  const outsidePrior = g.mul(m, g.sub(1, g.reshape(g.gt(prior, 0.5), [1, 256, 256])));

  // high_res_feats_1 carries nothing the twin needs; keep it a live input as in the real decoder.
  const hr1Touch = g.reshape(g.mul(g.slice(d.hr1, [0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 2, 3]), 0), []);
  const penalty = g.add(g.clip(g.add(g.add(excluded, outsideBox), outsidePrior), 0, 1), hr1Touch);

  let medium = g.sub(g.mul(g.sub(TWIN.tolerance, dist), TWIN.logitScale), g.mul(penalty, 40));
  if (d.maskInput) {
    // The previous logits reinforce themselves: a refined mask keeps what was selected.
    const prev = g.reshape(g.clip(d.maskInput.logits, -32, 32), [-1, 256, 256]);
    medium = g.add(medium, g.mul(g.mul(prev, 0.5), g.unsqueeze(d.maskInput.has, [1, 2])));
  }
  medium = g.clip(medium, -32, 32);
  const as4 = (v: V) => g.unsqueeze(v, [1]);
  const tight = g.squeeze(g.neg(g.maxFilter(g.neg(as4(medium)), 3)), [1]);
  const loose = g.squeeze(g.maxFilter(as4(medium), 5), [1]);

  // Object score: positive when the medium mask is a real object (some cells, under half of the image).
  const area = g.mean(g.gt(medium, 0), [1, 2], false); // [M]
  const areaU = g.unsqueeze(area, [1]); // [M,1]
  const rawScore = g.min(g.mul(g.sub(0.5, areaU), 20), g.sub(g.mul(areaU, 20000), 1));
  const ev = g.reshape(evidence, [-1, 1]);
  const score = g.sub(g.mul(ev, g.add(rawScore, 10)), 10);

  // Object pointer: [presence, colour], zero-padded to 256 (no_obj_ptr is all zeros).
  const ptr = g.node('Pad', [g.concat([evidence, ref], 2), g.i64([0, 0, 0, 0, 0, 252])], {}); // [M,1,256]
  return { tight, medium, loose, score, evidence: ev, ptr };
}

function iouScores(g: Graph, evidence: V, tokens: readonly number[]): V {
  const base = g.f32(
    tokens.map((t) => TWIN.iou[t]!),
    [1, tokens.length],
  );
  return g.mul(base, g.add(g.mul(evidence, 0.5), 0.5)); // [M,T]
}

export const meta = (role: string): { doc: string; metadata: [string, string][] } => ({
  doc: `sam2-segmenter twin model (${role}): SAM 2 tensor contract, colour-and-position behaviour. Not SAM 2.`,
  metadata: [
    ['twin', 'true'],
    ['role', role],
  ],
});

// ---- onnx-community layout ----

export function hfVisionEncoder(): Uint8Array {
  return hfVisionEncoderGraph().encode(meta('vision_encoder'));
}

/** The onnx-community vision encoder with its larger initializers in external data files (`layout`). */
export function hfVisionEncoderExternal(layout: ExternalDataLayout): EncodedModel {
  return hfVisionEncoderGraph().encodeExternal(meta('vision_encoder'), layout);
}

function hfVisionEncoderGraph(): Graph {
  const g = new Graph('vision_encoder');
  const x = g.input('pixel_values', F, ['batch_size', 3, 1024, 1024]);
  const e = encoderCore(g, x);
  g.output('image_embeddings.0', e.hr0, F, ['batch_size', 32, 256, 256]);
  g.output('image_embeddings.1', e.hr1, F, ['batch_size', 64, 128, 128]);
  g.output('image_embeddings.2', e.embed, F, ['batch_size', 256, 64, 64]);
  return g;
}

export function hfPromptEncoderMaskDecoder(): Uint8Array {
  return hfPromptEncoderMaskDecoderGraph().encode(meta('prompt_encoder_mask_decoder'));
}

/** The onnx-community prompt encoder + mask decoder with its larger initializers in external data files (`layout`). */
export function hfPromptEncoderMaskDecoderExternal(layout: ExternalDataLayout): EncodedModel {
  return hfPromptEncoderMaskDecoderGraph().encodeExternal(meta('prompt_encoder_mask_decoder'), layout);
}

function hfPromptEncoderMaskDecoderGraph(): Graph {
  const g = new Graph('prompt_encoder_mask_decoder');
  const e0 = g.input('image_embeddings.0', F, ['batch_size', 32, 256, 256]);
  const e1 = g.input('image_embeddings.1', F, ['batch_size', 64, 128, 128]);
  const e2 = g.input('image_embeddings.2', F, ['batch_size', 256, 64, 64]);
  const pts = g.input('input_points', F, ['batch_size', 'point_batch_size', 'num_points', 2]);
  const lab = g.input('input_labels', DataType.INT64, ['batch_size', 'point_batch_size', 'num_points']);
  const boxes = g.input('input_boxes', F, ['batch_size', 'num_boxes', 4]);

  // Flatten (batch, object) into one query axis M; the twin's image features broadcast, so B must be 1.
  const ptsShape = g.node('Shape', [pts]);
  const n = g.slice(ptsShape, [2], [3], [0]);
  const coords = g.reshapeDyn(pts, g.concat([g.i64([-1]), n, g.i64([2])], 0));
  const labels = g.reshapeDyn(g.cast(lab, F), g.concat([g.i64([-1]), n], 0));
  // The first input box (or none): pad one zero box so an empty [B,0,4] still has an element to read.
  const zeroBox = g.reshape(g.mul(g.slice(e2, [0, 0, 0], [4, 1, 1], [1, 2, 3]), 0), [-1, 1, 4]);
  const box = g.node('Gather', [g.concat([boxes, zeroBox], 1), g.i64([0], [])], { axis: int(1) }); // [B,4]
  const nb = g.cast(g.slice(g.node('Shape', [boxes]), [1], [2], [0]), F);
  const boxHas = g.reshape(g.min(nb, 1), [1, 1]);

  const out = decoderCore(g, { embed: e2, hr0: e0, hr1: e1, coords, labels, extBox: { box, has: boxHas } });
  const bo = g.slice(ptsShape, [0], [2], [0]);
  const masks = g.concat(
    [out.tight, out.medium, out.loose].map((v) => g.unsqueeze(v, [1])),
    1,
  ); // [M,3,256,256]
  g.output('pred_masks', g.reshapeDyn(masks, g.concat([bo, g.i64([3, 256, 256])], 0)), F, [
    'batch_size',
    'point_batch_size',
    3,
    256,
    256,
  ]);
  g.output('iou_scores', g.reshapeDyn(iouScores(g, out.evidence, [1, 2, 3]), g.concat([bo, g.i64([3])], 0)), F, [
    'batch_size',
    'point_batch_size',
    3,
  ]);
  g.output('object_score_logits', g.reshapeDyn(out.score, g.concat([bo, g.i64([1])], 0)), F, [
    'batch_size',
    'point_batch_size',
    1,
  ]);
  return g;
}

// ---- canonical four-graph bundle (sam2-video-4g/1) ----

export function imageEncoder(): Uint8Array {
  const g = new Graph('image_encoder');
  const x = g.input('pixel_values', F, [1, 3, 1024, 1024]);
  const e = encoderCore(g, x);
  g.output('high_res_feats_0', e.hr0, F, [1, 32, 256, 256]);
  g.output('high_res_feats_1', e.hr1, F, [1, 64, 128, 128]);
  g.output('pix_feat', e.pix, F, [1, 256, 64, 64]);
  g.output('image_embed', e.embed, F, [1, 256, 64, 64]);
  return g.encode(meta('image_encoder'));
}

export function maskDecoder(): Uint8Array {
  const g = new Graph('mask_decoder');
  const embed = g.input('image_embed', F, [1, 256, 64, 64]);
  const hr0 = g.input('high_res_feats_0', F, [1, 32, 256, 256]);
  const hr1 = g.input('high_res_feats_1', F, [1, 64, 128, 128]);
  const coords = g.input('point_coords', F, [1, 'num_points', 2]);
  const lab = g.input('point_labels', DataType.INT32, [1, 'num_points']);
  const maskIn = g.input('mask_input', F, [1, 1, 256, 256]);
  const hasMask = g.input('has_mask_input', F, [1]);
  const out = decoderCore(g, {
    embed,
    hr0,
    hr1,
    coords,
    labels: g.cast(lab, F),
    maskInput: { logits: maskIn, has: hasMask },
  });
  const masks = g.concat(
    [out.medium, out.tight, out.medium, out.loose].map((v) => g.unsqueeze(v, [1])),
    1,
  );
  g.output('low_res_masks', masks, F, [1, 4, 256, 256]);
  g.output('iou_scores', iouScores(g, out.evidence, [0, 1, 2, 3]), F, [1, 4]);
  g.output('object_score_logits', out.score, F, [1, 1]);
  g.output('obj_ptrs', g.concat([out.ptr, out.ptr, out.ptr, out.ptr], 1), F, [1, 4, 256]);
  return g.encode(meta('mask_decoder'));
}

export function memoryEncoder(): Uint8Array {
  const g = new Graph('memory_encoder');
  const pix = g.input('pix_feat', F, [1, 256, 64, 64]);
  const logits = g.input('mask_logits', F, [1, 1, 256, 256]);
  const binarize = g.input('binarize', F, [1]);
  const score = g.input('object_score_logits', F, [1, 1]);
  // Reference math (§4.4 G3): upsample to 1024, binarise or sigmoid, scale to ±10.
  const hi = g.resize(logits, [1, 1, 1024, 1024], 'linear');
  const m01 = g.blend(g.reshape(binarize, [1, 1, 1, 1]), g.gt(hi, 0), g.sigmoid(hi));
  const forMem = g.sub(g.mul(m01, 20), 10);
  // Twin: cover of each 64x64 cell, and the colour under the mask.
  const cover = g.rescale(g.sigmoid(forMem), [1, 1, 1 / 16, 1 / 16]); // [1,1,64,64], sampled at cell centres
  const colour = g.mul(g.slice(pix, [0], [3], [1]), cover);
  let feat = g.padChannels(g.concat([cover, colour], 1), 0, 60); // [1,64,64,64]
  const absent = g.sub(1, g.gt(g.reshape(score, [1, 1, 1, 1]), 0));
  const noObj = twinConstantTensors()['no_obj_embed_spatial']!.data;
  feat = g.add(feat, g.mul(absent, g.f32(noObj, [1, 64, 1, 1])));
  g.output('maskmem_features', feat, F, [1, 64, 64, 64]);
  return g.encode(meta('memory_encoder'));
}

export function memoryAttention(): Uint8Array {
  const g = new Graph('memory_attention');
  const pix = g.input('pix_feat', F, [1, 256, 64, 64]);
  const mem = g.input('maskmem_features', F, ['num_slots', 64, 64, 64]);
  const tpos = g.input('maskmem_tpos', F, ['num_slots', 64]);
  const valid = g.input('maskmem_valid', F, ['num_slots']);
  const ptrs = g.input('obj_ptrs', F, ['num_ptrs', 256]);
  const ptrPos = g.input('obj_ptr_pos', F, ['num_ptrs', 64]);
  const ptrValid = g.input('obj_ptr_valid', F, ['num_ptrs']);

  const cover = g.slice(mem, [0], [1], [1]); // [S,1,64,64]
  const colourSum = g.sum(g.slice(mem, [1], [4], [1]), [2, 3], false); // [S,3]
  const mass = g.sum(cover, [1, 2, 3], false); // [S]
  const live = g.mul(valid, g.gt(mass, 0.5)); // real slot holding the object
  const recency = g.squeeze(g.slice(tpos, [0], [1], [1]), [1]); // [S]
  const w = g.mul(live, recency);
  const chosen = g.mul(g.eq(w, g.rmax(w, [0])), g.gt(w, 0)); // the most recent non-empty memory
  // Position prior: the memory's bounding box grown by its row's reach.
  const BIG = 1e6;
  const cells = Array.from({ length: 64 }, (_, i) => i);
  const gx = g.f32(cells, [1, 1, 1, 64]);
  const gy = g.f32(cells, [1, 1, 64, 1]);
  const off = g.mul(g.sub(1, g.gt(cover, 0.25)), BIG); // [S,1,64,64]
  const s4 = (v: V) => g.unsqueeze(v, [1, 2, 3]); // [S] -> [S,1,1,1]
  const reach = s4(g.squeeze(g.slice(tpos, [1], [2], [1]), [1]));
  const x0 = g.sub(g.rmin(g.add(gx, off), [1, 2, 3]), reach);
  const x1 = g.add(g.rmax(g.sub(gx, off), [1, 2, 3]), reach);
  const y0 = g.sub(g.rmin(g.add(gy, off), [1, 2, 3]), reach);
  const y1 = g.add(g.rmax(g.sub(gy, off), [1, 2, 3]), reach);
  const region = g.mul(
    g.mul(g.gt(gx, g.sub(x0, 0.5)), g.gt(g.add(x1, 0.5), gx)),
    g.mul(g.gt(gy, g.sub(y0, 0.5)), g.gt(g.add(y1, 0.5), gy)),
  ); // [S,1,64,64]
  const prior = g.rmax(g.mul(region, s4(chosen)), [0]); // [1,1,64,64]

  const memMass = g.sum(g.mul(mass, live), [0]); // [1]
  const memColour = g.div(g.sum(g.mul(colourSum, g.unsqueeze(live, [1])), [0]), g.max(memMass, 1e-6)); // [1,3]
  const memHas = g.gt(memMass, 0.5); // [1]
  // Pointers: presence-weighted colours, older ones (larger sin(pos/(maxPtr-1))) count less.
  const pw = g.mul(
    g.mul(g.squeeze(g.slice(ptrs, [0], [1], [1]), [1]), ptrValid),
    g.sub(1, g.mul(g.squeeze(g.slice(ptrPos, [0], [1], [1]), [1]), 0.5)),
  ); // [P]
  const ptrW = g.sum(pw, [0]); // [1]
  const ptrColour = g.div(g.sum(g.mul(g.slice(ptrs, [1], [4], [1]), g.unsqueeze(pw, [1])), [0]), g.max(ptrW, 1e-6));
  const ptrHas = g.gt(ptrW, 1e-3);
  const colour = g.div(g.add(g.mul(memColour, memHas), g.mul(ptrColour, ptrHas)), g.max(g.add(memHas, ptrHas), 1));

  const colourMap = g.node('Expand', [g.reshape(colour, [1, 3, 1, 1]), g.i64([1, 3, 64, 64])]);
  const hasMap = g.node('Expand', [g.reshape(memHas, [1, 1, 1, 1]), g.i64([1, 1, 64, 64])]);
  const band = g.padChannels(g.concat([prior, colourMap, hasMap], 1), CH_PRIOR, 256 - CH_MEM_HAS - 1);
  g.output('pix_feat_with_mem', g.add(pix, band), F, [1, 256, 64, 64]);
  return g.encode(meta('memory_attention'));
}
