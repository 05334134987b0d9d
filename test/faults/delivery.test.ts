// Fault suite, delivery: what the network and the disk do to a model load. Each case ends with a health check.

import { expect } from '@open-wc/testing';
import { createStore, get, keys, set } from 'idb-keyval';
import { createSegmenter, type SegmenterOptions } from '../../src/client/segmenter.js';
import { CACHE_DB, CACHE_STORE, cacheKey, type CacheRecord } from '../../src/shared/cache.js';
import { fetchFile } from '../../src/engine/model-store.js';
import type { Sam2Error } from '../../src/shared/errors.js';
import {
  HF,
  ORT_DIR,
  TWIN,
  arm,
  b64json,
  count,
  faultCase,
  faultUrl,
  healthCheck,
  rejects,
  reportFigures,
  resolves,
  stats,
  uid,
} from './fault-kit.js';

const idb = () => createStore(CACHE_DB, CACHE_STORE);

async function cachedKeys(text: string): Promise<string[]> {
  return (await keys(idb())).map(String).filter((k) => k.includes(text));
}

function seg(model: string, extra: SegmenterOptions = {}) {
  return createSegmenter({ device: 'wasm', model, ...extra } as SegmenterOptions);
}

after(() => reportFigures('delivery'));

describe('faults: delivery', function () {
  this.timeout(900_000);
  it('#2 an onnx-community graph truncated once in transit (Content-Length to match) is not kept: the next load works', () =>
    faultCase(async () => {
      const id = uid();
      const base = faultUrl(`id=${id}`, HF);
      await arm(id, 'only=vision_encoder.onnx,truncate');
      const s1 = seg(base);
      const e = await rejects(s1.ready, 'corrupt load');
      s1.dispose();
      expect(['model-contract', 'model-integrity'], e.message).to.include(e.code);
      await arm(id, '');
      const s2 = seg(base);
      await resolves(s2.ready, 'load after the fix');
      await healthCheck(s2);
      s2.dispose();
    }));

  it('#2 a damaged graph already in the cache (stored by an older version) is evicted and fetched once more', () =>
    faultCase(async () => {
      const id = uid();
      const base = faultUrl(`id=${id}`, HF);
      const good = new Uint8Array(await (await fetch(`/${HF}onnx/vision_encoder.onnx`)).arrayBuffer());
      const bad = good.slice();
      // Damage the graph's structure but not its top-level framing: only loading it tells.
      for (let i = 40; i < 200; i++) bad[i] = 0xff;
      const key = cacheKey(base, 'onnx/vision_encoder.onnx', 'url');
      const rec: CacheRecord = { url: base, size: bad.length, storedAt: Date.now(), blob: new Blob([bad]) };
      await set(key, rec, idb());
      // A cache that gave up on IndexedDB (a read slower than its bound on a loaded machine) would fetch the file
      // without ever seeing the damaged record: say so rather than fail on the bytes below.
      const warnings: string[] = [];
      const s = seg(base, { onWarning: (w) => warnings.push(w.message) });
      await resolves(s.ready, 'load over a damaged cache entry');
      await healthCheck(s);
      s.dispose();
      expect(warnings, 'storage warnings').to.deep.equal([]);
      const st = await stats(id);
      expect(
        count(st, (p) => p.endsWith('vision_encoder.onnx')),
        JSON.stringify(st),
      ).to.equal(1);
      const stored = await get<CacheRecord>(key, idb());
      expect(new Uint8Array(await stored!.blob.arrayBuffer())).to.deep.equal(good);
    }));

  it("#2 an HTML page answered with 200 for ORT's .wasm is never stored; the next load works", () =>
    faultCase(async () => {
      const id = uid();
      const wasmPaths = faultUrl(`id=${id}`, ORT_DIR);
      await arm(id, 'only=.wasm,html');
      const s1 = seg(new URL(`/${TWIN}`, location.href).href, { wasmPaths });
      await rejects(s1.ready, 'load with an HTML .wasm').catch(() => undefined);
      s1.dispose();
      expect(await cachedKeys(`${id}/${ORT_DIR}`)).to.deep.equal([]);
      await arm(id, '');
      const s2 = seg(new URL(`/${TWIN}`, location.href).href, { wasmPaths });
      await resolves(s2.ready, 'load after the fix');
      await healthCheck(s2);
      s2.dispose();
      const wasmKeys = await cachedKeys(`${id}/${ORT_DIR}`);
      expect(wasmKeys).to.have.length(1);
      const rec = await get<CacheRecord>(wasmKeys[0]!, idb());
      expect(Array.from(new Uint8Array(await rec!.blob.slice(0, 4).arrayBuffer()))).to.deep.equal([
        0, 0x61, 0x73, 0x6d,
      ]);
    }));

  it('#2 a manifest changed on the server reaches a returning visitor', () =>
    faultCase(async () => {
      const id = uid();
      const model = faultUrl(`id=${id}`, TWIN);
      const s1 = seg(model);
      expect((await resolves(s1.ready, 'first visit')).capabilities).to.include('video');
      s1.dispose();
      await arm(id, `only=manifest.json,patch=${b64json({ capabilities: ['image'] })}`);
      const s2 = seg(model);
      expect((await resolves(s2.ready, 'return visit')).capabilities).to.deep.equal(['image']);
      await healthCheck(s2);
      s2.dispose();
    }));

  it('#2 a cached manifest is revalidated with its ETag (304, no body), and serves as it is when the server hangs', () =>
    faultCase(async () => {
      const id = uid();
      const model = faultUrl(`id=${id}`, TWIN);
      await arm(id, 'only=manifest.json,etag');
      const s1 = seg(model);
      await resolves(s1.ready, 'first visit');
      s1.dispose();
      await stats(id);
      const s2 = seg(model);
      await resolves(s2.ready, 'return visit');
      s2.dispose();
      const st = await stats(id);
      expect(st.notModified, JSON.stringify(st)).to.equal(1);
      expect(count(st, (p) => p.endsWith('.onnx'))).to.equal(0);
      // Offline, or a server that never answers: the cached copy still serves.
      await arm(id, 'only=manifest.json,hang');
      const s3 = seg(model);
      await resolves(s3.ready, 'visit with a hanging server');
      await healthCheck(s3);
      s3.dispose();
    }));

  it('#8 a manifest that is JSON null rejects with model-contract, not invalid-prompt', () =>
    faultCase(async () => {
      const id = uid();
      const s = seg(faultUrl(`id=${id},null`, TWIN));
      const e = await rejects(s.ready, 'null manifest');
      s.dispose();
      expect(e.code, e.message).to.equal('model-contract');
      expect(await cachedKeys(id)).to.deep.equal([]);
      await healthCheck();
    }));

  it('an HTML page instead of a manifest or a graph rejects with model-fetch naming the cause', () =>
    faultCase(async () => {
      for (const only of ['manifest.json', 'image_encoder.onnx']) {
        const id = uid();
        const s = seg(faultUrl(`id=${id},only=${only},html`, TWIN));
        const e: Sam2Error = await rejects(s.ready, `html ${only}`);
        s.dispose();
        expect(e.code, e.message).to.equal('model-fetch');
        expect(e.message).to.match(/HTML page/);
        expect(await cachedKeys(id)).to.deep.equal([]);
      }
      await healthCheck();
    }));

  it('a body that stalls forever is dropped, retried, and fails with model-fetch', () =>
    faultCase(async () => {
      const id = uid();
      const url = faultUrl(`id=${id},stall`, 'demo/models/sam2-twin/image_encoder.onnx');
      const e = await rejects(
        fetchFile({ url, file: 'image_encoder.onnx' }, { stallMs: 300, retries: 1, backoffMs: 10 }),
        'stalled body',
      );
      expect(e.code).to.equal('model-fetch');
      expect(e.message).to.match(/sent nothing for 300 ms.*2 attempts/);
      const hung = faultUrl(`id=${id},hang`, 'demo/models/sam2-twin/image_encoder.onnx');
      const e2 = await rejects(
        fetchFile({ url: hung, file: 'image_encoder.onnx' }, { stallMs: 300, retries: 0 }),
        'no headers',
      );
      expect(e2.code).to.equal('model-fetch');
      await healthCheck();
    }));
});
