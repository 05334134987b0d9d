// Model delivery in a real browser against a test server we control (tools/test-server-faults.mjs): presets,
// streamed progress, integrity, retries, abort, the IndexedDB cache (real IndexedDB) and storage failures.
// Every test uses a unique id in its URLs, so cache keys (which start with the bundle URL) never collide.

import { expect } from '@open-wc/testing';
import { createStore, keys } from 'idb-keyval';
import { testBackend } from './helpers/backend.js';
import { rejection } from './helpers/rejection.js';
import { createSegmenter, type Segmenter, type SegmenterOptions } from '../../src/client/segmenter.js';
import { testWorker } from './helpers/test-worker.js';
import type { StorageFault } from '../../src/shared/cache.js';
import { CACHE_DB, CACHE_STORE, ModelCache, cacheInfo, cacheKey, clearCache } from '../../src/shared/cache.js';
import { Sam2Error } from '../../src/shared/errors.js';
import { fetchFile, fetchFiles } from '../../src/engine/model-store.js';
import { MODEL_PRESETS, resolveModel } from '../../src/client/presets.js';
import type { ModelProgress } from '../../src/shared/types.js';

const backend = testBackend();
const TWIN = 'demo/models/sam2-twin/manifest.json';
const ORT_DIR = 'node_modules/onnxruntime-web/dist/';
const IMAGE_ENCODER_BYTES = 2491;
const IMAGE_ENCODER_SHA = 'b64c1bc486270c9c4ada4998933c5869c821a51e8379bc97b866dd108315448e';

let counter = 0;
function uid(): string {
  return `t${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function faultUrl(scenario: string, path: string): string {
  return new URL(`/__faults/${scenario}/${path}`, location.href).href;
}

interface Stats {
  total: number;
  paths: Record<string, number>;
}

/** Requests made under `id` since the last call (the server resets them). */
async function stats(id: string): Promise<Stats> {
  const res = await fetch(`/__faults/stats?key=${encodeURIComponent(id)}`);
  return (await res.json()) as Stats;
}

function count(s: Stats, test: (path: string) => boolean): number {
  return Object.entries(s.paths).reduce((n, [p, c]) => n + (test(p) ? c : 0), 0);
}

/** Model-cache keys that mention `text` (real IndexedDB, read from the main thread). */
async function cachedKeys(text: string): Promise<string[]> {
  const all = await keys(createStore(CACHE_DB, CACHE_STORE));
  return all.map(String).filter((k) => k.includes(text));
}

/** Checks each file's download events: loaded and total never go back, and the last has loaded === total > 0. */
function checkProgress(events: ModelProgress[], phase: ModelProgress['phase']): Map<string, ModelProgress[]> {
  const byFile = new Map<string, ModelProgress[]>();
  for (const e of events.filter((x) => x.phase === phase)) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, list] of byFile) {
    for (let i = 1; i < list.length; i++) {
      expect(list[i]!.loaded, `${file} loaded goes back`).to.be.at.least(list[i - 1]!.loaded);
      expect(list[i]!.total, `${file} total goes back`).to.be.at.least(list[i - 1]!.total);
    }
    const last = list[list.length - 1]!;
    expect(last.loaded, `${file} ends at total`).to.equal(last.total);
    expect(last.total).to.be.greaterThan(0);
  }
  return byFile;
}

/** `storageFault` runs the test worker entry (the real engine), which simulates that storage failure. */
function segmenter(scenario: string, extra: SegmenterOptions & { storageFault?: StorageFault } = {}): Segmenter {
  const { storageFault, ...options } = extra;
  const worker = storageFault ? { workerUrl: testWorker({ fault: storageFault }).url } : {};
  return createSegmenter({ device: backend, model: faultUrl(scenario, TWIN), ...worker, ...options });
}

describe(`model delivery, end to end (${backend})`, () => {
  it('reports monotonic progress, then loads again from the cache with zero model and zero .wasm requests', async () => {
    const id = uid();
    const wasmPaths = faultUrl(`id=${id}`, ORT_DIR);
    const cold: ModelProgress[] = [];
    const s1 = segmenter(`id=${id}`, { wasmPaths, onProgress: (p) => cold.push(p) });
    await s1.ready;
    s1.dispose();
    const files = checkProgress(cold, 'download');
    expect([...files.keys()].sort()).to.deep.equal(['image_encoder.onnx', 'mask_decoder.onnx']);
    expect(files.get('image_encoder.onnx')!.at(-1)!.total).to.equal(IMAGE_ENCODER_BYTES);
    const first = await stats(id);
    expect(count(first, (p) => p.endsWith('.onnx'))).to.equal(2);
    expect(count(first, (p) => p.endsWith('.json'))).to.equal(1);
    expect(count(first, (p) => p.endsWith('.wasm'))).to.equal(1);
    // manifest, two graphs and the .wasm
    expect(await cachedKeys(id)).to.have.length(4);

    const warm: ModelProgress[] = [];
    const s2 = segmenter(`id=${id}`, { wasmPaths, onProgress: (p) => warm.push(p) });
    await s2.ready;
    s2.dispose();
    const second = await stats(id);
    // Only the manifest is asked again (revalidated, so a changed model reaches returning visitors); no model bytes.
    expect(
      count(second, (p) => !p.endsWith('.mjs') && !p.endsWith('.json')),
      JSON.stringify(second),
    ).to.equal(0);
    expect(
      count(second, (p) => p.endsWith('.json')),
      JSON.stringify(second),
    ).to.equal(1);
    expect(count(second, (p) => p.endsWith('.wasm'))).to.equal(0);
    expect(warm.filter((p) => p.phase === 'download')).to.deep.equal([]);
    const fromCache = checkProgress(warm, 'cache');
    expect([...fromCache.keys()].sort()).to.deep.equal(['image_encoder.onnx', 'mask_decoder.onnx']);
  });

  for (const fault of ['corrupt', 'truncate'] as const) {
    it(`rejects a ${fault} file with model-integrity and caches nothing of it`, async () => {
      const id = uid();
      const s = segmenter(`id=${id},only=image_encoder,${fault}`);
      const e = await rejection(s.ready);
      s.dispose();
      expect(e.code, e.message).to.equal('model-integrity');
      const cached = await cachedKeys(id);
      expect(
        cached.filter((k) => k.includes('image_encoder')),
        cached.join(),
      ).to.deep.equal([]);
      // The manifest of a bundle that failed is not trusted on the next visit either.
      expect(cached.filter((k) => k.includes('manifest.json'))).to.deep.equal([]);
    });
  }

  it('retries after two transient 503s and loads', async () => {
    const id = uid();
    const s = segmenter(`id=${id},fail=2`);
    await s.ready;
    s.dispose();
    const st = await stats(id);
    expect(st.paths[`/${TWIN}`]).to.equal(3);
    expect(st.paths['/demo/models/sam2-twin/image_encoder.onnx']).to.equal(3);
    expect(st.paths['/demo/models/sam2-twin/mask_decoder.onnx']).to.equal(3);
  });

  it('gives up with model-fetch when failures persist', async () => {
    const id = uid();
    const s = segmenter(`id=${id},only=mask_decoder,fail=9`);
    const e = await rejection(s.ready);
    s.dispose();
    expect(e.code).to.equal('model-fetch');
    expect(e.message).to.match(/HTTP 503.*4 attempts/);
  });

  it('aborts mid-download with code aborted and leaves no partial cache entry', async () => {
    const id = uid();
    const ac = new AbortController();
    let resolveMid: () => void;
    const mid = new Promise<void>((r) => (resolveMid = r));
    const s = segmenter(`id=${id},only=image_encoder,delay=2000`, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.file === 'image_encoder.onnx' && p.phase === 'download' && p.loaded > 0 && p.loaded < p.total)
          resolveMid();
      },
    });
    const ready = s.ready;
    await mid;
    ac.abort();
    const e = await rejection(ready);
    expect(e.code).to.equal('aborted');
    // Past the point where the stalled body would have completed.
    await new Promise((r) => setTimeout(r, 2500));
    const cached = await cachedKeys(id);
    expect(
      cached.filter((k) => k.includes('image_encoder') || k.includes('manifest.json')),
      cached.join(),
    ).to.deep.equal([]);
  });

  it('still loads when storage quota is exceeded, and reports storage', async () => {
    const id = uid();
    const warnings: Sam2Error[] = [];
    const s = segmenter(`id=${id}`, { storageFault: 'quota', onWarning: (w) => warnings.push(w) });
    const info = await s.ready;
    s.dispose();
    expect(info.backend).to.equal(backend);
    expect(warnings.map((w) => w.code)).to.deep.equal(['storage']);
    expect(warnings[0]!.message).to.match(/QuotaExceededError/);
    expect(await cachedKeys(id)).to.deep.equal([]);
  });

  it('still loads when IndexedDB is unavailable, and reports storage', async () => {
    const id = uid();
    const warnings: Sam2Error[] = [];
    const s = segmenter(`id=${id}`, { storageFault: 'unavailable', onWarning: (w) => warnings.push(w) });
    await s.ready;
    s.dispose();
    expect(warnings.map((w) => w.code)).to.deep.equal(['storage']);
  });

  it('cacheInfo() counts entries and bytes, clearCache() empties it', async () => {
    const id = uid();
    const s = segmenter(`id=${id}`);
    await s.ready;
    s.dispose();
    const info = await cacheInfo();
    expect(info.entries).to.be.at.least(3);
    expect(info.bytes).to.be.at.least(IMAGE_ENCODER_BYTES + 21232);
    await clearCache();
    expect(await cacheInfo()).to.deep.equal({ entries: 0, bytes: 0 });
    expect(await cachedKeys(id)).to.deep.equal([]);
  });

  it('loads the default twin preset with no model, worker or wasm options', async () => {
    const s = createSegmenter({ device: backend });
    const info = await s.ready;
    s.dispose();
    expect(info.contract).to.equal('sam2-video-4g/1');
  });

  it('measures cold vs warm time-to-ready of the twin (median of 5)', async () => {
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A fresh id: nothing in IndexedDB, and the test server forbids the HTTP cache, so "cold" is a real download
      // (from localhost) of the manifest, both graphs and ORT's 28 MB .wasm, plus storing them.
      const id = uid();
      const options = { device: backend, model: faultUrl(`id=${id}`, TWIN), wasmPaths: faultUrl(`id=${id}`, ORT_DIR) };
      for (const list of [cold, warm]) {
        const t0 = performance.now();
        const s = createSegmenter(options);
        await s.ready;
        list.push(performance.now() - t0);
        s.dispose();
      }
    }
    await clearCache();
    console.log(
      `twin time-to-ready (${backend}): cold ${median(cold).toFixed(0)} ms [${cold.map((x) => x.toFixed(0)).join(', ')}], warm ${median(warm).toFixed(0)} ms [${warm.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    expect(median(warm)).to.be.greaterThan(0);
  });
});

describe('model store and cache, main thread', () => {
  const encoderPath = 'demo/models/sam2-twin/image_encoder.onnx';

  it('verifies size and sha256, caches good bytes under their key and serves them with no request', async () => {
    const id = uid();
    const cache = new ModelCache();
    const key = cacheKey(`bundle-${id}`, 'image_encoder.onnx', `sha256:${IMAGE_ENCODER_SHA}`);
    const spec = {
      url: faultUrl(`id=${id}`, encoderPath),
      file: 'image_encoder.onnx',
      bytes: IMAGE_ENCODER_BYTES,
      sha256: IMAGE_ENCODER_SHA,
      key,
    };
    const a = await fetchFile(spec, { cache });
    expect(a.byteLength).to.equal(IMAGE_ENCODER_BYTES);
    const events: ModelProgress[] = [];
    const b = await fetchFile(spec, { cache: new ModelCache(), onProgress: (p) => events.push(p) });
    expect(b).to.deep.equal(a);
    expect(events).to.deep.equal([
      { phase: 'cache', file: 'image_encoder.onnx', loaded: IMAGE_ENCODER_BYTES, total: IMAGE_ENCODER_BYTES },
    ]);
    expect((await stats(id)).total).to.equal(1);
  });

  it('never serves a cached entry under another version key', async () => {
    const id = uid();
    const cache = new ModelCache();
    const url = faultUrl(`id=${id}`, encoderPath);
    await fetchFile({ url, file: 'e', key: cacheKey(id, 'e', 'sha256:aaa') }, { cache });
    await fetchFile({ url, file: 'e', key: cacheKey(id, 'e', 'sha256:bbb') }, { cache });
    expect((await stats(id)).total).to.equal(2);
  });

  it('rejects a sha256 mismatch with model-integrity and does not cache it', async () => {
    const id = uid();
    const key = cacheKey(id, 'image_encoder.onnx', 'sha256:0');
    const e = await rejection(
      fetchFile(
        { url: faultUrl(`id=${id}`, encoderPath), file: 'image_encoder.onnx', sha256: '0'.repeat(64), key },
        { cache: new ModelCache() },
      ),
    );
    expect(e.code).to.equal('model-integrity');
    expect(await cachedKeys(id)).to.deep.equal([]);
  });

  it('checks Content-Length when the size is unknown', async () => {
    const id = uid();
    // The truncating server sends a matching Content-Length (as a bad mirror would), so this passes the header check...
    const bytes = await fetchFile({ url: faultUrl(`id=${id},truncate`, encoderPath), file: 'e' });
    expect(bytes.byteLength).to.equal(Math.floor(IMAGE_ENCODER_BYTES / 2));
    // ...which is why manifests carry byte sizes: with one, the same response fails.
    const e = await rejection(
      fetchFile({ url: faultUrl(`id=${id},truncate`, encoderPath), file: 'e', bytes: IMAGE_ENCODER_BYTES }),
    );
    expect(e.code).to.equal('model-integrity');
  });

  it('keeps progress monotonic across retries and aborts a stalled body', async () => {
    const id = uid();
    const events: ModelProgress[] = [];
    await fetchFile(
      { url: faultUrl(`id=${id},fail=2`, encoderPath), file: 'e' },
      { backoffMs: 10, onProgress: (p) => events.push(p) },
    );
    checkProgress(events, 'download');

    const ac = new AbortController();
    const p = fetchFile(
      { url: faultUrl(`id=${id},delay=5000`, encoderPath), file: 'e' },
      { signal: ac.signal, onProgress: (x) => x.loaded > 0 && ac.abort() },
    );
    const t0 = performance.now();
    const e = await rejection(p);
    expect(e.code).to.equal('aborted');
    expect(performance.now() - t0).to.be.below(2000);
  });

  it('fetchFiles rejects with the first failure, not with the aborts it caused', async () => {
    const id = uid();
    const e = await rejection(
      fetchFiles([
        { url: faultUrl(`id=${id},delay=3000`, encoderPath), file: 'slow' },
        { url: faultUrl(`id=${id}`, 'demo/models/sam2-twin/missing.onnx'), file: 'missing' },
      ]),
    );
    expect(e.code).to.equal('model-fetch');
    expect(e.message).to.match(/missing.*404/);
  });

  it('degrades to memory on a quota failure, warning once', async () => {
    const id = uid();
    const warnings: Sam2Error[] = [];
    const cache = new ModelCache({ fault: 'quota', onWarning: (w) => warnings.push(w) });
    const key = cacheKey(id, 'x', '1');
    await cache.put(key, new Uint8Array([1, 2, 3]), 'x');
    await cache.put(cacheKey(id, 'y', '1'), new Uint8Array([4]), 'y');
    expect(warnings.map((w) => w.code)).to.deep.equal(['storage']);
    expect(await cachedKeys(id)).to.deep.equal([]);
    expect(Array.from((await cache.get(key))!)).to.deep.equal([1, 2, 3]);
  });
});

describe('presets', () => {
  it('resolves preset names, repository URLs and manifest URLs', () => {
    expect(resolveModel(undefined).url).to.equal(new URL('/demo/models/sam2-twin/manifest.json', location.href).href);
    expect(resolveModel('twin').preset).to.equal('twin');
    expect(resolveModel('tiny', 'fp16')).to.deep.equal({
      url: 'https://huggingface.co/onnx-community/sam2.1-hiera-tiny-ONNX/resolve/main/',
      dtype: 'fp16',
      preset: 'tiny',
    });
    expect(resolveModel('base-plus').dtype).to.equal('fp32');
    expect(resolveModel('models/x/manifest.json').url).to.equal(new URL('models/x/manifest.json', location.href).href);
    for (const name of ['tiny', 'small', 'base-plus', 'large'] as const) {
      const p = MODEL_PRESETS[name];
      expect(p.kind).to.equal('repository');
      expect(p.dtypes).to.include.members(['fp32', 'fp16']);
      // Unknown sizes stay unknown rather than guessed.
      expect(Object.values(p.bytes).every((b) => b === null)).to.equal(true);
    }
  });
});
