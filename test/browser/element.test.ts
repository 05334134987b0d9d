// <sam2-segmenter> end to end in a real browser: real pointer and keyboard input through CDP, a real worker and the
// twin model on the group's backend. Masks are checked against analytic ground truth at natural size, whatever the
// element's CSS size and object-fit.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { resetMouse, sendKeys, sendMouse } from '@web/test-runner-commands';
import type { Sam2MaskChangeDetail, Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import type { ModelProgress } from '../../src/shared/types.js';
import { testBackend } from './helpers/backend.js';
import {
  WASM_PATHS,
  WORKER_URL,
  click,
  clientPoint,
  drag,
  frame,
  mount,
  rightClick,
  sceneUrl,
} from './helpers/element-input.js';
import { segmenterOf } from './helpers/element-hooks.js';
import { containment, drawScene, iou, objectsScene, RED, BLUE, GREEN } from './helpers/scenes.js';
import { clearCache } from '../../src/shared/cache.js';

const backend = testBackend();

const W = 640;
const H = 360;
const { scene, centres } = objectsScene(W, H);
const natural = { width: W, height: H };
let url = '';

/** Presses `key` with `modifier` held (puppeteer's press() takes single keys only). */
async function chord(modifier: 'Shift' | 'Control' | 'Alt', key: string): Promise<void> {
  await sendKeys({ down: modifier });
  try {
    await sendKeys({ press: key });
  } finally {
    await sendKeys({ up: modifier });
  }
}

async function nextMask(el: Sam2SegmenterElement, act: () => Promise<unknown>): Promise<Sam2MaskChangeDetail> {
  const event = oneEvent(el, 'mask-change');
  await act();
  return (await event).detail;
}

function maskData(d: Sam2MaskChangeDetail): Uint8Array {
  expect([d.mask.width, d.mask.height]).to.deep.equal([W, H]);
  return d.mask.data;
}

/** Overlay pixel (RGBA) under a client point. */
function overlayPixel(el: Sam2SegmenterElement, [x, y]: [number, number]): Uint8ClampedArray {
  const overlay = el.shadowRoot!.querySelector('canvas[part="overlay"]') as HTMLCanvasElement;
  const r = overlay.getBoundingClientRect();
  const px = Math.floor(((x - r.left) / r.width) * overlay.width);
  const py = Math.floor(((y - r.top) / r.height) * overlay.height);
  return overlay.getContext('2d')!.getImageData(px, py, 1, 1).data;
}

describe(`<sam2-segmenter> (${backend})`, () => {
  before(async () => {
    // Models are cached across test files (one browser profile): start cold so preload() really downloads.
    await clearCache();
    url = await sceneUrl(scene);
  });
  after(() => URL.revokeObjectURL(url));
  afterEach(async function () {
    console.log(`  ${this.currentTest?.title.slice(0, 40)}: ${this.currentTest?.duration} ms`);
    await resetMouse();
  });

  it('preload() loads the model and `ready` reports the group backend (device auto)', async () => {
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter device="auto" .wasmPaths=${WASM_PATHS} .workerUrl=${WORKER_URL}></sam2-segmenter>`,
    );
    const progress: ModelProgress[] = [];
    el.addEventListener('model-progress', (e) => progress.push(e.detail));
    const ready = oneEvent(el, 'ready');
    const t0 = performance.now();
    const info = await el.preload();
    console.log(`element: ready in ${(performance.now() - t0).toFixed(0)} ms on ${info.backend}`);
    const event = await ready;
    expect(event.detail.backend).to.equal(backend);
    expect(info).to.deep.equal(event.detail);
    expect(progress.some((p) => p.phase === 'download' && p.loaded === p.total && p.total > 0)).to.equal(true);
  });

  it('a click on an object at natural size → mask-change with IoU ≥ 0.9; overlay, announcement and PNG export', async () => {
    const el = await mount(url);
    const at = clientPoint(el, natural, ...centres[1]!);
    const t0 = performance.now();
    const d = await nextMask(el, () => click(at));
    console.log(`element: first click → mask in ${(performance.now() - t0).toFixed(0)} ms`);
    const score = iou(maskData(d), scene.truth(1));
    expect(score, `IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
    expect(d.objectId).to.equal(1);
    expect(d.objectScore).to.be.above(0);
    expect(d.mask.area).to.be.above(0);

    // PNG export and cut-out from the element's own copy of the image.
    const png = await d.mask.toBlob();
    expect(png.type).to.equal('image/png');
    const sig = new Uint8Array(await png.slice(0, 8).arrayBuffer());
    expect(Array.from(sig)).to.deep.equal([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const cut = await createImageBitmap(await d.mask.toCutout({ crop: true }));
    expect([cut.width, cut.height]).to.deep.equal([d.mask.bbox[2], d.mask.bbox[3]]);

    // The overlay is tinted with --sam2-mask-color inside the mask (away from the marker) and clear outside.
    await frame();
    await frame();
    const inside = overlayPixel(el, clientPoint(el, natural, centres[1]![0] + 30, centres[1]![1] + 20));
    expect(inside[3], 'mask alpha').to.be.within(100, 160);
    expect(inside[2], 'blue').to.be.above(inside[0]!);
    const outside = overlayPixel(el, clientPoint(el, natural, 20, H - 20));
    expect(outside[3]).to.equal(0);

    const live = el.shadowRoot!.querySelector('[aria-live]')!;
    expect(live.textContent).to.match(/Object \d+ updated, [\d,.\s\u00a0\u202f]+ pixels/);
  });

  it('maps clicks through CSS scaling with object-fit contain (letterbox bars are ignored)', async () => {
    const el = await mount(url, 'width: 300px; height: 300px');
    const media = el.shadowRoot!.querySelector('[part="media"]')!.getBoundingClientRect();
    expect(media.width).to.be.closeTo(300, 0.5);
    let changes = 0;
    el.addEventListener('mask-change', () => changes++);
    // The top letterbox bar (168.75 px of image centred in 300 px): no prompt.
    await click([Math.round(media.left + 150), Math.round(media.top + 20)]);
    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    expect(changes).to.equal(1);
    const score = iou(maskData(d), scene.truth(0));
    expect(score, `IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
  });

  it('maps clicks with object-fit cover', async () => {
    const el = await mount(url, 'width: 300px; height: 300px');
    const media = el.shadowRoot!.querySelector('[part="media"]') as HTMLElement;
    // Parts are styleable from outside; the element reads the computed object-fit.
    media.style.objectFit = 'cover';
    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[1]!)));
    const score = iou(maskData(d), scene.truth(1));
    expect(score, `IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
  });

  it('maps clicks with object-fit fill (stretched)', async () => {
    const el = await mount(url, 'width: 320px; height: 320px');
    (el.shadowRoot!.querySelector('[part="media"]') as HTMLElement).style.objectFit = 'fill';
    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[2]!)));
    const score = iou(maskData(d), scene.truth(2));
    expect(score, `IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
  });

  it('accepts a canvas `source` (shown in a canvas part) and an ImageBitmap; a new image clears the mask', async () => {
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter
        device=${backend}
        .wasmPaths=${WASM_PATHS}
        .workerUrl=${WORKER_URL}
        .source=${scene.canvas}
      ></sam2-segmenter>`,
    );
    await waitUntil(
      () => (el.shadowRoot!.querySelector('canvas[part="media"]') as HTMLCanvasElement | null)?.width === W,
      'no media canvas',
    );
    await el.updateComplete;
    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    expect(iou(maskData(d), scene.truth(0))).to.be.at.least(0.9);

    const other = objectsScene(320, 240);
    const cleared = await nextMask(el, async () => {
      el.source = await createImageBitmap(other.scene.canvas);
    });
    expect([cleared.mask.width, cleared.mask.height, cleared.mask.area]).to.deep.equal([W, H, 0]);
    await waitUntil(
      () => (el.shadowRoot!.querySelector('canvas[part="media"]') as HTMLCanvasElement).width === 320,
      'not redrawn',
    );
    await el.updateComplete;
    const n = { width: 320, height: 240 };
    const r = await nextMask(el, () => click(clientPoint(el, n, ...other.centres[1]!)));
    expect([r.mask.width, r.mask.height]).to.deep.equal([320, 240]);
    expect(iou(r.mask.data, other.scene.truth(1))).to.be.at.least(0.9);
  });

  it('Alt-click and right-click add negative points', async () => {
    const w = 800;
    const h = 600;
    const twins = drawScene(w, h, '#ffffff', [
      { kind: 'rect', x: 80, y: 100, w: 200, h: 180, color: RED },
      { kind: 'rect', x: 480, y: 320, w: 220, h: 200, color: RED },
    ]);
    const src = await sceneUrl(twins);
    try {
      const el = await mount(src, 'width: 400px');
      const n = { width: w, height: h };
      await nextMask(el, () => click(clientPoint(el, n, 180, 190)));
      const d = await nextMask(el, () => click(clientPoint(el, n, 590, 420), true));
      expect(iou(d.mask.data, twins.truth(0))).to.be.at.least(0.9);
      expect(containment(twins.truth(1), d.mask.data)).to.be.below(0.01);

      el.clear();
      await nextMask(el, () => click(clientPoint(el, n, 180, 190)));
      const r = await nextMask(el, () => rightClick(clientPoint(el, n, 590, 420)));
      expect(iou(r.mask.data, twins.truth(0))).to.be.at.least(0.9);
      expect(containment(twins.truth(1), r.mask.data)).to.be.below(0.01);
    } finally {
      URL.revokeObjectURL(src);
    }
  });

  it('a drag draws a box that selects the object in it', async () => {
    const w = 900;
    const h = 500;
    const boxed = drawScene(w, h, '#ffffff', [
      { kind: 'circle', cx: 250, cy: 250, r: 120, color: BLUE },
      { kind: 'rect', x: 500, y: 60, w: 360, h: 380, color: GREEN },
    ]);
    const src = await sceneUrl(boxed);
    try {
      const el = await mount(src, 'width: 450px');
      const n = { width: w, height: h };
      const d = await nextMask(el, () => drag(clientPoint(el, n, 100, 100), clientPoint(el, n, 400, 400)));
      expect(iou(d.mask.data, boxed.truth(0))).to.be.at.least(0.9);
    } finally {
      URL.revokeObjectURL(src);
    }
  });

  it('Backspace undoes the last prompt (restoring the previous mask), Ctrl+Z too, Escape clears', async () => {
    const el = await mount(url);
    const first = await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    const second = await nextMask(el, () => click(clientPoint(el, natural, ...centres[2]!)));
    expect(iou(second.mask.data, first.mask.data)).to.be.below(0.99);
    const undone = await nextMask(el, () => sendKeys({ press: 'Backspace' }));
    expect(iou(undone.mask.data, first.mask.data)).to.equal(1);
    expect(undone.mask).to.equal(first.mask);

    await nextMask(el, () => click(clientPoint(el, natural, ...centres[2]!)));
    const undone2 = await nextMask(el, () => chord('Control', 'z'));
    expect(iou(undone2.mask.data, first.mask.data)).to.equal(1);

    const cleared = await nextMask(el, () => sendKeys({ press: 'Escape' }));
    expect([cleared.mask.width, cleared.mask.height, cleared.mask.area]).to.deep.equal([W, H, 0]);
    await frame();
    await frame();
    expect(overlayPixel(el, clientPoint(el, natural, ...centres[0]!))[3]).to.equal(0);
    // A click after clearing starts over (no refinement from the cleared mask).
    const again = await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    expect(iou(again.mask.data, first.mask.data)).to.equal(1);
  });

  it('keyboard: focus, arrows move the crosshair, Enter places a positive point', async () => {
    const el = await mount(url);
    const stage = el.shadowRoot!.querySelector('[part="base"]') as HTMLElement;
    expect(stage.tabIndex).to.equal(0);
    stage.focus();
    // The crosshair starts at the centre (320, 180); the blue circle's centre is at (448, 108). Steps: 4 px, Shift 32.
    for (let i = 0; i < 4; i++) await chord('Shift', 'ArrowRight');
    for (let i = 0; i < 2; i++) await chord('Shift', 'ArrowUp');
    for (let i = 0; i < 2; i++) await sendKeys({ press: 'ArrowUp' });
    const d = await nextMask(el, () => sendKeys({ press: 'Enter' }));
    const score = iou(maskData(d), scene.truth(1));
    expect(score, `IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
    // Shift+Enter at a background point adds a negative point (the mask stays on the circle).
    for (let i = 0; i < 4; i++) await chord('Shift', 'ArrowLeft');
    const neg = await nextMask(el, () => chord('Shift', 'Enter'));
    expect(iou(neg.mask.data, scene.truth(1))).to.be.at.least(0.9);
  });

  it('segment() with a NaN point fires error (invalid-prompt) and rejects; the element stays usable', async () => {
    const el = await mount(url);
    const errorEvent = oneEvent(el, 'error');
    let rejected: unknown = null;
    await el.segment({ points: [{ x: Number.NaN, y: 10, label: 'positive' }] }).catch((e: unknown) => (rejected = e));
    const ev = await errorEvent;
    expect(ev.detail.code).to.equal('invalid-prompt');
    expect((rejected as { code?: string } | null)?.code).to.equal('invalid-prompt');

    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[2]!)));
    expect(iou(maskData(d), scene.truth(2))).to.be.at.least(0.9);

    // segment() with a valid prompt replaces the prompts and resolves with the shown mask, in natural pixels.
    const [x, y] = centres[0]!;
    const changed = oneEvent(el, 'mask-change');
    const r = await el.segment({ points: [{ x, y, label: 'positive' }] });
    expect((await changed).detail).to.equal(r);
    expect(iou(maskData(r), scene.truth(0))).to.be.at.least(0.9);
  });

  it('hover mode previews the mask under the pointer', async () => {
    const el = await mount(url);
    el.mode = 'hover';
    await el.updateComplete;
    const at = clientPoint(el, natural, centres[1]![0] + 30, centres[1]![1] + 20);
    await sendMouse({ type: 'move', position: clientPoint(el, natural, 20, 20) });
    await sendMouse({ type: 'move', position: at });
    await waitUntil(() => overlayPixel(el, at)[3]! > 0, 'no hover preview drawn', { timeout: 60_000 });
  });

  it('the shadow DOM is accessible', async () => {
    const el = await mount(url);
    await expect(el).shadowDom.to.be.accessible();
  });

  it('removing the element disposes its segmenter; re-connecting recreates it', async () => {
    const el = await mount(url);
    await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    const seg = segmenterOf(el);
    expect(seg).to.not.equal(null);
    const parent = el.parentElement!;
    // A move (remove + append in one task) keeps the segmenter.
    el.remove();
    parent.append(el);
    await new Promise((r) => setTimeout(r, 250));
    expect(segmenterOf(el)).to.equal(seg);
    el.remove();
    await new Promise((r) => setTimeout(r, 250));
    expect(segmenterOf(el)).to.equal(null);
    parent.append(el);
    await el.updateComplete;
    el.clear();
    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[2]!)));
    expect(segmenterOf(el)).to.not.equal(null);
    expect(segmenterOf(el)).to.not.equal(seg);
    expect(iou(maskData(d), scene.truth(2))).to.be.at.least(0.9);
  });
});
