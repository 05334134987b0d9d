// Tensor contracts of the model bundles the engine reads, kept as data: the adapters check a loaded session
// against these tables, and the twin generator and its tests check the generated graphs against the same ones.
// Source of truth: shared/design/sam2-reference.md §4.1 (onnx-community layout) and §4.4 (canonical bundle).

/** Element type of a graph input or output, spelled as onnxruntime-web reports it. */
export type TensorDType = 'float32' | 'int32' | 'int64';

/** A fixed size, or a symbolic (dynamic) axis whose name is informative only. */
export type DimSpec = number | string;

/** One input or output of a graph. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly DimSpec[];
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

/** Every contract the engine knows, by id. */
export const CONTRACTS: Readonly<Record<string, BundleContract>> = {
  [HF_SAM2_CONTRACT.id]: HF_SAM2_CONTRACT,
  [VIDEO_4G_CONTRACT.id]: VIDEO_4G_CONTRACT,
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
      if (t.shape !== undefined) {
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
