// The byte counter of stats().transfer: which graph outputs come back from the GPU per tracked frame. On WebGPU the
// image features, memory attention's conditioned features and the three unselected candidate masks stay on the
// GPU; what comes back is the selected low-res mask, the scores, the object pointers and the memory features the
// bank keeps on the CPU. On WASM nothing crosses. Bytes, not timings: they do not depend on the GPU's speed.

import { expect } from '@open-wc/testing';
import { WASM_PATHS, WORKER_URL } from './helpers/element-input.js';
import { testBackend } from './helpers/backend.js';
import { drawScene, iou, RED } from './helpers/scenes.js';
import { createSegmenter } from '../../src/client/segmenter.js';

const backend = testBackend();
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const F32 = 4;
const LOW = 256 * 256;
/** What one tracked frame of one object reads back (tensor contracts, sam2-reference.md). */
const SELECTED_MASK = LOW * F32;
const SCORES = (4 + 1) * F32; // iou_scores [1,4], object_score_logits [1,1]
const OBJ_PTRS = 4 * 256 * F32;
const MASKMEM = 64 * 64 * 64 * F32; // memory_encoder's maskmem_features, stored by the bank (fp16) on the CPU
const CONDITIONED = 256 * 64 * 64 * F32; // memory_attention's pix_feat_with_mem: must stay on the GPU

const square = (i: number) => ({ x: 30 + 12 * i, y: 40 + 6 * i });
const frame = (i: number) => drawScene(320, 240, '#ffffff', [{ kind: 'rect', ...square(i), w: 48, h: 48, color: RED }]);

describe(`GPU transfer counter (${backend})`, function () {
  this.timeout(600_000);

  it('counts per tracked frame only the selected mask, scores, pointers and memory features as read back', async () => {
    const seg = createSegmenter({
      model: VIDEO_MANIFEST,
      device: backend,
      wasmPaths: WASM_PATHS,
      workerUrl: WORKER_URL,
    });
    try {
      const n = 4;
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
        // The mask read back from a slice of the GPU output is the right one.
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
        return;
      }
      for (const { up, down } of perFrame) {
        expect(down).to.equal(SELECTED_MASK + SCORES + OBJ_PTRS + MASKMEM);
        expect(down).to.be.lessThan(CONDITIONED);
        // The frame itself (1024² × 3 floats) goes up; the conditioned features are not uploaded back.
        expect(up).to.be.at.least(3 * 1024 * 1024 * F32);
      }
    } finally {
      seg.dispose();
    }
  });
});
