// Layout C (video-exports.md): jax-image-tools/edgetam-video-onnx, four graphs at the repository root, memory
// attention over dynamic lengths (spatial memories of 512 tokens, pointers as 4 rows each, zero pointer positions).
// Host side: the no-memory embedding on an initial frame (the graph starts after it), candidate selection by IoU,
// the −1024 occlusion clamp when the object score is ≤ 0, `is_mask_from_pts` for prompted frames.

import { Sam2Error } from '../../shared/errors.js';
import type { DecoderPoints } from '../math/prompts.js';
import { upsampleBilinear } from '../math/resample.js';
import { f32ToF16 } from '../math/sine.js';
import { runOnPixels, type PixelValues } from '../preprocess.js';
import { ort } from '../runtime.js';
import type { MemoryPlan } from '../tracker/memory-bank.js';
import type { ExportConstants } from './export-constants.js';
import { scalePoints } from './fixed-bank.js';
import {
  addBlocksOnGpu,
  addPerChannelOnGpu,
  gpuMemories,
  gpuValues,
  keepOnGpu,
  packOnGpu,
  transposeOnGpu,
  upsampleOnGpu,
} from '../gpu-ops.js';
import { onGpu } from '../tensors.js';
import {
  channelsToTokens,
  disposeTensor,
  readFloats,
  readFloatSlice,
  tokensToChannels,
  type DecodeCondition,
  type GraphRunner,
  type LayoutDecoded,
  type LayoutMemory,
  type Outputs,
  type TrackerLayout,
} from './layout.js';
import { packDynamic } from './packing.js';

/** The four graphs of layout C. */
export interface EdgeTamGraphs {
  visionEncoder: GraphRunner;
  maskDecoder: GraphRunner;
  memoryEncoder: GraphRunner;
  memoryAttention: GraphRunner;
}

const S = 1024;
const F = 64;
const T = F * F;
const LOW = 256;
const AREA = LOW * LOW;
/** EdgeTAM compresses each memory to 512 tokens. */
export const EDGETAM_MEMORY_TOKENS = 512;
/** The encoder outputs the tracker reads; pos0/pos1 (large) are never fetched (ORT then skips computing them). */
const ENCODER_FETCHES = ['feats0', 'feats1', 'feats2', 'pos2'] as const;
/** high_res_masks (3 × 1024²) is not fetched: SAM 2's high-res mask is the bilinear upsampling of the low-res one
 * (align_corners = false), which the host does for the one candidate it keeps. */
const DECODER_FETCHES = ['pred_masks', 'iou_scores', 'object_pointer', 'object_score_logits'] as const;

const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

function conditionedSize(n: number): Sam2Error {
  return new Sam2Error('model-contract', `memory_attention conditioned_features has ${n} values, expected 4096×256`);
}

function argmaxFirst(v: Float32Array): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[k]!) k = i;
  return k;
}

/** Layout C as a tracker layout; `noMemoryEmbedding` comes from constants.json or the preset's sidecar. */
export function edgeTamLayout(
  graphs: EdgeTamGraphs,
  K: ExportConstants,
  noMemoryEmbedding: Float32Array,
  id: string,
): TrackerLayout {
  if (noMemoryEmbedding.length !== 256)
    throw new Sam2Error('model-contract', 'no_memory_embedding must hold 256 values');
  const noMemCache = new WeakMap<object, ort.Tensor>();
  let posTokens: Float32Array | null = null;
  let posTokensGpu: ort.Tensor | null = null;

  /**
   * feats2 + no-memory embedding, once per encoded frame; on WebGPU a fresh GPU tensor each time (one pass, no
   * readback), which the decode disposes.
   */
  async function withNoMemory(frame: Outputs): Promise<ort.Tensor> {
    if (onGpu(frame['feats2'])) return addPerChannelOnGpu(frame['feats2']!, noMemoryEmbedding);
    const hit = noMemCache.get(frame);
    if (hit) return hit;
    const raw = await readFloats(frame['feats2'], 'vision_encoder', 'feats2');
    const out = new Float32Array(raw.length);
    for (let c = 0; c < 256; c++) {
      const e = noMemoryEmbedding[c]!;
      for (let i = c * T; i < (c + 1) * T; i++) out[i] = raw[i]! + e;
    }
    const t = f32(out, [1, 256, F, F]);
    noMemCache.set(frame, t);
    return t;
  }

  return {
    id,
    settings: {
      numMaskmem: K.numMaskmem,
      maxObjPtrs: K.maxObjPtrs,
      maxCondFramesInAttn: -1,
      noObjScore: -1024,
      fillHoleArea: 8,
      maskPromptClamp: 32,
    },
    preprocess: { size: S, mean: K.mean, std: K.std, resize: 'stretch' },
    hasMaskInput: false,
    noObjPtr: null,

    async encode(px: PixelValues): Promise<Outputs> {
      if (px.size !== S) throw new Sam2Error('model-contract', `frame prepared at ${px.size}, the model takes ${S}`);
      return runOnPixels(px, (pixel_values) => graphs.visionEncoder.run({ pixel_values }, ENCODER_FETCHES));
    },

    async attend(frame: Outputs, plan: MemoryPlan): Promise<ort.Tensor> {
      // WebGPU: features, memories, their positions and the conditioned features stay there; the temporal rows
      // and the pointers go up.
      const onDevice = onGpu(frame['feats2']) && gpuMemories(plan.slots) !== null;
      const posOnDevice = onDevice && gpuValues(plan.slots.map((s) => s.pos)) !== null;
      const m = packDynamic(plan, EDGETAM_MEMORY_TOKENS, K.tpos, K.numMaskmem - 1, {
        values: !onDevice,
        positions: !posOnDevice,
      });
      const rows = m.n * EDGETAM_MEMORY_TOKENS;
      if (onDevice) {
        posTokensGpu ??= await transposeOnGpu(frame['pos2']!, 256, T, [T, 1, 256]);
        const feeds: Record<string, ort.Tensor> = {
          current_vision_features: await transposeOnGpu(frame['feats2']!, 256, T, [T, 1, 256]),
          // In packDynamic's order (conditioning first), not the plan's.
          spatial_memory: await packOnGpu(gpuMemories(m.slots)!, [rows, 1, 64]),
        };
        if (posOnDevice) {
          // Each memory's positions plus its temporal row, added on the GPU to the packed positions.
          const packed = await packOnGpu(gpuValues(m.slots.map((s) => s.pos))!, [rows, 1, 64]);
          try {
            feeds['spatial_memory_position_embeddings'] = await addBlocksOnGpu(packed, m.rows, 64);
          } finally {
            packed.dispose();
          }
        } else feeds['spatial_memory_position_embeddings'] = f32(m.spatialPos, [rows, 1, 64]);
        try {
          const out = await graphs.memoryAttention.run({
            ...feeds,
            current_vision_position_embeddings: posTokensGpu,
            pointer_memory: f32(m.pointers, [m.p * 4, 1, 64]),
            pointer_memory_position_embeddings: f32(m.pointerPos, [m.p * 4, 1, 64]),
          });
          const t = out['conditioned_features'];
          if (!t || t.size !== T * 256) throw conditionedSize(t?.size ?? 0);
          try {
            // Token-major 4096×256 → [1,256,64,64] for the decoder, on the GPU.
            return onGpu(t)
              ? await transposeOnGpu(t, T, 256, [1, 256, F, F])
              : f32(tokensToChannels(t.data as Float32Array, 256, T), [1, 256, F, F]);
          } finally {
            disposeTensor(t);
          }
        } finally {
          Object.values(feeds).forEach((t) => t.dispose());
        }
      }
      const feats = channelsToTokens(await readFloats(frame['feats2'], 'vision_encoder', 'feats2'), 256, T);
      posTokens ??= channelsToTokens(await readFloats(frame['pos2'], 'vision_encoder', 'pos2'), 256, T);
      const out = await graphs.memoryAttention.run({
        current_vision_features: f32(feats, [T, 1, 256]),
        current_vision_position_embeddings: f32(posTokens, [T, 1, 256]),
        spatial_memory: f32(m.spatial, [rows, 1, 64]),
        spatial_memory_position_embeddings: f32(m.spatialPos, [rows, 1, 64]),
        pointer_memory: f32(m.pointers, [m.p * 4, 1, 64]),
        pointer_memory_position_embeddings: f32(m.pointerPos, [m.p * 4, 1, 64]),
      });
      const tokens = await readFloats(out['conditioned_features'], 'memory_attention', 'conditioned_features');
      disposeTensor(out['conditioned_features']);
      if (tokens.length !== T * 256) throw conditionedSize(tokens.length);
      // Token-major 4096×256 → [1,256,64,64] for the decoder.
      return f32(tokensToChannels(tokens, 256, T), [1, 256, F, F]);
    },

    async decode(frame: Outputs, cond: DecodeCondition, pts: DecoderPoints): Promise<LayoutDecoded> {
      const [points, labels] = scalePoints(pts, S);
      // The graph starts after the no-memory embedding: the host adds it on a prompted frame without memory.
      const feats2 = cond.kind === 'initial' ? await withNoMemory(frame) : cond.features;
      const out = await graphs.maskDecoder
        .run(
          { feats0: frame['feats0']!, feats1: frame['feats1']!, feats2, input_points: points!, input_labels: labels! },
          DECODER_FETCHES,
        )
        .finally(() => {
          // A GPU no-memory input is made per decode (cond.features belong to the tracker).
          if (cond.kind === 'initial') disposeTensor(feats2);
        });
      // Candidates (1 or 3) are split by the number of IoU scores; the best IoU wins (first on ties).
      try {
        const iou = await readFloats(out['iou_scores'], 'mask_decoder', 'iou_scores');
        const n = iou.length;
        const size = out['pred_masks']?.size ?? 0;
        if (n === 0 || size !== n * AREA) {
          throw new Sam2Error(
            'model-contract',
            `mask_decoder returned ${n} IoU scores for ${size / AREA} masks of 256×256`,
          );
        }
        const k = argmaxFirst(iou);
        const scores = await readFloats(out['object_score_logits'], 'mask_decoder', 'object_score_logits');
        const score = scores[scores.length === n ? k : 0]!;
        const ptrs = await readFloats(out['object_pointer'], 'mask_decoder', 'object_pointer');
        const objPtr = ptrs.length === n * 256 ? ptrs.slice(k * 256, (k + 1) * 256) : ptrs.slice(0, 256);
        const present = score > 0;
        // On WebGPU only the selected candidate comes back (model-load.ts).
        const gated = present
          ? (await readFloatSlice(out['pred_masks'], 'mask_decoder', 'pred_masks', k * AREA, AREA)).slice()
          : new Float32Array(AREA).fill(-1024);
        return { gated, objPtr, objectScore: score, score: iou[k]! };
      } finally {
        disposeTensor(out['pred_masks']);
      }
      // The memory encoder gets the bilinear upsampling of `gated` (memoryEncode): −1024 everywhere when absent.
    },

    async memoryEncode(
      frame: Outputs,
      mask: { tracked: LayoutDecoded } | { prompted: Float32Array },
    ): Promise<LayoutMemory> {
      const tracked = 'tracked' in mask;
      const low = tracked ? mask.tracked.gated : mask.prompted;
      // WebGPU: the 256² logits go up and are resized there, rather than a 1024² map resized here (4 MiB).
      const hi =
        tracked && mask.tracked.memoryMask
          ? mask.tracked.memoryMask
          : onGpu(frame['feats2'])
            ? await upsampleOnGpu(low, LOW, LOW, S, S, [1, 1, S, S])
            : f32(upsampleBilinear(low, LOW, LOW, S, S), [1, 1, S, S]);
      const out = await graphs.memoryEncoder
        .run({
          vision_features: frame['feats2']!,
          pred_masks_high_res: hi,
          is_mask_from_pts: new ort.Tensor('bool', Uint8Array.of(tracked ? 0 : 1), [1]),
        })
        .finally(() => {
          // The map resized on the GPU is ours; the decoder's memoryMask is not.
          if (!(tracked && hi === mask.tracked.memoryMask)) disposeTensor(hi);
        });
      const len = EDGETAM_MEMORY_TOKENS * 64;
      const t = out['memory_tokens'];
      try {
        const p = out['memory_pos_enc'];
        if (t?.size !== len || p?.size !== len)
          throw new Sam2Error('model-contract', `memory_encoder returned ${t?.size ?? 0} values, expected 512×64`);
        // WebGPU: the memory and its positions stay there (model-load.ts); attention adds the temporal rows there.
        const kept = await keepOnGpu(t);
        const tokens = kept ?? f32ToF16(await readFloats(t, 'memory_encoder', 'memory_tokens'));
        // Positions stay beside a memory kept there (attention packs both there, or both on the CPU).
        const pos = (kept && (await keepOnGpu(p))) || f32ToF16(await readFloats(p, 'memory_encoder', 'memory_pos_enc'));
        return { tokens, pos };
      } finally {
        disposeTensor(t);
        disposeTensor(out['memory_pos_enc']);
      }
    },
  };
}
