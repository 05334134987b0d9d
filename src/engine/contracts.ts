// Tensor contracts of the model bundles the engine reads, kept as data: the adapters check a loaded session
// against these tables, and the twin generator and its tests check the generated graphs against the same ones.
// Source of truth: shared/design/sam2-reference.md §4.1 (onnx-community layout) and §4.4 (canonical bundle);
// shared/design/video-exports.md for the public video exports (layouts A/B and C).

/** Element type of a graph input or output, spelled as onnxruntime-web reports it. */
export type TensorDType = 'float32' | 'int32' | 'int64' | 'bool';

/** A fixed size, or a symbolic (dynamic) axis whose name is informative only. */
export type DimSpec = number | string;

/** One input or output of a graph. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly DimSpec[];
  /** The rank is not established (only name and dtype are checked); the reader must not rely on it. */
  readonly anyRank?: boolean;
}

/** The inputs and outputs one graph of a bundle must declare. */
export interface GraphContract {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** A named set of graphs; `capabilities` says what a bundle of this contract can do. */
export interface BundleContract {
  readonly id: string;
  readonly capabilities: readonly ('image' | 'video')[];
  readonly graphs: Readonly<Record<string, GraphContract>>;
}

const f32 = (name: string, ...shape: DimSpec[]): TensorSpec => ({ name, dtype: 'float32', shape });
const i64 = (name: string, ...shape: DimSpec[]): TensorSpec => ({ name, dtype: 'int64', shape });
const i32 = (name: string, ...shape: DimSpec[]): TensorSpec => ({ name, dtype: 'int32', shape });

/**
 * onnx-community / transformers.js SAM 2.1 image pair (`onnx/vision_encoder*.onnx`,
 * `onnx/prompt_encoder_mask_decoder*.onnx`). `image_embeddings.2` already includes `no_mem_embed`.
 */
export const HF_SAM2_CONTRACT: BundleContract = {
  id: 'onnx-community/sam2',
  capabilities: ['image'],
  graphs: {
    vision_encoder: {
      inputs: [f32('pixel_values', 'batch_size', 3, 1024, 1024)],
      outputs: [
        f32('image_embeddings.0', 'batch_size', 32, 256, 256),
        f32('image_embeddings.1', 'batch_size', 64, 128, 128),
        f32('image_embeddings.2', 'batch_size', 256, 64, 64),
      ],
    },
    prompt_encoder_mask_decoder: {
      inputs: [
        f32('image_embeddings.0', 'batch_size', 32, 256, 256),
        f32('image_embeddings.1', 'batch_size', 64, 128, 128),
        f32('image_embeddings.2', 'batch_size', 256, 64, 64),
        f32('input_points', 'batch_size', 'point_batch_size', 'num_points', 2),
        i64('input_labels', 'batch_size', 'point_batch_size', 'num_points'),
        f32('input_boxes', 'batch_size', 'num_boxes', 4),
      ],
      outputs: [
        f32('iou_scores', 'batch_size', 'point_batch_size', 3),
        f32('pred_masks', 'batch_size', 'point_batch_size', 3, 256, 256),
        f32('object_score_logits', 'batch_size', 'point_batch_size', 1),
      ],
    },
  },
};

/** Our canonical four-graph video bundle, contract "sam2-video-4g/1" (reference §4.4). */
export const VIDEO_4G_CONTRACT: BundleContract = {
  id: 'sam2-video-4g/1',
  capabilities: ['image', 'video'],
  graphs: {
    image_encoder: {
      inputs: [f32('pixel_values', 1, 3, 1024, 1024)],
      outputs: [
        f32('high_res_feats_0', 1, 32, 256, 256),
        f32('high_res_feats_1', 1, 64, 128, 128),
        f32('pix_feat', 1, 256, 64, 64),
        f32('image_embed', 1, 256, 64, 64),
      ],
    },
    mask_decoder: {
      inputs: [
        f32('image_embed', 1, 256, 64, 64),
        f32('high_res_feats_0', 1, 32, 256, 256),
        f32('high_res_feats_1', 1, 64, 128, 128),
        f32('point_coords', 1, 'num_points', 2),
        i32('point_labels', 1, 'num_points'),
        f32('mask_input', 1, 1, 256, 256),
        f32('has_mask_input', 1),
      ],
      outputs: [
        f32('low_res_masks', 1, 4, 256, 256),
        f32('iou_scores', 1, 4),
        f32('object_score_logits', 1, 1),
        f32('obj_ptrs', 1, 4, 256),
      ],
    },
    memory_encoder: {
      inputs: [
        f32('pix_feat', 1, 256, 64, 64),
        f32('mask_logits', 1, 1, 256, 256),
        f32('binarize', 1),
        f32('object_score_logits', 1, 1),
      ],
      outputs: [f32('maskmem_features', 1, 64, 64, 64)],
    },
    memory_attention: {
      inputs: [
        f32('pix_feat', 1, 256, 64, 64),
        f32('maskmem_features', 'num_slots', 64, 64, 64),
        f32('maskmem_tpos', 'num_slots', 64),
        f32('maskmem_valid', 'num_slots'),
        f32('obj_ptrs', 'num_ptrs', 256),
        f32('obj_ptr_pos', 'num_ptrs', 64),
        f32('obj_ptr_valid', 'num_ptrs'),
      ],
      outputs: [f32('pix_feat_with_mem', 1, 256, 64, 64)],
    },
  },
};

const bool = (name: string, ...shape: DimSpec[]): TensorSpec => ({ name, dtype: 'bool', shape });
const loose = (t: TensorSpec): TensorSpec => ({ ...t, anyRank: true });

/** Graph names of the five-graph public SAM 2.1 video exports (layouts A and B), under `onnx/`. */
export const FIVE_GRAPHS = [
  'vision_encoder',
  'mask_decoder',
  'memory_encoder',
  'memory_attention',
  'pointer_tpos',
] as const;
/** Graph names of the EdgeTAM export (layout C), at the repository root. */
export const EDGETAM_GRAPHS = ['vision_encoder', 'mask_decoder', 'memory_encoder', 'memory_attention'] as const;

/**
 * Layouts A and B (video-exports.md): square-zero-labs/sam2.1-tiny-video-onnx (fp32, S = 1024) and
 * diffusionstudio/sam2.1-*-video-onnx-fp16 (fp16 inside, fp32 I/O; S = 512 for tiny, else 1024). F = S/16 feature
 * grid, T = F² tokens, a fixed bank of R = 7·T + 16·4 rows. Tensor names and shapes as in diffusionstudio/editor
 * packages/sam2/scripts/export.py (the exporter of layout B) and the consumers of layout A.
 */
export function fiveGraphContract(S: 512 | 1024): BundleContract {
  const F = S / 16;
  const T = F * F;
  const R = 7 * T + 16 * 4;
  return {
    id: `sam2.1-video-5g/${S}`,
    capabilities: ['image', 'video'],
    graphs: {
      vision_encoder: {
        inputs: [f32('pixel_values', 1, 3, S, S)],
        outputs: [
          f32('feats0', 1, 32, 4 * F, 4 * F),
          f32('feats1', 1, 64, 2 * F, 2 * F),
          f32('feats2', 1, 256, F, F),
          f32('feats2_no_mem', 1, 256, F, F),
          f32('vision_pos_embed', 1, 256, F, F),
        ],
      },
      mask_decoder: {
        inputs: [
          f32('feats0', 1, 32, 4 * F, 4 * F),
          f32('feats1', 1, 64, 2 * F, 2 * F),
          f32('feats2_cond', 1, 256, F, F),
          f32('input_points', 1, 1, 'num_points', 2),
          i32('input_labels', 1, 1, 'num_points'),
        ],
        outputs: [
          f32('low_res_mask', 1, 1, 256, 256),
          f32('high_res_mask', 1, 1, S, S),
          f32('iou', 1, 1),
          f32('object_score_logits', 1, 1, 1),
          f32('object_pointer', 1, 1, 256),
        ],
      },
      memory_encoder: {
        inputs: [
          f32('feats2', 1, 256, F, F),
          f32('high_res_mask', 1, 1, S, S),
          f32('object_score_logits', 1, 1),
          f32('binarize'),
        ],
        outputs: [f32('memory_tokens', T, 1, 64), f32('memory_pos', T, 1, 64)],
      },
      memory_attention: {
        inputs: [
          f32('current_vision_features', T, 1, 256),
          f32('current_vision_position_embeddings', T, 1, 256),
          f32('memory', R, 1, 64),
          f32('memory_pos', R, 1, 64),
        ],
        outputs: [f32('conditioned_feats', 1, 256, F, F)],
      },
      pointer_tpos: {
        inputs: [f32('normalized_diffs', 16)],
        outputs: [f32('pointer_pos', 16, 64)],
      },
    },
  };
}

/** Layout A: square-zero-labs/sam2.1-tiny-video-onnx (fp32, S = 1024). */
export const VIDEO_A_CONTRACT = fiveGraphContract(1024);
/** Layout B at S = 512 (diffusionstudio tiny); B at 1024 has layout A's contract (fp16 inside only). */
export const VIDEO_B512_CONTRACT = fiveGraphContract(512);

/**
 * Layout C: jax-image-tools/edgetam-video-onnx, four graphs at the root, dynamic memory lengths (512 tokens per
 * memory). The decoder's output ranks are not established (consumers split them by the number of IoU scores), so
 * only their names and dtypes are checked; `pos0`/`pos1` exist but are not read.
 */
export const VIDEO_C_CONTRACT: BundleContract = {
  id: 'edgetam-video-4g/1024',
  capabilities: ['image', 'video'],
  graphs: {
    vision_encoder: {
      inputs: [f32('pixel_values', 1, 3, 1024, 1024)],
      outputs: [
        f32('feats0', 1, 32, 256, 256),
        f32('feats1', 1, 64, 128, 128),
        f32('feats2', 1, 256, 64, 64),
        f32('pos2', 1, 256, 64, 64),
      ],
    },
    mask_decoder: {
      inputs: [
        f32('feats0', 1, 32, 256, 256),
        f32('feats1', 1, 64, 128, 128),
        f32('feats2', 1, 256, 64, 64),
        f32('input_points', 1, 1, 'num_points', 2),
        i32('input_labels', 1, 1, 'num_points'),
      ],
      outputs: [
        loose(f32('pred_masks', 1, 1, 'num_masks', 256, 256)),
        loose(f32('high_res_masks', 1, 1, 'num_masks', 1024, 1024)),
        loose(f32('iou_scores', 1, 1, 'num_masks')),
        loose(f32('object_pointer', 1, 1, 256)),
        loose(f32('object_score_logits', 1, 1, 1)),
      ],
    },
    memory_encoder: {
      inputs: [
        f32('vision_features', 1, 256, 64, 64),
        f32('pred_masks_high_res', 1, 1, 1024, 1024),
        bool('is_mask_from_pts', 1),
      ],
      outputs: [f32('memory_tokens', 512, 1, 64), f32('memory_pos_enc', 512, 1, 64)],
    },
    memory_attention: {
      inputs: [
        f32('current_vision_features', 4096, 1, 256),
        f32('current_vision_position_embeddings', 4096, 1, 256),
        f32('spatial_memory', 'num_spatial', 1, 64),
        f32('spatial_memory_position_embeddings', 'num_spatial', 1, 64),
        f32('pointer_memory', 'num_pointer', 1, 64),
        f32('pointer_memory_position_embeddings', 'num_pointer', 1, 64),
      ],
      outputs: [loose(f32('conditioned_features', 1, 1, 4096, 256))],
    },
  },
};

/** Every contract the engine knows, by id. */
export const CONTRACTS: Readonly<Record<string, BundleContract>> = {
  [HF_SAM2_CONTRACT.id]: HF_SAM2_CONTRACT,
  [VIDEO_4G_CONTRACT.id]: VIDEO_4G_CONTRACT,
  [VIDEO_A_CONTRACT.id]: VIDEO_A_CONTRACT,
  [VIDEO_B512_CONTRACT.id]: VIDEO_B512_CONTRACT,
  [VIDEO_C_CONTRACT.id]: VIDEO_C_CONTRACT,
};

/** What a loaded graph declares about one tensor (the shape of onnxruntime's `ValueMetadata`). */
export interface DeclaredTensor {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string | undefined)[];
}

/**
 * Compares what a graph declares with its contract and returns one human-readable problem per mismatch
 * (empty when the graph conforms). Symbolic axes in the contract accept any declared size; fixed axes
 * accept the same number or a symbolic axis, since exporters often leave fixed axes dynamic.
 */
export function checkGraph(
  graphName: string,
  contract: GraphContract,
  declared: { inputs: readonly DeclaredTensor[]; outputs: readonly DeclaredTensor[] },
): string[] {
  const problems: string[] = [];
  const check = (kind: 'input' | 'output', specs: readonly TensorSpec[], got: readonly DeclaredTensor[]): void => {
    const byName = new Map(got.map((t) => [t.name, t]));
    for (const spec of specs) {
      const t = byName.get(spec.name);
      if (!t) {
        problems.push(`${graphName}: missing ${kind} "${spec.name}" (${spec.dtype} [${spec.shape.join(',')}])`);
        continue;
      }
      if (!t.isTensor) {
        problems.push(`${graphName}: ${kind} "${spec.name}" is not a tensor`);
        continue;
      }
      if (t.type !== undefined && t.type !== spec.dtype) {
        problems.push(`${graphName}: ${kind} "${spec.name}" is ${t.type}, expected ${spec.dtype}`);
      }
      if (t.shape !== undefined && !spec.anyRank) {
        if (t.shape.length !== spec.shape.length) {
          problems.push(
            `${graphName}: ${kind} "${spec.name}" has rank ${t.shape.length}, expected ${spec.shape.length} ([${spec.shape.join(',')}])`,
          );
        } else {
          spec.shape.forEach((want, i) => {
            const have = t.shape![i];
            if (typeof want === 'number' && typeof have === 'number' && have !== want) {
              problems.push(`${graphName}: ${kind} "${spec.name}" axis ${i} is ${have}, expected ${want}`);
            }
          });
        }
      }
    }
  };
  check('input', contract.inputs, declared.inputs);
  check('output', contract.outputs, declared.outputs);
  return problems;
}
