// The cache across page loads: a first visit (a fresh document in an iframe) downloads and stores the model and ORT's
// .wasm; a second visit, in a NEW document with its own modules and worker, must make zero model and zero .wasm
// requests and still segment. Requests are counted by the fault server (tools/test-server-faults.mjs).
import { expect } from '@open-wc/testing';
import type { VisitReport } from './fixtures/reload-page.js';
import { testBackend } from './helpers/backend.js';

const backend = testBackend();

/** Runs one visit of the fixture page in a new iframe and removes it afterwards. */
async function visit(id: string): Promise<VisitReport> {
  const frame = document.createElement('iframe');
  const report = new Promise<VisitReport>((resolve) => {
    const onMessage = (e: MessageEvent) => {
      const data = e.data as (VisitReport & { visit?: string }) | null;
      if (e.source !== frame.contentWindow || data?.visit !== id) return;
      window.removeEventListener('message', onMessage);
      resolve(data);
    };
    window.addEventListener('message', onMessage);
  });
  frame.src = `/test/browser/fixtures/reload-page.html?id=${encodeURIComponent(id)}&device=${backend}`;
  document.body.append(frame);
  try {
    return await report;
  } finally {
    frame.remove();
  }
}

async function requests(id: string): Promise<Record<string, number>> {
  const res = await fetch(`/__faults/stats?key=${encodeURIComponent(id)}`);
  return ((await res.json()) as { paths: Record<string, number> }).paths;
}

const count = (paths: Record<string, number>, test: (p: string) => boolean) =>
  Object.entries(paths).reduce((n, [p, c]) => n + (test(p) ? c : 0), 0);
const isModel = (p: string) => p.endsWith('.onnx') || p.endsWith('.json');
const isWasm = (p: string) => p.endsWith('.wasm');

describe(`model cache across page loads (${backend})`, () => {
  it('a second page load makes zero model and zero .wasm requests, and segments', async () => {
    const id = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

    const first = await visit(id);
    expect(first.ok, first.error).to.equal(true);
    expect(first.backend).to.equal(backend);
    expect(first.iou).to.be.at.least(0.9);
    expect(first.phases).to.include('download');
    const cold = await requests(id);
    expect(count(cold, isModel), JSON.stringify(cold)).to.equal(3);
    expect(count(cold, isWasm), JSON.stringify(cold)).to.equal(1);

    const second = await visit(id);
    expect(second.ok, second.error).to.equal(true);
    expect(second.iou).to.be.at.least(0.9);
    expect(second.phases).to.not.include('download');
    expect(second.phases).to.include('cache');
    const warm = await requests(id);
    // The manifest is revalidated (one small request); no graph is downloaded again.
    expect(
      count(warm, (p) => p.endsWith('.onnx')),
      JSON.stringify(warm),
    ).to.equal(0);
    expect(
      count(warm, (p) => p.endsWith('.json')),
      JSON.stringify(warm),
    ).to.equal(1);
    expect(count(warm, isWasm), JSON.stringify(warm)).to.equal(0);
  });
});
