// Where assets come from: page-wide overrides (`setAssetLocations`) against per-element attributes and
// `createSegmenter` options, and the element's caching attributes. Requests are counted by the fault server
// (tools/test-server-faults.mjs) under a unique id per test, which is also part of every URL and so of every cache key.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { createStore, keys } from 'idb-keyval';
import type { Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import '../../src/components/sam2-segmenter.js';
import { getAssetLocations, setAssetLocations } from '../../src/client/assets.js';
import { CACHE_DB, CACHE_STORE } from '../../src/shared/cache.js';
import { createSegmenter } from '../../src/client/segmenter.js';
import { MODEL_PRESETS, resolveModel } from '../../src/client/presets.js';
import { acquireSegmenter, sharedSegmenterCount } from '../../src/client/registry.js';
import { testBackend } from './helpers/backend.js';

const backend = testBackend();
const TWIN = 'demo/models/sam2-twin/manifest.json';
const ORT_DIR = 'node_modules/onnxruntime-web/dist/';
const WORKER = 'src/workers/sam2.worker.js';

let counter = 0;
function uid(): string {
  return `a${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function faultUrl(id: string, path: string): string {
  return new URL(`/__faults/id=${id}/${path}`, location.href).href;
}

/** Requests per path made under `id` since the last call (the server resets them). */
async function requests(id: string): Promise<Record<string, number>> {
  const res = await fetch(`/__faults/stats?key=${encodeURIComponent(id)}`);
  return ((await res.json()) as { paths: Record<string, number> }).paths;
}

function count(paths: Record<string, number>, test: (path: string) => boolean): number {
  return Object.entries(paths).reduce((n, [p, c]) => n + (test(p) ? c : 0), 0);
}

const isModel = (p: string) => p.endsWith('.onnx') || p.endsWith('.json');
const isWasm = (p: string) => p.endsWith('.wasm');

async function cachedKeys(text: string): Promise<string[]> {
  const all = await keys(createStore(CACHE_DB, CACHE_STORE));
  return all.map(String).filter((k) => k.includes(text));
}

/** Waits until every segmenter released by removed elements is disposed, so the next element loads afresh. */
async function settled(): Promise<void> {
  await waitUntil(() => sharedSegmenterCount() === 0, 'shared segmenters were not released', { timeout: 3000 });
}

describe(`asset locations (${backend})`, () => {
  afterEach(() => setAssetLocations({}));

  it('a global model mirror replaces the preset URL; resetting restores the package default', async () => {
    const id = uid();
    setAssetLocations({ models: { twin: faultUrl(id, TWIN) } });
    expect(getAssetLocations().models.twin).to.equal(faultUrl(id, TWIN));
    expect(resolveModel('twin').url).to.equal(faultUrl(id, TWIN));
    // Nothing named: the default preset, from the mirror.
    const s = createSegmenter({ device: backend });
    await s.ready;
    s.dispose();
    const paths = await requests(id);
    expect(paths[`/${TWIN}`]).to.equal(1);
    expect(count(paths, (p) => p.endsWith('.onnx'))).to.equal(2);

    setAssetLocations({});
    expect(getAssetLocations()).to.deep.equal({ models: {}, sidecars: {} });
    expect(resolveModel('twin').url).to.equal(MODEL_PRESETS.twin.url);
    const d = createSegmenter({ device: backend });
    await d.ready;
    d.dispose();
    expect(await requests(id)).to.deep.equal({});
  });

  it('global wasmPaths and workerUrl are where the worker script and ORT runtime files are fetched from', async () => {
    const id = uid();
    setAssetLocations({ wasmPaths: faultUrl(id, ORT_DIR), workerUrl: faultUrl(id, WORKER) });
    const s = createSegmenter({ device: backend, model: faultUrl(`${id}m`, TWIN) });
    const info = await s.ready;
    s.dispose();
    expect(info.backend).to.equal(backend);
    const paths = await requests(id);
    expect(paths[`/${WORKER}`], JSON.stringify(paths)).to.equal(1);
    // A fresh .wasm URL is a fresh cache key: downloaded once, through the store.
    expect(count(paths, isWasm), JSON.stringify(paths)).to.equal(1);
    expect(count(paths, (p) => p.startsWith(`/${ORT_DIR}`) && p.endsWith('.mjs'))).to.be.at.least(1);
    expect(count(await requests(`${id}m`), isModel)).to.equal(3);
  });

  it('element attributes beat the global overrides; an element without them uses the globals', async () => {
    const g = uid();
    const e = uid();
    setAssetLocations({ models: { twin: faultUrl(g, TWIN) }, wasmPaths: faultUrl(g, ORT_DIR) });
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter
        device=${backend}
        model=${faultUrl(e, TWIN)}
        wasm-paths=${faultUrl(e, ORT_DIR)}
      ></sam2-segmenter>`,
    );
    await el.preload();
    expect(await requests(g)).to.deep.equal({});
    const fromAttributes = await requests(e);
    expect(count(fromAttributes, isModel)).to.equal(3);
    expect(count(fromAttributes, isWasm)).to.equal(1);

    const plain = await fixture<Sam2SegmenterElement>(html`<sam2-segmenter device=${backend}></sam2-segmenter>`);
    await plain.preload();
    const fromGlobals = await requests(g);
    expect(count(fromGlobals, isModel)).to.equal(3);
    expect(count(fromGlobals, isWasm)).to.equal(1);
    expect(await requests(e)).to.deep.equal({});
  });

  it('options that read the same but resolve to other locations never share a segmenter', async () => {
    const a = uid();
    const b = uid();
    setAssetLocations({ models: { twin: faultUrl(a, TWIN) } });
    const first = acquireSegmenter({ device: backend });
    setAssetLocations({ models: { twin: faultUrl(b, TWIN) } });
    const second = acquireSegmenter({ device: backend });
    const again = acquireSegmenter({ device: backend });
    try {
      expect(second.segmenter).to.not.equal(first.segmenter);
      expect(again.segmenter).to.equal(second.segmenter);
      await Promise.all([first.segmenter.ready, second.segmenter.ready]);
      expect((await requests(a))[`/${TWIN}`]).to.equal(1);
      expect((await requests(b))[`/${TWIN}`]).to.equal(1);
    } finally {
      first.release();
      second.release();
      again.release();
    }
  });
});

describe(`<sam2-segmenter> caching attributes (${backend})`, () => {
  it('no-cache downloads the model and the .wasm again on every load and writes nothing to IndexedDB', async () => {
    const id = uid();
    await settled();
    for (const round of [1, 2]) {
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter
          no-cache
          device=${backend}
          model=${faultUrl(id, TWIN)}
          wasm-paths=${faultUrl(id, ORT_DIR)}
        ></sam2-segmenter>`,
      );
      expect(el.noCache).to.equal(true);
      await el.preload();
      const paths = await requests(id);
      expect(count(paths, isModel), `round ${round}: ${JSON.stringify(paths)}`).to.equal(3);
      expect(count(paths, isWasm), `round ${round}`).to.equal(1);
      el.remove();
      await settled();
    }
    expect(await cachedKeys(id)).to.deep.equal([]);
  });

  it('without no-cache the same element caches, and a second load downloads no graph (only the manifest is revalidated)', async () => {
    const id = uid();
    await settled();
    // First load: manifest and two graphs. Second: the manifest alone, revalidated with the server so that a changed
    // model reaches returning visitors; the graphs come from IndexedDB.
    for (const [expected, graphs] of [
      [3, 2],
      [1, 0],
    ] as const) {
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter
          device=${backend}
          model=${faultUrl(id, TWIN)}
          wasm-paths=${faultUrl(id, ORT_DIR)}
        ></sam2-segmenter>`,
      );
      expect(el.noCache).to.equal(false);
      await el.preload();
      const paths = await requests(id);
      expect(count(paths, isModel), JSON.stringify(paths)).to.equal(expected);
      expect(
        count(paths, (p) => p.endsWith('.onnx')),
        JSON.stringify(paths),
      ).to.equal(graphs);
      el.remove();
      await settled();
    }
    // manifest, two graphs, the .wasm
    expect(await cachedKeys(id)).to.have.length(4);
  });

  it('persist-storage asks the browser for persistent storage when the model loads', async () => {
    const storage = navigator.storage;
    const persist = storage.persist.bind(storage);
    const persisted = storage.persisted.bind(storage);
    let calls = 0;
    // Observed, not replaced: the real calls still run (a browser that already persists answers persisted() only).
    storage.persist = () => {
      calls++;
      return persist();
    };
    storage.persisted = () => {
      calls++;
      return persisted();
    };
    try {
      const plain = await fixture<Sam2SegmenterElement>(html`<sam2-segmenter device=${backend}></sam2-segmenter>`);
      await plain.preload();
      expect(calls).to.equal(0);
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter persist-storage device=${backend}></sam2-segmenter>`,
      );
      expect(el.persistStorage).to.equal(true);
      await el.preload();
      expect(calls).to.be.at.least(1);
    } finally {
      storage.persist = persist;
      storage.persisted = persisted;
    }
  });
});
