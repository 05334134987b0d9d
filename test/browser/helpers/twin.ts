// Graph-level runners for the two twin bundles: just enough glue (feeds, SAM 2 pre/post-processing from
// src/engine) to ask each graph a question and read the answer as masks in natural image pixels.

import { createSession, ort } from './ort.js';
import type { TestBackend } from './backend.js';
import { preprocess } from '../../../src/engine/preprocess.js';
import { buildDecoderPoints, emptyDecoderPoints, type Box, type Point } from '../../../src/engine/math/prompts.js';
import { upsampleAndThreshold } from '../../../src/engine/math/resample.js';

export const HF_BASE = new URL('/demo/models/sam2-twin-hf/', location.href).href;
export const VIDEO_BASE = new URL('/demo/models/sam2-twin/', location.href).href;
const LOW = 256 * 256;

/** One decode: candidate low-res logits (256x256 each), their IoU estimates and the object score. */
export interface Decoded {
  masks: Float32Array[];
  iou: number[];
  score: number;
  ptrs: Float32Array[];
  nPts: number;
}

export interface Encoded {
  feeds: Record<string, ort.Tensor>;
  width: number;
  height: number;
}

export interface TwinBundle {
  readonly kind: 'hf' | 'video';
  readonly sessions: Record<string, ort.InferenceSession>;
  encode(source: HTMLCanvasElement): Promise<Encoded>;
  decode(enc: Encoded, points: readonly Point[], box?: Box | null, maskInput?: Float32Array): Promise<Decoded>;
}

const f32 = (data: Float32Array | number[], dims: number[]) =>
  new ort.Tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), dims);

async function load(base: string, files: Record<string, string>, backend: TestBackend) {
  const sessions: Record<string, ort.InferenceSession> = {};
  for (const [name, file] of Object.entries(files)) sessions[name] = await createSession(base + file, backend);
  return sessions;
}

function split(t: ort.Tensor, n: number, size: number): Float32Array[] {
  const d = t.data as Float32Array;
  return Array.from({ length: n }, (_, k) => d.slice(k * size, (k + 1) * size));
}

export async function loadHfTwin(backend: TestBackend): Promise<TwinBundle> {
  const sessions = await load(
    HF_BASE,
    {
      vision_encoder: 'onnx/vision_encoder.onnx',
      prompt_encoder_mask_decoder: 'onnx/prompt_encoder_mask_decoder.onnx',
    },
    backend,
  );
  return {
    kind: 'hf',
    sessions,
    async encode(source) {
      const px = await preprocess(source);
      const out = await sessions['vision_encoder']!.run({ pixel_values: f32(px.data, [1, 3, 1024, 1024]) });
      return { feeds: out as Record<string, ort.Tensor>, width: px.width, height: px.height };
    },
    async decode(enc, points, box) {
      // A box goes in as label-2/3 corner points before the clicks, with an empty input_boxes (reference §4.1).
      const p = points.length || box ? buildDecoderPoints(points, box, enc.width, enc.height) : emptyDecoderPoints();
      const n = p.labels.length;
      const out = await sessions['prompt_encoder_mask_decoder']!.run({
        'image_embeddings.0': enc.feeds['image_embeddings.0']!,
        'image_embeddings.1': enc.feeds['image_embeddings.1']!,
        'image_embeddings.2': enc.feeds['image_embeddings.2']!,
        input_points: f32(p.coords, [1, 1, n, 2]),
        input_labels: new ort.Tensor('int64', BigInt64Array.from(Array.from(p.labels, BigInt)), [1, 1, n]),
        input_boxes: f32(new Float32Array(0), [1, 0, 4]),
      });
      return {
        masks: split(out['pred_masks']!, 3, LOW),
        iou: Array.from(out['iou_scores']!.data as Float32Array),
        score: (out['object_score_logits']!.data as Float32Array)[0]!,
        ptrs: [],
        nPts: p.nPts,
      };
    },
  };
}

export interface VideoTwin extends TwinBundle {
  /** G3: memory features of a low-res mask on a frame. */
  memory(enc: Encoded, lowRes: Float32Array, binarize: boolean, score: number): Promise<Float32Array>;
  /** G4: memory-conditioned features, to decode a frame with no prompt. */
  attend(
    enc: Encoded,
    slots: readonly { mem: Float32Array; tpos: Float32Array }[],
    ptrs: readonly { ptr: Float32Array; pos: Float32Array }[],
  ): Promise<ort.Tensor>;
  decodeWith(enc: Encoded, embed: ort.Tensor, points: readonly Point[], maskInput?: Float32Array): Promise<Decoded>;
}

export async function loadVideoTwin(backend: TestBackend): Promise<VideoTwin> {
  const sessions = await load(
    VIDEO_BASE,
    {
      image_encoder: 'image_encoder.onnx',
      mask_decoder: 'mask_decoder.onnx',
      memory_encoder: 'memory_encoder.onnx',
      memory_attention: 'memory_attention.onnx',
    },
    backend,
  );
  const decodeWith = async (
    enc: Encoded,
    embed: ort.Tensor,
    points: readonly Point[],
    box?: Box | null,
    maskInput?: Float32Array,
  ) => {
    const p = points.length || box ? buildDecoderPoints(points, box, enc.width, enc.height) : emptyDecoderPoints();
    const n = p.labels.length;
    const out = await sessions['mask_decoder']!.run({
      image_embed: embed,
      high_res_feats_0: enc.feeds['high_res_feats_0']!,
      high_res_feats_1: enc.feeds['high_res_feats_1']!,
      point_coords: f32(p.coords, [1, n, 2]),
      point_labels: new ort.Tensor('int32', p.labels, [1, n]),
      mask_input: f32(maskInput ?? new Float32Array(LOW), [1, 1, 256, 256]),
      has_mask_input: f32([maskInput ? 1 : 0], [1]),
    });
    return {
      masks: split(out['low_res_masks']!, 4, LOW),
      iou: Array.from(out['iou_scores']!.data as Float32Array),
      score: (out['object_score_logits']!.data as Float32Array)[0]!,
      ptrs: split(out['obj_ptrs']!, 4, 256),
      nPts: p.nPts,
    };
  };
  return {
    kind: 'video',
    sessions,
    async encode(source) {
      const px = await preprocess(source);
      const out = await sessions['image_encoder']!.run({ pixel_values: f32(px.data, [1, 3, 1024, 1024]) });
      return { feeds: out as Record<string, ort.Tensor>, width: px.width, height: px.height };
    },
    decode(enc, points, box, maskInput) {
      return decodeWith(enc, enc.feeds['image_embed']!, points, box, maskInput);
    },
    decodeWith(enc, embed, points, maskInput) {
      return decodeWith(enc, embed, points, null, maskInput);
    },
    async memory(enc, lowRes, binarize, score) {
      const out = await sessions['memory_encoder']!.run({
        pix_feat: enc.feeds['pix_feat']!,
        mask_logits: f32(lowRes, [1, 1, 256, 256]),
        binarize: f32([binarize ? 1 : 0], [1]),
        object_score_logits: f32([score], [1, 1]),
      });
      return out['maskmem_features']!.data as Float32Array;
    },
    async attend(enc, slots, ptrs) {
      const s = slots.length;
      const mem = new Float32Array(s * 64 * 4096);
      const tpos = new Float32Array(s * 64);
      slots.forEach((sl, i) => {
        mem.set(sl.mem, i * 64 * 4096);
        tpos.set(sl.tpos, i * 64);
      });
      // P = 0 is sent as one masked padding pointer (reference §4.4 G4).
      const p = Math.max(1, ptrs.length);
      const ptr = new Float32Array(p * 256);
      const pos = new Float32Array(p * 64);
      const pv = new Float32Array(p);
      ptrs.forEach((q, i) => {
        ptr.set(q.ptr, i * 256);
        pos.set(q.pos, i * 64);
        pv[i] = 1;
      });
      const out = await sessions['memory_attention']!.run({
        pix_feat: enc.feeds['pix_feat']!,
        maskmem_features: f32(mem, [s, 64, 64, 64]),
        maskmem_tpos: f32(tpos, [s, 64]),
        maskmem_valid: f32(new Float32Array(s).fill(1), [s]),
        obj_ptrs: f32(ptr, [p, 256]),
        obj_ptr_pos: f32(pos, [p, 64]),
        obj_ptr_valid: f32(pv, [p]),
      });
      return out['pix_feat_with_mem']!;
    },
  };
}

/** Index of the candidate SAM 2 would show for one click: the best multimask candidate by IoU. */
export function bestCandidate(d: Decoded): number {
  const first = d.masks.length === 4 ? 1 : 0;
  let k = first;
  for (let i = first + 1; i < d.iou.length; i++) if (d.iou[i]! > d.iou[k]!) k = i;
  return k;
}

/** Low-res logits -> binary mask at the image's natural size (bilinear, align_corners=false, > 0). */
export function toNatural(lowRes: Float32Array, width: number, height: number): Uint8Array {
  return upsampleAndThreshold(lowRes, 256, 256, width, height);
}

/** Row `row` of the bundle's maskmem_tpos_enc table (from constants.json). */
export async function tposRows(): Promise<Float32Array[]> {
  const c = (await (await fetch(VIDEO_BASE + 'constants.json')).json()) as {
    tensors: Record<string, { shape: number[]; data: string }>;
  };
  const t = c.tensors['maskmem_tpos_enc']!;
  const bin = Uint8Array.from(atob(t.data), (ch) => ch.charCodeAt(0));
  const all = new Float32Array(bin.buffer);
  return Array.from({ length: t.shape[0]! }, (_, r) => all.slice(r * 64, (r + 1) * 64));
}
