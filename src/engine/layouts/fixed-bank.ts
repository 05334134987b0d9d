// Layouts A and B (video-exports.md): five graphs, a fixed-size bank, selection and gating inside the decoder.
// A = square-zero-labs/sam2.1-tiny-video-onnx (fp32, S = 1024); B = diffusionstudio/sam2.1-*-video-onnx-fp16 (fp16
// inside, fp32 I/O; S = 512 for tiny). Host side: features → tokens, the bank (packing.ts), pointer_tpos for the
// pointer positions, `binarize` for prompted frames, hole filling (the tracker).

import { Sam2Error } from '../../shared/errors.js';
import type { DecoderPoints } from '../math/prompts.js';
import { upsampleBilinear } from '../math/resample.js';
import { f32ToF16 } from '../math/sine.js';
import { runOnPixels, type PixelValues } from '../preprocess.js';
import { ort } from '../runtime.js';
import type { MemoryPlan } from '../tracker/memory-bank.js';
import type { ExportConstants } from './export-constants.js';
import { gpuMemories, keepOnGpu, type GpuMemory, packOnGpu, transposeOnGpu, uploadOnce } from '../gpu-ops.js';
import { onGpu } from '../tensors.js';
import {
  channelsToTokens,
  disposeTensor,
  readFloats,
  type DecodeCondition,
  type GraphRunner,
  type LayoutDecoded,
  type LayoutMemory,
  type Outputs,
  type TrackerLayout,
} from './layout.js';
import {
  assignFixedBank,
  blockPositions,
  checkBlock,
  fixedBankPointers,
  fixedBankRows,
  packFixedBank,
  pointerPositionRows,
  writePointerPositions,
  type FixedBankGeometry,
} from './packing.js';

/** The five graphs of layouts A/B. */
export interface FiveGraphs {
  visionEncoder: GraphRunner;
  maskDecoder: GraphRunner;
  memoryEncoder: GraphRunner;
  memoryAttention: GraphRunner;
  pointerTpos: GraphRunner;
}

const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);
const LOW = 256;

/** Decoder points in S-space (the host builds them in 1024-space; S is 512 or 1024, so the scale is exact). */
export function scalePoints(pts: DecoderPoints, S: number): ort.Tensor[] {
  const n = pts.labels.length;
  const coords = S === 1024 ? pts.coords : pts.coords.map((v) => (v * S) / 1024);
  return [f32(coords, [1, 1, n, 2]), new ort.Tensor('int32', pts.labels, [1, 1, n])];
}

/** Layouts A/B as a tracker layout; `S` is the model input side. */
export function fixedBankLayout(graphs: FiveGraphs, K: ExportConstants, S: number, id: string): TrackerLayout {
  const F = S / 16;
  const T = F * F;
  const geom: FixedBankGeometry = { tokens: T, blocks: K.numMaskmem, pointers: K.maxObjPtrs };
  // memory_pos is the same for every frame (a sine PE; consumers lay it down once): kept from the first memory.
  let memPos: Float32Array | null = null;
  let posTokens: Float32Array | null = null;
  // WebGPU: the position tokens, and each temporal row's block positions, stay on the GPU once made.
  let posTokensGpu: ort.Tensor | null = null;
  const rowPositions = new Map<number, Promise<GpuMemory>>();

  /**
   * Memory attention with everything on the GPU: the frame's features transposed to tokens there, the bank packed
   * there from the memories (copies), the block positions of each temporal row uploaded once; only the pointers
   * (16 × 256 values) and their positions go up per frame.
   */
  async function attendOnGpu(frame: Outputs, plan: MemoryPlan, f: number, mp: Float32Array): Promise<ort.Tensor> {
    const a = assignFixedBank(plan, f, geom, geom.blocks - 1);
    a.blocks.forEach((s) => checkBlock(s, T * 64, geom));
    const ptr = fixedBankPointers(plan, a, geom);
    const tp = await graphs.pointerTpos.run({ normalized_diffs: f32(ptr.normalizedDiffs, [geom.pointers]) });
    const ptrPos = pointerPositionRows(await readFloats(tp['pointer_pos'], 'pointer_tpos', 'pointer_pos'), geom);
    const blockPos = await Promise.all(
      a.blocks.map((s) => {
        let p = rowPositions.get(s.row);
        if (!p) rowPositions.set(s.row, (p = uploadOnce(blockPositions(mp, K.tpos, s.row))));
        return p;
      }),
    );
    posTokensGpu ??= await transposeOnGpu(frame['vision_pos_embed']!, 256, T, [T, 1, 256]);
    const rows = fixedBankRows(geom);
    const feeds = {
      current_vision_features: await transposeOnGpu(frame['feats2']!, 256, T, [T, 1, 256]),
      memory: await packOnGpu([...gpuMemories(a.blocks)!, ptr.values], [rows, 1, 64]),
      memory_pos: await packOnGpu([...blockPos, ptrPos], [rows, 1, 64]),
    };
    try {
      const out = await graphs.memoryAttention.run({
        ...feeds,
        current_vision_position_embeddings: posTokensGpu,
      });
      const t = out['conditioned_feats'];
      if (!t) throw new Sam2Error('model-contract', 'memory_attention has no output "conditioned_feats"');
      return t;
    } finally {
      Object.values(feeds).forEach((t) => t.dispose());
    }
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
      return runOnPixels(px, (pixel_values) => graphs.visionEncoder.run({ pixel_values }));
    },

    async attend(frame: Outputs, plan: MemoryPlan, f: number): Promise<ort.Tensor> {
      if (!memPos) throw new Error('memory attention before any memory was encoded');
      if (onGpu(frame['feats2']) && gpuMemories(plan.slots)) {
        return attendOnGpu(frame, plan, f, memPos);
      }
      const bank = packFixedBank(plan, f, geom, memPos, K.tpos);
      const tp = await graphs.pointerTpos.run({ normalized_diffs: f32(bank.normalizedDiffs, [geom.pointers]) });
      writePointerPositions(bank.memoryPos, await readFloats(tp['pointer_pos'], 'pointer_tpos', 'pointer_pos'), geom);
      const feats = channelsToTokens(await readFloats(frame['feats2'], 'vision_encoder', 'feats2'), 256, T);
      posTokens ??= channelsToTokens(
        await readFloats(frame['vision_pos_embed'], 'vision_encoder', 'vision_pos_embed'),
        256,
        T,
      );
      const rows = bank.memory.length / 64;
      const out = await graphs.memoryAttention.run({
        current_vision_features: f32(feats, [T, 1, 256]),
        current_vision_position_embeddings: f32(posTokens, [T, 1, 256]),
        memory: f32(bank.memory, [rows, 1, 64]),
        memory_pos: f32(bank.memoryPos, [rows, 1, 64]),
      });
      const t = out['conditioned_feats'];
      if (!t) throw new Sam2Error('model-contract', 'memory_attention has no output "conditioned_feats"');
      return t;
    },

    async decode(frame: Outputs, cond: DecodeCondition, pts: DecoderPoints): Promise<LayoutDecoded> {
      const [points, labels] = scalePoints(pts, S);
      // feats2_no_mem on a prompted frame without memory, the memory-conditioned features otherwise.
      const out = await graphs.maskDecoder.run({
        feats0: frame['feats0']!,
        feats1: frame['feats1']!,
        feats2_cond: cond.kind === 'initial' ? frame['feats2_no_mem']! : cond.features,
        input_points: points!,
        input_labels: labels!,
      });
      // Selection (best of tokens 1–3 for ≤ 1 real point, else token 0 with the stability fallback) and gating
      // (−1024 masks, no-object pointer) happen in the graph.
      const gated = (await readFloats(out['low_res_mask'], 'mask_decoder', 'low_res_mask')).slice();
      if (gated.length !== LOW * LOW)
        throw new Sam2Error('model-contract', `mask_decoder low_res_mask has ${gated.length} values, expected 256×256`);
      const d: LayoutDecoded = {
        gated,
        objPtr: (await readFloats(out['object_pointer'], 'mask_decoder', 'object_pointer')).slice(0, 256),
        objectScore: (await readFloats(out['object_score_logits'], 'mask_decoder', 'object_score_logits'))[0]!,
        score: (await readFloats(out['iou'], 'mask_decoder', 'iou'))[0]!,
      };
      if (out['high_res_mask']) d.memoryMask = out['high_res_mask'];
      return d;
    },

    async memoryEncode(
      frame: Outputs,
      mask: { tracked: LayoutDecoded } | { prompted: Float32Array },
      score: number,
    ): Promise<LayoutMemory> {
      // Tracked: the decoder's own gated high-res mask (pre hole filling), sigmoid in-graph. Prompted: the stored
      // hole-filled logits upsampled on the host, binarised in-graph.
      const tracked = 'tracked' in mask;
      const hi =
        tracked && mask.tracked.memoryMask
          ? mask.tracked.memoryMask
          : f32(upsampleBilinear(tracked ? mask.tracked.gated : mask.prompted, LOW, LOW, S, S), [1, 1, S, S]);
      // memory_pos is the same for every frame: fetched once (ORT then skips it).
      const out = await graphs.memoryEncoder.run(
        {
          feats2: frame['feats2']!,
          high_res_mask: hi,
          object_score_logits: f32(Float32Array.of(score), [1, 1]),
          binarize: f32(Float32Array.of(tracked ? 0 : 1), []),
        },
        memPos ? ['memory_tokens'] : undefined,
      );
      const t = out['memory_tokens'];
      try {
        if (t && t.size !== T * 64)
          throw new Sam2Error('model-contract', `memory_encoder memory_tokens has ${t.size} values, expected ${T}×64`);
        memPos ??= (await readFloats(out['memory_pos'], 'memory_encoder', 'memory_pos')).slice();
        // WebGPU: the memory stays there, in a buffer of the bank's own (model-load.ts).
        const kept = t ? await keepOnGpu(t) : null;
        if (kept) return { tokens: kept };
        return { tokens: f32ToF16(await readFloats(t, 'memory_encoder', 'memory_tokens')) };
      } finally {
        disposeTensor(t);
      }
    },
  };
}
