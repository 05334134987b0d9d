// EngineController on a minimal host: a lazy host acquires no segmenter until asked; hosts with the same options
// share one; a move keeps it; leaving the document releases it at once (the registry alone delays disposal), unless
// work the host handed to keepUntil() is still running.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sharedSegmenterCount } from '../../../src/client/registry.js';
import { WASM_PATHS, WORKER_URL } from '../helpers/element-input.js';
import type { EngineHost } from './hosts.js';
import './hosts.js';

const MODEL = new URL('/demo/models/sam2-twin-hf/', location.href).href;
let n = 0;

async function mount(count: number): Promise<{ wrap: HTMLDivElement; hosts: EngineHost[] }> {
  const wrap = await fixture<HTMLDivElement>(html`<div></div>`);
  // A model URL of its own (a query) so that no other test's segmenter is shared.
  const options = {
    model: `${MODEL}?engine-test=${++n}`,
    device: 'wasm' as const,
    wasmPaths: WASM_PATHS,
    workerUrl: WORKER_URL,
  };
  const hosts = Array.from({ length: count }, () => {
    const h = document.createElement('test-engine-host') as EngineHost;
    h.options = options;
    wrap.append(h);
    return h;
  });
  await Promise.all(hosts.map((h) => h.updateComplete));
  return { wrap, hosts };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('EngineController', () => {
  it('lazy: holds nothing until asked; hosts with the same options share one segmenter', async () => {
    const before = sharedSegmenterCount();
    const { hosts } = await mount(2);
    const [a, b] = hosts as [EngineHost, EngineHost];
    expect(a.engine.existing).to.equal(null);
    expect(a.engine.allowed).to.equal(false);
    const seg = a.engine.segmenter;
    expect(a.engine.allowed).to.equal(true);
    expect(b.engine.segmenter).to.equal(seg);
    expect(sharedSegmenterCount()).to.equal(before + 1);
    a.remove();
    b.remove();
    await waitUntil(() => sharedSegmenterCount() === before, 'not disposed', { timeout: 2000 });
  });

  it('a move keeps the segmenter; leaving releases it at once', async () => {
    const { wrap, hosts } = await mount(1);
    const h = hosts[0]!;
    const seg = h.engine.segmenter;
    h.remove();
    wrap.append(h);
    await tick();
    expect(h.engine.existing).to.equal(seg);
    h.remove();
    await tick();
    expect(h.engine.existing).to.equal(null);
    expect(() => h.engine.segmenter).to.throw(/not in the document/);
  });

  it('keepUntil() holds the segmenter past removal until the work settles', async () => {
    const { hosts } = await mount(1);
    const h = hosts[0]!;
    const seg = h.engine.segmenter;
    let finish!: () => void;
    h.engine.keepUntil(new Promise<void>((r) => (finish = r)));
    h.remove();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.engine.existing).to.equal(seg);
    finish();
    await tick();
    expect(h.engine.existing).to.equal(null);
  });
});
