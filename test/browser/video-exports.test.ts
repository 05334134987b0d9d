// The public video exports (shared/design/video-exports.md): every twin graph against the contract tables in
// src/engine/contracts.ts on the group's backend; recognition of a layout from its files through the worker; the
// presets (pinned revisions, sizes, digests, mirrors) resolved without a network request; tracking end to end
// through the client on each layout's twin.

import { expect } from '@open-wc/testing';
import { WASM_PATHS, WORKER_URL } from './helpers/element-input.js';
import { testBackend } from './helpers/backend.js';
import { createSession } from './helpers/ort.js';
import { rejection } from './helpers/rejection.js';
import { drawScene, iou, RED, type Shape } from './helpers/scenes.js';
import { TWIN_A, TWIN_B512, TWIN_C, TWIN_C_SIDECAR, TWIN_GRAPHS, type LayoutName } from './helpers/layouts.js';
import { checkGraph, VIDEO_A_CONTRACT } from '../../src/engine/contracts.js';
import { createSegmenter, type Segmenter } from '../../src/client/segmenter.js';
import { resolveModel, VIDEO_PRESETS, type VideoPresetName } from '../../src/client/presets.js';
import { setAssetLocations } from '../../src/client/assets.js';
import { resolveExport, type ExportIo } from '../../src/engine/layouts/resolve.js';
import { webgpuHasF16 } from '../../src/engine/runtime.js';
import { trackVideo } from '../../src/client/tracking-session.js';
import { makeClip } from '../../tools/clips/synthetic-clip.js';

const backend = testBackend();
const W = 320;
const H = 240;
const SIDE = 48;

function segmenter(model: string): Segmenter {
  return createSegmenter({ model, device: backend, wasmPaths: WASM_PATHS, workerUrl: WORKER_URL, cache: false });
}
const scene = (x: number, y: number) =>
  drawScene(W, H, '#ffffff', [{ kind: 'rect', x, y, w: SIDE, h: SIDE, color: RED } as Shape]);

describe(`video export twins: graph contracts (${backend})`, function () {
  this.timeout(600_000);
  for (const name of ['A', 'B512', 'C'] as LayoutName[]) {
    it(`every graph of the ${name} twin matches its contract table`, async () => {
      const { contract, files } = TWIN_GRAPHS[name];
      expect(Object.keys(files).sort()).to.deep.equal(Object.keys(contract.graphs).sort());
      for (const [graph, url] of Object.entries(files)) {
        const s = await createSession(url, backend);
        const problems = checkGraph(graph, contract.graphs[graph]!, {
          inputs: s.inputMetadata,
          outputs: s.outputMetadata,
        });
        expect(problems, `${name} ${graph}`).to.deep.equal([]);
        await s.release();
      }
    });
  }

  it('a 512 graph against the 1024 table is named tensor by tensor (memory [7232,1,64] is not [28736,1,64])', async () => {
    const s = await createSession(TWIN_GRAPHS.B512.files['memory_attention']!, backend);
    const problems = checkGraph('memory_attention', VIDEO_A_CONTRACT.graphs['memory_attention']!, {
      inputs: s.inputMetadata,
      outputs: s.outputMetadata,
    });
    expect(problems.join('\n')).to.match(/input "memory" axis 0 is 7232, expected 28736/);
    expect(problems.join('\n')).to.match(/input "current_vision_features" axis 0 is 1024, expected 4096/);
    await s.release();
  });
});

/** The design note's tables (video-exports.md), kept here independently of the preset code. */
const NOTE: Record<
  string,
  { repo: string; revision: string; S: number; files: Record<string, number | null>; sha?: Record<string, string> }
> = {
  'sam2.1-tiny-video-fp32': {
    repo: 'square-zero-labs/sam2.1-tiny-video-onnx',
    revision: '3b2984dd865f6e9d2cc6aed0be6a5a5c2eb352ce',
    S: 1024,
    files: {
      'constants.json': 9922,
      'onnx/vision_encoder.onnx': 134335567,
      'onnx/mask_decoder.onnx': 17794355,
      'onnx/memory_encoder.onnx': 5616496,
      'onnx/memory_attention.onnx': 32259165,
      'onnx/pointer_tpos.onnx': 67289,
    },
    sha: {
      'onnx/vision_encoder.onnx': 'aa7a8542942f042e235a993a1ab0ccf5f049918500577802a7f10ec1b39bb873',
      'onnx/memory_attention.onnx': '791e648ce8f5ef91ad00ba06e83066ff261ae5a645f0b042b4f46a89fd054baf',
      'onnx/pointer_tpos.onnx': '7e71df1d75dba09bc18dd4ae745c2a2cceebdd14d84eadea2fe65d0205f101fc',
    },
  },
  'sam2.1-tiny-video': {
    repo: 'diffusionstudio/sam2.1-tiny-video-onnx-fp16',
    revision: '66673b5db39371b7dd7847f4d3bc0d4f4179b79e',
    S: 512,
    files: five(58385353, 8898805, 2807753, 13029470, 34228, 9781),
  },
  'sam2.1-small-video': {
    repo: 'diffusionstudio/sam2.1-small-video-onnx-fp16',
    revision: '927ecec6e6ae2727d0af7720eefdb07f2efe4689',
    S: 1024,
    files: five(83679474, 8910345, 2807884, 16175204, 34228, 9820),
  },
  'sam2.1-base-plus-video': {
    repo: 'diffusionstudio/sam2.1-base-plus-video-onnx-fp16',
    revision: '386b83e09a774fe2782d86fd1b8cb5aaf718aa9d',
    S: 1024,
    files: five(155490079, 8910345, 2807648, 16169156, 34228, 9857),
  },
  'sam2.1-large-video': {
    repo: 'diffusionstudio/sam2.1-large-video-onnx-fp16',
    revision: '98dbd222d9b3f75d15fe63a5c2a22b0b0029eea1',
    S: 1024,
    files: five(447430045, 8910364, 2807886, 16175204, 34228, 9752),
  },
  'edgetam-video': {
    repo: 'jax-image-tools/edgetam-video-onnx',
    revision: '8ca3d3e4169938e65b552cdf14542fde25e8badb',
    S: 1024,
    files: {
      'vision_encoder.onnx': 19826101,
      'mask_decoder.onnx': 17800677,
      'memory_attention.onnx': 20914958,
      'memory_encoder.onnx': 6692568,
    },
    sha: {
      'vision_encoder.onnx': '57fe1a2b3d500813fe4987c4209b856920f187ab0b7723d81586b607ea2cffc1',
      'memory_encoder.onnx': '035b30f8fb1f7c99211ada6eb9d72f0819de819ef94310b14e8147dc97f120ec',
    },
  },
};
function five(v: number, d: number, e: number, a: number, p: number, c: number): Record<string, number> {
  return {
    'onnx/vision_encoder.onnx': v,
    'onnx/mask_decoder.onnx': d,
    'onnx/memory_encoder.onnx': e,
    'onnx/memory_attention.onnx': a,
    'onnx/pointer_tpos.onnx': p,
    'constants.json': c,
  };
}

/** Resolution in the worker's resolver with a fake network: constants.json of the right geometry, nothing else. */
function offlineIo(S: number, requests: string[]): ExportIo {
  const table = Array.from({ length: 7 }, () => new Array(64).fill(0));
  const emb = new Array(256).fill(0);
  return {
    jsonOrNull: async (url) => {
      requests.push(url);
      if (url.endsWith('constants.json'))
        return { image_size: S, memory_frames: 7, memory_temporal_positional_encoding: table };
      return { format: 'sam2-segmenter/no-memory-embedding@1', no_memory_embedding: emb };
    },
    exists: async (url) => {
      throw new Error(`a preset must not probe (${url})`);
    },
  };
}

describe('video export presets resolve to the design note files (no network)', () => {
  afterEach(() => setAssetLocations({}));

  for (const [name, note] of Object.entries(NOTE)) {
    it(`${name}: ${note.repo}@${note.revision.slice(0, 7)}, S = ${note.S}`, async () => {
      const r = resolveModel(name);
      expect(r.url).to.equal(`https://huggingface.co/${note.repo}/resolve/${note.revision}/`);
      expect(r.videoExport).to.not.equal(undefined);
      const requests: string[] = [];
      const exp = (await resolveExport(
        r.url,
        r.videoExport,
        offlineIo(note.S, requests),
        (file, v) => `${file}|${v}`,
      ))!;
      const files = [...exp.imageFiles, ...exp.videoFiles];
      const graphs = Object.entries(note.files).filter(([p]) => p.endsWith('.onnx'));
      expect(files.map((f) => f.file).sort()).to.deep.equal(graphs.map(([p]) => p).sort());
      for (const f of files) {
        expect(f.url, f.file).to.equal(r.url + f.file);
        expect(f.bytes, f.file).to.equal(note.files[f.file]);
        if (note.sha?.[f.file]) expect(f.sha256, f.file).to.equal(note.sha[f.file]);
      }
      expect(exp.contract.id).to.equal(
        name === 'edgetam-video' ? 'edgetam-video-4g/1024' : `sam2.1-video-5g/${note.S}`,
      );
      expect(exp.preprocess.size).to.equal(note.S);
      // Only constants.json (and EdgeTAM's sidecar) were asked for, through the fake network.
      expect(requests[0]).to.equal(r.url + 'constants.json');
      const preset = VIDEO_PRESETS[name as VideoPresetName];
      if (preset.totalBytes !== null)
        expect(preset.totalBytes).to.equal(Object.values(note.files).reduce((a: number, b) => a + (b ?? 0), 0));
    });
  }

  it('sam2.1-tiny-video is about 83 MB; a mirror keeps sizes and digests, a sidecar mirror replaces the sidecar', () => {
    expect(VIDEO_PRESETS['sam2.1-tiny-video'].totalBytes).to.be.within(83e6, 84e6);
    setAssetLocations({
      models: { 'sam2.1-tiny-video-fp32': 'https://mirror.example/sz/' },
      sidecars: { 'edgetam-video': 'https://mirror.example/edgetam.json' },
    });
    const r = resolveModel('sam2.1-tiny-video-fp32');
    expect(r.url).to.equal('https://mirror.example/sz/');
    expect(r.videoExport!.files!['onnx/vision_encoder.onnx']!.sha256).to.equal(
      'aa7a8542942f042e235a993a1ab0ccf5f049918500577802a7f10ec1b39bb873',
    );
    expect(resolveModel('edgetam-video').videoExport!.sidecar).to.equal('https://mirror.example/edgetam.json');
    setAssetLocations({});
    expect(resolveModel('edgetam-video').videoExport!.sidecar).to.match(/demo\/models\/sidecars\/edgetam-video\.json$/);
  });
});

describe(`video exports through the client (${backend})`, function () {
  this.timeout(900_000);
  const n = backend === 'wasm' ? 6 : 2;

  /** Prompts a square on frame 0 and tracks it over n frames; returns the worst IoU and the encoder runs. */
  async function trackSquare(seg: Segmenter): Promise<{ worst: number; encoderCalls: number; contract: string }> {
    const ready = await seg.ready;
    const t = await seg.openTracker({ numFrames: n });
    const at = (i: number) => ({ x: 30 + 20 * i, y: 40 + 10 * i });
    const f0 = scene(at(0).x, at(0).y);
    const p = await t.addPrompt(0, f0.canvas, { points: [{ x: at(0).x + 24, y: at(0).y + 24, label: 'positive' }] });
    expect(iou(p.mask.data, f0.truth(0))).to.be.at.least(0.85);
    let worst = 1;
    for (let i = 0; i < n; i++) {
      const f = scene(at(i).x, at(i).y);
      const r = await t.track(i, f.canvas);
      worst = Math.min(worst, iou(r.objects[0]!.mask.data, f.truth(0)));
    }
    const s = await t.close();
    return { worst, encoderCalls: s!.timings.imageEncoder.calls, contract: ready.contract };
  }

  const cases: [string, string, string][] = [
    ['layout A recognised from its files (bare URL)', TWIN_A, 'sam2.1-video-5g/1024'],
    ['layout B at 512 recognised from its files (bare URL)', TWIN_B512, 'sam2.1-video-5g/512'],
    ['layout C through its preset (sidecar)', 'edgetam-video-twin-c', 'edgetam-video-4g/1024'],
  ];
  /** WebGPU on SwiftShader has no 'shader-f16': fp16 exports (layout B) are refused there, and `auto` runs them on WASM. */
  const f16Refused = async (model: string): Promise<boolean> => {
    if (backend !== 'webgpu' || model !== TWIN_B512 || (await webgpuHasF16())) return false;
    const e = await rejection(segmenter(model).ready);
    expect(e.code).to.equal('backend-unavailable');
    expect(e.message).to.match(/shader-f16/);
    const auto = createSegmenter({ model, device: 'auto', wasmPaths: WASM_PATHS, workerUrl: WORKER_URL, cache: false });
    expect((await auto.ready).backend).to.equal('wasm');
    auto.dispose();
    return true;
  };

  for (const [title, model, contract] of cases) {
    it(`${title}: tracks a moving square, one encoder pass per frame`, async () => {
      if (await f16Refused(model)) return;
      const seg = segmenter(model);
      try {
        const r = await trackSquare(seg);
        expect(r.contract).to.equal(contract);
        expect(r.worst).to.be.at.least(0.85);
        expect(r.encoderCalls).to.equal(n);
      } finally {
        seg.dispose();
      }
    });
  }

  it('trackVideo() on a clip with the EdgeTAM twin: every frame tracked, one encoder pass each', async () => {
    const frames = backend === 'wasm' ? 8 : 2;
    const at = (i: number) => ({ x: 40 + 18 * i, y: 60 + 8 * i });
    const c = await makeClip({
      width: W,
      height: H,
      fps: 30,
      frames,
      draw: (ctx, i) => ctx.drawImage(scene(at(i).x, at(i).y).canvas, 0, 0),
    });
    const seg = segmenter('edgetam-video-twin-c');
    try {
      const session = trackVideo(seg, c.blob, {
        prompts: [{ frame: 0, objectId: 1, points: [{ x: at(0).x + 24, y: at(0).y + 24, label: 'positive' }] }],
      });
      const seen: number[] = [];
      for await (const f of session) {
        seen.push(f.frame);
        const truth = scene(at(f.frame).x, at(f.frame).y).truth(0);
        expect(iou(f.objects[0]!.mask.data, truth), `frame ${f.frame}`).to.be.at.least(0.85);
      }
      expect(seen).to.deep.equal([...Array(frames).keys()]);
      const summary = await session.finished;
      expect(summary.reason).to.equal('completed');
      expect(summary.stats!.timings.imageEncoder.calls).to.equal(frames);
    } finally {
      seg.dispose();
    }
  });

  it('image mode on an export segments a click (one in-graph selected mask)', async () => {
    const seg = segmenter(
      backend === 'webgpu' && !(await webgpuHasF16()) ? 'sam2.1-video-twin-a' : 'sam2.1-video-twin-b512',
    );
    try {
      const f = scene(100, 80);
      await seg.setImage(f.canvas);
      const r = await seg.segment({ points: [{ x: 124, y: 104, label: 'positive' }] });
      expect(iou(r.mask.data, f.truth(0))).to.be.at.least(0.85);
    } finally {
      seg.dispose();
    }
  });

  it('EdgeTAM without a no-memory embedding (bare URL, no sidecar) fails with model-contract naming it', async () => {
    const seg = segmenter(TWIN_C);
    const e = await rejection(seg.ready);
    expect(e.code).to.equal('model-contract');
    expect(e.message).to.match(/no_memory_embedding/);
    seg.dispose();
  });

  it('the edgetam-video preset says its sidecar has no values (model-contract), before any graph download', async () => {
    setAssetLocations({ models: { 'edgetam-video': TWIN_C } });
    try {
      const seg = segmenter('edgetam-video');
      const e = await rejection(seg.ready);
      expect(e.code).to.equal('model-contract');
      expect(e.message).to.match(/sidecar .* has no values: generate them from the EdgeTAM checkpoint/);
      seg.dispose();
    } finally {
      setAssetLocations({});
    }
  });

  it('a mirror that serves other bytes than the pinned ones fails with model-integrity', async () => {
    setAssetLocations({ models: { 'sam2.1-tiny-video': TWIN_B512 } });
    try {
      const seg = segmenter('sam2.1-tiny-video');
      const e = await rejection(seg.ready);
      expect(e.code).to.equal('model-integrity');
      seg.dispose();
    } finally {
      setAssetLocations({});
    }
  });

  it('a folder matching no layout fails with model-contract; a graph whose tensors differ names the tensor', async () => {
    // demo/models/sam2-twin/ has a constants.json (canonical bundle) but neither config.json nor an export's table.
    const none = segmenter(new URL('/demo/models/sam2-twin/', location.href).href);
    const e1 = await rejection(none.ready);
    expect(e1.code).to.equal('model-contract');
    expect(e1.message).to.match(/matches no known layout/);
    none.dispose();
    // Layout B's constants.json without image_size: the loader expects S = 1024 and the 512 graphs do not match.
    const url = new URL(
      `/__faults/id=v11-nosize-${Date.now()},only=constants.json,drop=image_size/demo/models/sam2.1-video-twin-b512/`,
      location.href,
    ).href;
    const wrong = segmenter(url);
    const e2 = await rejection(wrong.ready);
    expect(e2.code).to.equal('model-contract');
    expect(e2.message).to.match(/vision_encoder: input "pixel_values" axis 2 is 512, expected 1024/);
    wrong.dispose();
  });

  it('the twin sidecar file is our format with 256 values', async () => {
    const j = (await (await fetch(TWIN_C_SIDECAR)).json()) as { format: string; no_memory_embedding: number[] };
    expect(j.format).to.equal('sam2-segmenter/no-memory-embedding@1');
    expect(j.no_memory_embedding).to.have.length(256);
  });
});
