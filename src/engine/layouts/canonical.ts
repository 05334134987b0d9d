// Layout of our canonical four-graph bundle "sam2-video-4g/1" (sam2-reference.md §4.4): host-side selection and
// gating (the decoder returns all four tokens), G4 with validity masks and dynamic slot/pointer axes.

import { selectMask } from '../math/select.js';
import { SAM2_PREPROCESS } from '../preprocess.js';
import { ort } from '../runtime.js';
import type { VideoConstants } from '../tracker/constants.js';
import { MASKMEM_SIZE, packMemoryInputs, toStoredMemory, type MemoryPlan } from '../tracker/memory-bank.js';
import { gpuMemories, keepOnGpu, packOnGpu } from '../gpu-ops.js';
import {
  disposeTensor,
  readFloats,
  readFloatSlice,
  type GraphRunner,
  type LayoutDecoded,
  type LayoutMemory,
  type Outputs,
  type TrackerLayout,
  type DecodeCondition,
} from './layout.js';
import type { DecoderPoints } from '../math/prompts.js';
import { runOnPixels, type PixelValues } from '../preprocess.js';
import { Sam2Error } from '../../shared/errors.js';

/** The four graphs of a "sam2-video-4g/1" bundle (§4.4). */
export interface VideoGraphs {
  imageEncoder: GraphRunner;
  maskDecoder: GraphRunner;
  memoryEncoder: GraphRunner;
  memoryAttention: GraphRunner;
}

const LOW = 256;
const AREA = LOW * LOW;
/** selectMask's masks where it reads none (nPts ≤ 1 selects by IoU alone). */
const NO_MASKS = new Float32Array(4);
const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

export interface CanonicalOptions {
  /** Pads G4's slot and pointer axes to at least these sizes (fixed shapes on WebGPU, §4.4). */
  minSlots?: number;
  minPtrs?: number;
}

/** The canonical bundle as a tracker layout. */
export function canonicalLayout(graphs: VideoGraphs, C: VideoConstants, options: CanonicalOptions = {}): TrackerLayout {
  const zeros = new Float32Array(AREA);
  return {
    id: 'sam2-video-4g/1',
    settings: {
      numMaskmem: C.numMaskmem,
      maxObjPtrs: C.maxObjPtrs,
      maxCondFramesInAttn: C.maxCondFramesInAttn,
      noObjScore: C.noObjScore,
      fillHoleArea: C.fillHoleArea,
      maskPromptClamp: C.maskPromptClamp,
    },
    preprocess: SAM2_PREPROCESS,
    hasMaskInput: true,
    noObjPtr: C.noObjPtr,

    async encode(px: PixelValues): Promise<Outputs> {
      const out = await runOnPixels(px, (pixel_values) => graphs.imageEncoder.run({ pixel_values }));
      for (const name of ['pix_feat', 'image_embed', 'high_res_feats_0', 'high_res_feats_1']) {
        if (!out[name]) throw new Sam2Error('model-contract', `image_encoder has no output "${name}"`);
      }
      return out;
    },

    async attend(frame: Outputs, plan: MemoryPlan): Promise<ort.Tensor> {
      // On WebGPU the memories never left the GPU: they are packed there, by copies between buffers.
      const gpu = gpuMemories(plan.slots);
      const g = packMemoryInputs(plan, C, {
        minSlots: options.minSlots ?? 0,
        minPtrs: options.minPtrs ?? 0,
        features: gpu === null,
      });
      const dims = [g.S, 64, 64, 64];
      const features = gpu ? await packOnGpu(gpu, dims) : f32(g.maskmemFeatures, dims);
      const out = await graphs.memoryAttention
        .run({
          pix_feat: frame['pix_feat']!,
          maskmem_features: features,
          maskmem_tpos: f32(g.maskmemTpos, [g.S, 64]),
          maskmem_valid: f32(g.maskmemValid, [g.S]),
          obj_ptrs: f32(g.objPtrs, [g.P, 256]),
          obj_ptr_pos: f32(g.objPtrPos, [g.P, 64]),
          obj_ptr_valid: f32(g.objPtrValid, [g.P]),
        })
        .finally(() => disposeTensor(features));
      const t = out['pix_feat_with_mem'];
      if (!t) throw new Sam2Error('model-contract', 'memory_attention has no output "pix_feat_with_mem"');
      return t;
    },

    async decode(
      frame: Outputs,
      cond: DecodeCondition,
      pts: DecoderPoints,
      maskInput: Float32Array | null,
    ): Promise<LayoutDecoded> {
      const embed = cond.kind === 'initial' ? frame['image_embed']! : cond.features;
      const n = pts.labels.length;
      const out = await graphs.maskDecoder.run({
        image_embed: embed,
        high_res_feats_0: frame['high_res_feats_0']!,
        high_res_feats_1: frame['high_res_feats_1']!,
        point_coords: f32(pts.coords, [1, n, 2]),
        point_labels: new ort.Tensor('int32', pts.labels, [1, n]),
        mask_input: f32(maskInput ?? zeros, [1, 1, LOW, LOW]),
        has_mask_input: f32(Float32Array.of(maskInput ? 1 : 0), [1]),
      });
      try {
        // On WebGPU the four candidate masks stay on the GPU (model-load.ts): the IoU is read first (through ORT,
        // which submits the run's pending GPU work), then only the selected mask is copied back. The stability test
        // of a prompt with two or more points needs every candidate (prompts only; tracked frames have none).
        const iou = await readFloats(out['iou_scores'], 'mask_decoder', 'iou_scores');
        const score = (await readFloats(out['object_score_logits'], 'mask_decoder', 'object_score_logits'))[0]!;
        const ptrs = await readFloats(out['obj_ptrs'], 'mask_decoder', 'obj_ptrs');
        const all = pts.nPts > 1 ? await readFloats(out['low_res_masks'], 'mask_decoder', 'low_res_masks') : null;
        // Multimask for nPts ≤ 1 (tracking frames: nPts = 0 → k = 1 + argmax(iou[1..3])); stability on un-gated
        // logits.
        const sel = selectMask(iou, all ?? NO_MASKS, pts.nPts, C.stabilityThresh, C.stabilityDelta);
        const present = score > 0;
        // §2.5: absent → every logit noObjScore and the pointer is no_obj_ptr (fixed_no_obj_ptr, λ = 0).
        const gated = !present
          ? new Float32Array(AREA).fill(C.noObjScore)
          : all
            ? all.slice(sel.k * AREA, (sel.k + 1) * AREA)
            : (await readFloatSlice(out['low_res_masks'], 'mask_decoder', 'low_res_masks', sel.k * AREA, AREA)).slice();
        const objPtr = present ? ptrs.slice(sel.ptrToken * 256, (sel.ptrToken + 1) * 256) : C.noObjPtr.slice();
        return { gated, objPtr, objectScore: score, score: sel.iou };
      } finally {
        for (const t of Object.values(out)) disposeTensor(t);
      }
    },

    async memoryEncode(
      frame: Outputs,
      mask: { tracked: LayoutDecoded } | { prompted: Float32Array },
      score: number,
    ): Promise<LayoutMemory> {
      // §3.5.4: a tracked frame's memory is the sigmoid of the gated mask BEFORE hole filling (binarize = 0); a
      // prompted frame's is its stored hole-filled logits, binarised (§3.4).
      const tracked = 'tracked' in mask;
      const logits = tracked ? mask.tracked.gated : mask.prompted;
      const out = await graphs.memoryEncoder.run({
        pix_feat: frame['pix_feat']!,
        mask_logits: f32(logits, [1, 1, LOW, LOW]),
        binarize: f32(Float32Array.of(tracked ? 0 : 1), [1]),
        object_score_logits: f32(Float32Array.of(score), [1, 1]),
      });
      const features = out['maskmem_features'];
      try {
        // On WebGPU the memory stays there (model-load.ts), in a buffer of the bank's own.
        if (features?.size === MASKMEM_SIZE) {
          const kept = await keepOnGpu(features);
          if (kept) return { tokens: kept };
        }
        return { tokens: toStoredMemory(await readFloats(features, 'memory_encoder', 'maskmem_features')) };
      } finally {
        disposeTensor(features);
      }
    },
  };
}

export { disposeTensor };
