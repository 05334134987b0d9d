// The byte counter of stats().transfer: which graph outputs come back from the GPU per tracked frame. On WebGPU the
// image features, memory attention's conditioned features, the three unselected candidate masks and the memory
// features (the bank keeps them in GPU buffers and packs them there) stay on the GPU; what comes back is the selected
// low-res mask, the scores and the object pointers, and what goes up is the frame and a few small inputs. On WASM
// nothing crosses. The public exports' layouts keep their features, memories and conditioned features on the GPU too
// (export A also its high-res mask). Bytes, not timings: they do not depend on the GPU's speed.

import { expect } from '@open-wc/testing';
import { WASM_PATHS, WORKER_URL } from './helpers/element-input.js';
import { TWIN_A } from './helpers/layouts.js';
import { testBackend } from './helpers/backend.js';
import { drawScene, iou, RED } from './helpers/scenes.js';
import { createSegmenter } from '../../src/client/segmenter.js';
import { createSession, ort } from './helpers/ort.js';
import {
  GpuMemory,
  addBlocksOnGpu,
  addPerChannelOnGpu,
  keepOnGpu,
  packOnGpu,
  transposeOnGpu,
  upsampleOnGpu,
} from '../../src/engine/gpu-ops.js';
import { upsampleBilinear } from '../../src/engine/math/resample.js';
import { readFloatSlice } from '../../src/engine/tensors.js';
import { preprocess, SAM2_PREPROCESS } from '../../src/engine/preprocess.js';

const backend = testBackend();
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const F32 = 4;
const LOW = 256 * 256;
/** What one tracked frame of one object reads back (tensor contracts, sam2-reference.md). */
const SELECTED_MASK = LOW * F32;
const SCORES = (4 + 1) * F32; // iou_scores [1,4], object_score_logits [1,1]
const OBJ_PTRS = 4 * 256 * F32;
const MASKMEM = 64 * 64 * 64 * F32; // memory_encoder's maskmem_features: must stay on the GPU
// The frame as the browser resized it to 1024² (RGBA bytes): normalised on the GPU into pixel_values (1024² × 3 floats,
// three times as large), which are not uploaded.
const FRAME = 1024 * 1024 * 4;
const PIXEL_VALUES = 3 * 1024 * 1024 * F32;
const CONDITIONED = 256 * 64 * 64 * F32; // memory_attention's pix_feat_with_mem: must stay on the GPU

const square = (i: number) => ({ x: 30 + 12 * i, y: 40 + 6 * i });
const frame = (i: number) => drawScene(320, 240, '#ffffff', [{ kind: 'rect', ...square(i), w: 48, h: 48, color: RED }]);

interface Moved {
  /** Bytes uploaded and read back on each tracked frame after the prompt's (frames 1..n−1, one object). */
  perFrame: { up: number; down: number }[];
  /** Bytes read back for the prompt (its decode). */
  promptDown: number;
}

async function bytesMoved(model: string, n: number): Promise<Moved> {
  const seg = createSegmenter({ model, device: backend, wasmPaths: WASM_PATHS, workerUrl: WORKER_URL, cache: false });
  try {
    const t = await seg.openTracker({ numFrames: n });
    const f0 = frame(0);
    await t.addPrompt(0, f0.canvas, {
      objectId: 1,
      points: [{ x: square(0).x + 24, y: square(0).y + 24, label: 'positive' }],
    });
    await t.track(0, f0.canvas, 1); // the prompt's memory encoding (preflight) happens here
    const perFrame: { up: number; down: number }[] = [];
    for (let i = 1; i < n; i++) {
      const before = (await t.stats()).transfer;
      const f = frame(i);
      const r = await t.track(i, f.canvas, 1);
      // The mask read back from a slice of the GPU output is the right one, tracked from memories kept there.
      expect(iou(r.objects[0]!.mask.data, f.truth(0)), `frame ${i}`).to.be.at.least(0.85);
      const after = (await t.stats()).transfer;
      expect(after.frames - before.frames).to.equal(1);
      expect(after.objectFrames - before.objectFrames).to.equal(1);
      perFrame.push({ up: after.uploadBytes - before.uploadBytes, down: after.readbackBytes - before.readbackBytes });
    }
    const s = (await t.close())!.transfer;
    expect(s.frames).to.equal(n);
    expect(s.prompts).to.equal(1);
    if (backend === 'wasm') {
      expect(s.uploadBytes + s.readbackBytes + s.promptUploadBytes + s.promptReadbackBytes).to.equal(0);
    }
    return { perFrame, promptDown: s.promptReadbackBytes };
  } finally {
    seg.dispose();
  }
}

describe(`GPU transfer counter (${backend})`, function () {
  this.timeout(600_000);

  it('canonical: reads back per tracked frame only the selected mask, scores and pointers; uploads the frame, not the bank', async () => {
    const { perFrame } = await bytesMoved(VIDEO_MANIFEST, 4);
    if (backend === 'wasm') return;
    perFrame.forEach(({ up, down }, i) => {
      expect(down, `read back, frame ${i + 1}`).to.equal(SELECTED_MASK + SCORES + OBJ_PTRS);
      expect(down).to.be.lessThan(MASKMEM).and.lessThan(CONDITIONED);
      // The resized frame goes up, not pixel_values; frame 3 is conditioned on three memories, and none of them is
      // uploaded (the rest is the mask prompt, the mask for the memory encoder and the pointers: < 1 MiB).
      expect(up, `uploaded, frame ${i + 1}`)
        .to.be.at.least(FRAME)
        .and.lessThan(FRAME + MASKMEM)
        .and.lessThan(PIXEL_VALUES);
    });
  });

  it('export A: the bank, the features and the high-res mask stay on the GPU', async function () {
    if (backend !== 'webgpu') this.skip();
    const { perFrame } = await bytesMoved(TWIN_A, 4);
    // low_res_mask, iou, object_score_logits, object_pointer [256], pointer_tpos's pointer_pos [16,64].
    const expected = SELECTED_MASK + F32 + F32 + 256 * F32 + 16 * 64 * F32;
    const BLOCK = 4096 * 64 * F32; // one memory of the fixed bank (T = 4096 tokens of 64)
    perFrame.forEach(({ up, down }, i) => {
      // Not the conditioned features (4 MiB), the memory tokens (1 MiB) or the high-res mask (4 MiB).
      expect(down, `read back, frame ${i + 1}`).to.equal(expected);
      // The frame, the pointers and their positions, and at most one temporal row's block positions (uploaded once
      // per row): not the bank (7 blocks), its positions, or the frame's features as tokens.
      expect(up, `uploaded, frame ${i + 1}`)
        .to.be.at.least(FRAME)
        .and.lessThan(FRAME + BLOCK + 64 * 1024);
    });
  });

  it('export C (EdgeTAM): one candidate mask comes back, not the memory, its positions or the features', async function () {
    if (backend !== 'webgpu') this.skip();
    const { perFrame, promptDown } = await bytesMoved('edgetam-video-twin-c', 4);
    // The prompt's no-memory embedding is added on the GPU: its features (4 MiB) are not read back.
    expect(promptDown, 'read back for the prompt').to.be.at.most(SELECTED_MASK + 3 * (F32 + F32 + 256 * F32));
    const POS = 512 * 64 * F32; // memory_pos_enc: each memory's temporal row is added to it on the GPU
    const small = 3 * (F32 + F32 + 256 * F32); // IoU, score and pointer of up to 3 candidates
    perFrame.forEach(({ up, down }, i) => {
      expect(down, `read back, frame ${i + 1}`)
        .to.be.at.least(SELECTED_MASK + F32 + F32 + 256 * F32)
        .and.at.most(SELECTED_MASK + small)
        .and.lessThan(SELECTED_MASK + POS);
      // Nor go the memories' positions up (128 KiB each): only their temporal rows (256 B each); nor the 1024² mask for
      // the memory encoder (4 MiB): its 256² logits, resized on the GPU.
      expect(up, `uploaded, frame ${i + 1}`)
        .to.be.at.least(FRAME + SELECTED_MASK)
        .and.lessThan(FRAME + 1024 * 1024);
    });
  });

  it("a memory kept on the GPU is the memory encoder's output, and packs into the bank at its slot", async function () {
    if (backend !== 'webgpu') this.skip();
    const base = VIDEO_MANIFEST.replace('manifest.json', '');
    const encoder = await createSession(base + 'image_encoder.onnx', backend, { outputsOnGpu: true });
    const memory = await createSession(base + 'memory_encoder.onnx', backend, { outputsOnGpu: true });
    const kept: GpuMemory[] = [];
    try {
      const px = await preprocess(frame(0).canvas);
      const enc = await encoder.run({ pixel_values: new ort.Tensor('float32', px.data, [1, 3, 1024, 1024]) });
      const expected: Float32Array[] = [];
      for (const score of [4, -4]) {
        const logits = new Float32Array(LOW).map((_, i) => ((i % 256) - 128) / 8);
        const out = await memory.run({
          pix_feat: enc['pix_feat']!,
          mask_logits: new ort.Tensor('float32', logits, [1, 1, 256, 256]),
          binarize: new ort.Tensor('float32', Float32Array.of(0), [1]),
          object_score_logits: new ort.Tensor('float32', Float32Array.of(score), [1, 1]),
        });
        // Copied at once, before anything else reads the output: the run's GPU work must already be submitted.
        const m = await keepOnGpu(out['maskmem_features']!);
        expect(m, 'kept on the GPU').to.not.equal(null);
        kept.push(m!);
        expected.push((await out['maskmem_features']!.getData(true)) as Float32Array);
      }
      const N = 64 * 64 * 64;
      expect(
        expected[0]!.some((v, i) => v !== expected[1]![i]),
        'two different memories',
      ).to.equal(true);
      // Slots 0 and 1 hold the memories in order, slot 2 (padding) is zeros.
      const packed = await packOnGpu(kept, [3, 64, 64, 64]);
      try {
        for (let s = 0; s < 2; s++) {
          const got = (await readFloatSlice(packed, s * N, N))!;
          expect(Array.from(got.subarray(0, 8)), `slot ${s}`).to.deep.equal(Array.from(expected[s]!.subarray(0, 8)));
          expect(
            got.every((v, i) => v === expected[s]![i]),
            `slot ${s}, every value`,
          ).to.equal(true);
        }
        expect(
          (await readFloatSlice(packed, 2 * N, N))!.every((v) => v === 0),
          'padding slot',
        ).to.equal(true);
      } finally {
        packed.dispose();
      }
    } finally {
      kept.forEach((m) => m.release());
      await encoder.release();
      await memory.release();
    }
  });

  it('transposes, adds a value per channel and a row per block exactly, and resizes a mask, on the GPU', async function () {
    if (backend !== 'webgpu') this.skip();
    // ORT's device exists once a WebGPU session does.
    const session = await createSession(VIDEO_MANIFEST.replace('manifest.json', 'memory_encoder.onnx'), backend);
    try {
      for (const [rows, cols] of [
        [256, 4096],
        [7, 300],
      ] as const) {
        const src = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i) * 1000);
        const input = await packOnGpu([src], [rows, cols]);
        const t = await transposeOnGpu(input, rows, cols, [cols, 1, rows]);
        const back = await transposeOnGpu(t, cols, rows, [rows, cols]);
        try {
          expect(t.dims).to.deep.equal([cols, 1, rows]);
          const got = (await readFloatSlice(t, 0, rows * cols))!;
          let wrong = 0;
          for (let r = 0; r < rows; r++)
            for (let c = 0; c < cols; c++) if (got[c * rows + r] !== src[r * cols + c]) wrong++;
          expect(wrong, `${rows}×${cols}: values out of place`).to.equal(0);
          const again = (await readFloatSlice(back, 0, rows * cols))!;
          expect(
            again.every((v, i) => v === src[i]),
            `${rows}×${cols}: round trip`,
          ).to.equal(true);
        } finally {
          [input, t, back].forEach((x) => x.dispose());
        }
      }
      // EdgeTAM's no-memory embedding: one value per channel of [256, 64²].
      const feats = Float32Array.from({ length: 256 * 4096 }, (_, i) => Math.cos(i));
      const bias = Float32Array.from({ length: 256 }, (_, c) => c / 7);
      const input = await packOnGpu([feats], [1, 256, 64, 64]);
      const sum = await addPerChannelOnGpu(input, bias);
      try {
        expect(sum.dims).to.deep.equal([1, 256, 64, 64]);
        const got = (await readFloatSlice(sum, 0, feats.length))!;
        const want = feats.map((v, i) => v + bias[Math.floor(i / 4096)]!);
        expect(
          got.every((v, i) => v === want[i]),
          'feats + bias[channel]',
        ).to.equal(true);
      } finally {
        [input, sum].forEach((x) => x.dispose());
      }
      // A 256² mask's logits resized on the GPU as upsampleBilinear does on the CPU (float32 against float64 weights).
      const logits = Float32Array.from({ length: 256 * 256 }, (_, i) => (i % 256 < 40 ? -1024 : Math.sin(i / 97) * 20));
      for (const [w, h] of [
        [1024, 1024],
        [800, 600],
      ] as const) {
        const big = await upsampleOnGpu(logits, 256, 256, w, h, [1, 1, h, w]);
        try {
          const got = (await readFloatSlice(big, 0, w * h))!;
          const want = upsampleBilinear(logits, 256, 256, w, h);
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
          expect(worst, `${w}×${h}: largest difference`).to.be.below(1e-3);
        } finally {
          big.dispose();
        }
      }
      // EdgeTAM's memory positions: three blocks of 512 tokens × 64, each plus its temporal row.
      const pos = Float32Array.from({ length: 3 * 512 * 64 }, (_, i) => Math.sin(i / 3));
      const rows = Float32Array.from({ length: 3 * 64 }, (_, i) => i * 0.25 - 7);
      const packed = await packOnGpu([pos], [3 * 512, 1, 64]);
      const added = await addBlocksOnGpu(packed, rows, 64);
      try {
        expect(added.dims).to.deep.equal([3 * 512, 1, 64]);
        const got = (await readFloatSlice(added, 0, pos.length))!;
        const want = pos.map((v, i) => v + rows[Math.floor(i / (512 * 64)) * 64 + (i % 64)]!);
        expect(
          got.every((v, i) => v === want[i]),
          'positions + row[block]',
        ).to.equal(true);
      } finally {
        [packed, added].forEach((x) => x.dispose());
      }
    } finally {
      await session.release();
    }
  });

  it('normalises a frame on the GPU to the values the CPU path computes', async function () {
    if (backend !== 'webgpu') this.skip();
    const session = await createSession(VIDEO_MANIFEST.replace('manifest.json', 'memory_encoder.onnx'), backend);
    try {
      const src = frame(2).canvas;
      for (const cfg of [SAM2_PREPROCESS, { ...SAM2_PREPROCESS, size: 512, resize: 'longest-edge' as const }]) {
        const cpu = await preprocess(src, cfg);
        const gpu = await preprocess(src, cfg, true);
        try {
          expect(gpu.data.length, 'no CPU copy').to.equal(0);
          expect(gpu.tensor!.location).to.equal('gpu-buffer');
          expect([gpu.contentWidth, gpu.contentHeight]).to.deep.equal([cpu.contentWidth, cpu.contentHeight]);
          const got = (await readFloatSlice(gpu.tensor!, 0, cpu.data.length))!;
          let worst = 0;
          for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - cpu.data[i]!));
          expect(worst, `${cfg.size} ${cfg.resize}: largest difference`).to.be.below(1e-5);
        } finally {
          gpu.tensor?.dispose();
        }
      }
    } finally {
      await session.release();
    }
  });
});
