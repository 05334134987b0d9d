// <sam2-segmenter> loading: `loading="lazy"` waits for visibility (or an explicit call) before any model request,
// `eager` loads at once, and elements with the same model options share one segmenter (one worker, one download,
// one engine) while each segments its own image. Model requests are counted by the fault server
// (tools/test-server-faults.mjs) under a unique id per test, so the model cache never hides a request.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import type { Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import '../../src/components/sam2-segmenter.js';
import { sharedSegmenterCount } from '../../src/client/registry.js';
import { testBackend } from './helpers/backend.js';
import { sceneUrl } from './helpers/element-input.js';
import { rejection } from './helpers/rejection.js';
import { BLUE, RED, drawScene, iou } from './helpers/scenes.js';
import { segmenterOf } from './helpers/element-hooks.js';

const backend = testBackend();
const TWIN = 'demo/models/sam2-twin/manifest.json';
const W = 640;
const H = 360;
const sceneA = drawScene(W, H, '#ffffff', [{ kind: 'rect', x: 120, y: 80, w: 200, h: 150, color: RED }]);
const sceneB = drawScene(W, H, '#ffffff', [{ kind: 'circle', cx: 440, cy: 200, r: 90, color: BLUE }]);
const IN_A: [number, number] = [220, 155];
const IN_B: [number, number] = [440, 200];

let counter = 0;
function uid(): string {
  return `l${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** The twin model through the fault server, counted under `id`. */
function modelUrl(id: string): string {
  return new URL(`/__faults/id=${id}/${TWIN}`, location.href).href;
}

/** Model requests (manifest and graphs) made under `id` since the last call (the server resets them). */
async function modelRequests(id: string): Promise<number> {
  const res = await fetch(`/__faults/stats?key=${encodeURIComponent(id)}`);
  const s = (await res.json()) as { paths: Record<string, number> };
  return Object.entries(s.paths).reduce((n, [p, c]) => n + (p.endsWith('.onnx') || p.endsWith('.json') ? c : 0), 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STYLE = `display:block;width:${W}px;height:${H}px`;

async function segmentAt(el: Sam2SegmenterElement, [x, y]: [number, number]): Promise<Uint8Array> {
  const d = await el.segment({ points: [{ x, y, label: 'positive' }] });
  return d.mask.data;
}

describe(`<sam2-segmenter> loading and sharing (${backend})`, () => {
  let urlA = '';
  let urlB = '';
  before(async () => {
    urlA = await sceneUrl(sceneA);
    urlB = await sceneUrl(sceneB);
  });
  after(() => {
    URL.revokeObjectURL(urlA);
    URL.revokeObjectURL(urlB);
  });
  afterEach(() => window.scrollTo(0, 0));

  it('loading="lazy" below the fold makes no model request until scrolled into view, then loads and fires ready', async () => {
    const id = uid();
    const root = await fixture<HTMLDivElement>(html`
      <div>
        <div style="height:3000px"></div>
        <sam2-segmenter
          loading="lazy"
          device=${backend}
          model=${modelUrl(id)}
          src=${urlA}
          style=${STYLE}
        ></sam2-segmenter>
      </div>
    `);
    const el = root.querySelector('sam2-segmenter') as Sam2SegmenterElement;
    expect(el.loading).to.equal('lazy');
    let readyFired = false;
    el.addEventListener('ready', () => (readyFired = true));
    // Long enough for the image to decode and for an eager element to have asked for the model.
    await sleep(1500);
    expect(await modelRequests(id)).to.equal(0);
    expect(segmenterOf(el)).to.equal(null);
    expect(readyFired).to.equal(false);

    const ready = oneEvent(el, 'ready');
    el.scrollIntoView();
    const event = await ready;
    expect(event.detail.backend).to.equal(backend);
    expect(await modelRequests(id)).to.equal(3);
    expect(iou(await segmentAt(el, IN_A), sceneA.truth(0))).to.be.at.least(0.9);
  });

  it('loading="lazy": preload() starts the download while the element is still out of view', async () => {
    const id = uid();
    const root = await fixture<HTMLDivElement>(html`
      <div>
        <div style="height:3000px"></div>
        <sam2-segmenter loading="lazy" device=${backend} model=${modelUrl(id)} style=${STYLE}></sam2-segmenter>
      </div>
    `);
    const el = root.querySelector('sam2-segmenter') as Sam2SegmenterElement;
    await sleep(300);
    expect(await modelRequests(id)).to.equal(0);
    const info = await el.preload();
    expect(info.backend).to.equal(backend);
    expect(await modelRequests(id)).to.equal(3);
  });

  it('loading="eager" (the default) loads at once, even below the fold', async () => {
    const id = uid();
    const root = await fixture<HTMLDivElement>(html`
      <div>
        <div style="height:3000px"></div>
        <sam2-segmenter device=${backend} model=${modelUrl(id)} style=${STYLE}></sam2-segmenter>
      </div>
    `);
    const el = root.querySelector('sam2-segmenter') as Sam2SegmenterElement;
    expect(el.loading).to.equal('eager');
    const event = await oneEvent(el, 'ready');
    expect(event.detail.backend).to.equal(backend);
    expect(await modelRequests(id)).to.equal(3);
  });

  it('two elements with the same model share one download and one engine, and each segments its own image', async () => {
    const id = uid();
    const model = modelUrl(id);
    // Segmenters of earlier tests' elements are released on removal, then disposed by the registry 100 ms later.
    await sleep(400);
    const before = sharedSegmenterCount();
    const root = await fixture<HTMLDivElement>(html`
      <div>
        <sam2-segmenter id="a" device=${backend} model=${model} src=${urlA} style=${STYLE}></sam2-segmenter>
        <sam2-segmenter id="b" device=${backend} model=${model} src=${urlB} style=${STYLE}></sam2-segmenter>
      </div>
    `);
    const a = root.querySelector('#a') as Sam2SegmenterElement;
    const b = root.querySelector('#b') as Sam2SegmenterElement;
    await Promise.all([oneEvent(a, 'ready'), oneEvent(b, 'ready')]);
    expect(segmenterOf(a)).to.not.equal(null);
    expect(segmenterOf(a)).to.equal(segmenterOf(b));
    expect(sharedSegmenterCount()).to.equal(before + 1);
    // One manifest and two graphs for both elements.
    expect(await modelRequests(id)).to.equal(3);

    // Alternating: each element must put its own image back into the shared engine first.
    expect(iou(await segmentAt(a, IN_A), sceneA.truth(0)), 'a').to.be.at.least(0.9);
    expect(iou(await segmentAt(b, IN_B), sceneB.truth(0)), 'b').to.be.at.least(0.9);
    expect(iou(await segmentAt(a, IN_A), sceneA.truth(0)), 'a again').to.be.at.least(0.9);
    // Concurrent calls too.
    const [ma, mb] = await Promise.all([segmentAt(a, IN_A), segmentAt(b, IN_B)]);
    expect(iou(ma, sceneA.truth(0)), 'a concurrent').to.be.at.least(0.9);
    expect(iou(mb, sceneB.truth(0)), 'b concurrent').to.be.at.least(0.9);
    expect(await modelRequests(id)).to.equal(0);

    // Removing one keeps the segmenter for the other.
    const seg = segmenterOf(a)!;
    a.remove();
    await sleep(400);
    expect(segmenterOf(b)).to.equal(seg);
    expect(iou(await segmentAt(b, IN_B), sceneB.truth(0)), 'b alone').to.be.at.least(0.9);

    // Removing both disposes it.
    b.remove();
    await waitUntil(() => sharedSegmenterCount() === before, 'the shared segmenter was not released', {
      timeout: 2000,
    });
    expect(segmenterOf(b)).to.equal(null);
    const e = await rejection(seg.clear());
    expect(e.code).to.equal('aborted');
  });
});
