// ONNX external data in the onnx-community layout: the twin's `_ext` variant keeps its weights in
// onnx/<graph>_ext.onnx_data[_N] (one file for the encoder, two for the decoder), declared in config.json the way the
// real fp32/fp16 repositories declare theirs. Requests are counted by the fault server (tools/test-server-faults.mjs).
import { expect, fixture, html } from '@open-wc/testing';
import { createStore, keys } from 'idb-keyval';
import type { Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import '../../src/components/sam2-segmenter.js';
import { CACHE_DB, CACHE_STORE } from '../../src/shared/cache.js';
import { createSegmenter, type SegmenterOptions } from '../../src/client/segmenter.js';
import type { ModelProgress } from '../../src/shared/types.js';
import { testBackend } from './helpers/backend.js';
import { rejection } from './helpers/rejection.js';
import { RED, drawScene, iou } from './helpers/scenes.js';

const backend = testBackend();
const REPO = 'demo/models/sam2-twin-hf/';
const DATA_FILES = [
  'onnx/vision_encoder_ext.onnx_data',
  'onnx/prompt_encoder_mask_decoder_ext.onnx_data',
  'onnx/prompt_encoder_mask_decoder_ext.onnx_data_1',
];
const GRAPHS = ['onnx/vision_encoder_ext.onnx', 'onnx/prompt_encoder_mask_decoder_ext.onnx'];

let counter = 0;
function uid(): string {
  return `x${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function repoUrl(scenario: string): string {
  return new URL(`/__faults/${scenario}/${REPO}`, location.href).href;
}

async function requests(id: string): Promise<Record<string, number>> {
  const res = await fetch(`/__faults/stats?key=${encodeURIComponent(id)}`);
  return ((await res.json()) as { paths: Record<string, number> }).paths;
}

async function cachedKeys(text: string): Promise<string[]> {
  const all = await keys(createStore(CACHE_DB, CACHE_STORE));
  return all.map(String).filter((k) => k.includes(text));
}

const scene = drawScene(320, 240, '#ffffff', [{ kind: 'rect', x: 60, y: 50, w: 140, h: 100, color: RED }]);

async function loadAndSegment(options: SegmenterOptions): Promise<{ progress: ModelProgress[]; score: number }> {
  const progress: ModelProgress[] = [];
  const seg = createSegmenter({ device: backend, dtype: '_ext', ...options, onProgress: (p) => progress.push(p) });
  try {
    const info = await seg.ready;
    expect(info.backend).to.equal(backend);
    await seg.setImage(scene.canvas);
    const r = await seg.segment({ points: [{ x: 130, y: 100, label: 'positive' }] });
    return { progress, score: iou(r.mask.data, scene.truth(0)) };
  } finally {
    seg.dispose();
  }
}

describe(`external data, onnx-community layout (${backend})`, () => {
  it('downloads the declared .onnx_data files beside the graphs, segments, and loads again from the cache with zero requests', async () => {
    const id = uid();
    const cold = await loadAndSegment({ model: repoUrl(`id=${id}`) });
    expect(cold.score).to.be.at.least(0.9);
    const paths = await requests(id);
    for (const f of [...GRAPHS, ...DATA_FILES])
      expect(paths[`/${REPO}${f}`], `${f}: ${JSON.stringify(paths)}`).to.equal(1);
    // The embedded fp32 graphs of the same repository are not touched.
    expect(paths[`/${REPO}onnx/vision_encoder.onnx`]).to.equal(undefined);
    // Byte progress for every data file, ending at its size.
    for (const f of DATA_FILES) {
      const last = cold.progress.filter((p) => p.phase === 'download' && p.file === f).at(-1);
      expect(last, f).to.not.equal(undefined);
      expect(last!.loaded).to.equal(last!.total);
      expect(last!.total).to.be.greaterThan(0);
    }
    // Only graphs compile.
    expect([...new Set(cold.progress.filter((p) => p.phase === 'compile').map((p) => p.file))].sort()).to.deep.equal(
      GRAPHS.slice().sort(),
    );
    const cached = await cachedKeys(id);
    for (const f of DATA_FILES)
      expect(
        cached.filter((k) => k.includes(`|${f}|`)),
        f,
      ).to.have.length(1);

    const warm = await loadAndSegment({ model: repoUrl(`id=${id}`) });
    expect(warm.score).to.be.at.least(0.9);
    // No graph or data file is asked again; the JSON configs may be revalidated with the server (issue 12), so a
    // changed repository reaches returning visitors.
    const warmPaths = Object.keys(await requests(id));
    expect(warmPaths.filter((p) => !p.endsWith('.json'))).to.deep.equal([]);
    expect(warm.progress.filter((p) => p.phase === 'download')).to.deep.equal([]);
    expect(warm.progress.filter((p) => p.phase === 'cache').map((p) => p.file)).to.include.members(DATA_FILES);
  });

  it('a missing .onnx_data fails the load with model-fetch and leaves the config untrusted', async () => {
    const id = uid();
    const seg = createSegmenter({
      device: backend,
      dtype: '_ext',
      model: repoUrl(`id=${id},only=onnx_data_1,missing`),
    });
    const e = await rejection(seg.ready);
    seg.dispose();
    expect(e.code, e.message).to.equal('model-fetch');
    expect(e.message).to.match(/prompt_encoder_mask_decoder_ext\.onnx_data_1.*404/);
    const cached = await cachedKeys(id);
    // (Keys are `<repository URL>|<file>|<version>`; the repository URL here mentions onnx_data_1 itself.)
    expect(
      cached.filter(
        (k) => k.includes('|onnx/prompt_encoder_mask_decoder_ext.onnx_data_1|') || k.includes('|config.json|'),
      ),
      cached.join(),
    ).to.deep.equal([]);
  });

  it('a repository that declares no external data still loads: the locations the graphs record are fetched', async () => {
    const id = uid();
    const { score } = await loadAndSegment({ model: repoUrl(`id=${id},only=config.json,drop=transformers.js_config`) });
    expect(score).to.be.at.least(0.9);
    const paths = await requests(id);
    for (const f of [...GRAPHS, ...DATA_FILES])
      expect(paths[`/${REPO}${f}`], `${f}: ${JSON.stringify(paths)}`).to.equal(1);
    const cached = await cachedKeys(id);
    for (const f of DATA_FILES)
      expect(
        cached.filter((k) => k.includes(`|${f}|`)),
        f,
      ).to.have.length(1);
  });

  it('the element dtype attribute picks the external-data variant', async () => {
    const id = uid();
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter device=${backend} dtype="_ext" model=${repoUrl(`id=${id}`)}></sam2-segmenter>`,
    );
    await el.preload();
    const paths = await requests(id);
    for (const f of [...GRAPHS, ...DATA_FILES]) expect(paths[`/${REPO}${f}`], f).to.equal(1);
  });
});
