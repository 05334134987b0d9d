// Adapters map a bundle's tensor names and conventions onto one internal interface, so the image engine never
// knows which contract it runs. Tensor layouts: sam2-reference.md §4.1 (onnx-community) and §4.4 (canonical).

import { HF_SAM2_CONTRACT, VIDEO_4G_CONTRACT, type BundleContract } from './contracts.js';
import type { DecoderPoints } from './math/prompts.js';
import { runOnPixels, type PixelValues, type PreprocessConfig } from './preprocess.js';
import { ort, type SerialSession } from './runtime.js';
import { readFloats } from './tensors.js';

/** Side of the decoder's low-res mask. */
export const LOW_RES = 256;
const LOW_RES_AREA = LOW_RES * LOW_RES;

/** Encoder outputs of one image, kept (on the GPU where possible) until the image is replaced. */
export class Embedding {
  constructor(
    /** Encoder outputs by name. */
    readonly tensors: Readonly<Record<string, ort.Tensor>>,
  ) {}

  /** Frees GPU buffers; CPU tensors are left to the garbage collector. */
  dispose(): void {
    for (const t of Object.values(this.tensors)) {
      if (t.location === 'gpu-buffer') t.dispose();
    }
  }
}

/** One decoder pass. */
export interface DecodeOutput {
  /** Low-res logits (256×256) per candidate: 4 tokens when `hasSingleMaskToken`, else the 3 multimask ones. */
  masks: Float32Array[];
  /** IoU estimate per candidate, same order as `masks`. */
  iou: number[];
  objectScore: number;
  hasSingleMaskToken: boolean;
}

/** What the image engine needs from a bundle. */
export interface ModelAdapter {
  readonly contract: BundleContract;
  readonly preprocess: PreprocessConfig;
  /** The decoder accepts a previous mask as a prompt (refinement). */
  readonly hasMaskInput: boolean;
  encode(px: PixelValues): Promise<Embedding>;
  /** `points` are in model-input pixels (1024-space of the content area), without the graph's pad point. */
  decode(emb: Embedding, points: DecoderPoints, maskInput: Float32Array | null): Promise<DecodeOutput>;
  release(): Promise<void>;
}

const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

async function floats(t: ort.Tensor | undefined, name: string): Promise<Float32Array> {
  const data = t ? await readFloats(t) : null;
  if (t?.location === 'gpu-buffer') t.dispose();
  if (!data) throw new Error(`decoder output "${name}" is missing or not float32`);
  return data;
}

/** Views (no copies) of n consecutive 256×256 maps. */
function splitMasks(data: Float32Array, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, k) => data.subarray(k * LOW_RES_AREA, (k + 1) * LOW_RES_AREA));
}

/** Canonical four-graph bundle (§4.4): image mode uses G1 `image_encoder` and G2 `mask_decoder`. */
export class CanonicalAdapter implements ModelAdapter {
  readonly contract = VIDEO_4G_CONTRACT;
  readonly hasMaskInput = true;
  private readonly zeros = new Float32Array(LOW_RES_AREA);

  constructor(
    private readonly sessions: Readonly<Record<string, SerialSession>>,
    readonly preprocess: PreprocessConfig,
  ) {}

  async encode(px: PixelValues): Promise<Embedding> {
    const out = await runOnPixels(px, (pixel_values) => this.sessions['image_encoder']!.run({ pixel_values }));
    return new Embedding(out as Record<string, ort.Tensor>);
  }

  async decode(emb: Embedding, p: DecoderPoints, maskInput: Float32Array | null): Promise<DecodeOutput> {
    const n = p.labels.length;
    const t = emb.tensors;
    const out = await this.sessions['mask_decoder']!.run({
      // image_embed already holds pix_feat + no_mem_embed, what image mode needs (§2.3).
      image_embed: t['image_embed']!,
      high_res_feats_0: t['high_res_feats_0']!,
      high_res_feats_1: t['high_res_feats_1']!,
      point_coords: f32(p.coords, [1, n, 2]),
      point_labels: new ort.Tensor('int32', p.labels, [1, n]),
      mask_input: f32(maskInput ?? this.zeros, [1, 1, LOW_RES, LOW_RES]),
      has_mask_input: f32(Float32Array.of(maskInput ? 1 : 0), [1]),
    });
    return {
      iou: Array.from(await floats(out['iou_scores'], 'iou_scores')),
      masks: splitMasks(await floats(out['low_res_masks'], 'low_res_masks'), 4),
      objectScore: (await floats(out['object_score_logits'], 'object_score_logits'))[0]!,
      hasSingleMaskToken: true,
    };
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}

/** onnx-community / transformers.js image pair (§4.1): no token-0 mask and no mask input. */
export class HfAdapter implements ModelAdapter {
  readonly contract = HF_SAM2_CONTRACT;
  readonly hasMaskInput = false;
  private readonly emptyBoxes = f32(new Float32Array(0), [1, 0, 4]);

  constructor(
    private readonly sessions: Readonly<Record<string, SerialSession>>,
    readonly preprocess: PreprocessConfig,
  ) {}

  async encode(px: PixelValues): Promise<Embedding> {
    const out = await runOnPixels(px, (pixel_values) => this.sessions['vision_encoder']!.run({ pixel_values }));
    return new Embedding(out as Record<string, ort.Tensor>);
  }

  async decode(emb: Embedding, p: DecoderPoints): Promise<DecodeOutput> {
    const n = p.labels.length;
    const session = this.sessions['prompt_encoder_mask_decoder']!;
    // Boxes go in as label-2/3 corner points before the clicks with an empty input_boxes: HF's own box path puts
    // box tokens after the points and drops the pad point, which is not the reference token set (§4.1).
    const all: Record<string, ort.Tensor> = {
      ...emb.tensors,
      input_points: f32(p.coords, [1, 1, n, 2]),
      input_labels: new ort.Tensor(
        'int64',
        BigInt64Array.from(p.labels, (v) => BigInt(v)),
        [1, 1, n],
      ),
      input_boxes: this.emptyBoxes,
    };
    // Feed only what the graph declares, as transformers.js does; exports differ in optional inputs.
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) if (all[name]) feeds[name] = all[name]!;
    const out = await session.run(feeds);
    return {
      masks: splitMasks(await floats(out['pred_masks'], 'pred_masks'), 3),
      iou: Array.from(await floats(out['iou_scores'], 'iou_scores')),
      objectScore: (await floats(out['object_score_logits'], 'object_score_logits'))[0]!,
      hasSingleMaskToken: false,
    };
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}
