// The element on a real page: its own states (empty, loading with one overall figure, error with a retry), touch
// prompts through real CDP touch input (tap, long press, the negative and box tools, a swipe that scrolls the page),
// several objects, redo, SAM's numeric labels, the controls, and the accessibility audit with the controls shown.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import { PromptController } from '../../src/components/controllers/prompt-controller.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import { controllerOf } from './helpers/element-hooks.js';
import { WASM_PATHS, WORKER_URL, click, clientPoint, mount, sceneUrl } from './helpers/element-input.js';
import { testBackend } from './helpers/backend.js';
import { iou, objectsScene } from './helpers/scenes.js';

const W = 400;
const H = 200;
const natural = { width: W, height: H };
const { scene, centres } = objectsScene(W, H);
const STYLE = 'width: 600px; height: 300px';

type Touch =
  | { type: 'tap'; position: [number, number] }
  | { type: 'press'; position: [number, number]; ms?: number }
  | { type: 'drag'; from: [number, number]; to: [number, number]; steps?: number }
  | { type: 'swipe'; position: [number, number]; dy: number; steps?: number };
const touch = (payload: Touch): Promise<unknown> => executeServerCommand('send-touch', payload);

async function nextMask(el: Sam2SegmenterElement, act: () => Promise<unknown>): Promise<Sam2MaskChangeDetail> {
  const event = oneEvent(el, 'mask-change');
  await act();
  return (await event).detail;
}

const part = (el: Sam2SegmenterElement, name: string): HTMLElement | null =>
  el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

describe('element on a real page', function () {
  this.timeout(300_000);
  let url = '';
  before(async () => {
    url = await sceneUrl(scene);
  });
  after(() => URL.revokeObjectURL(url));

  describe('states', () => {
    it('empty: no media shows the empty part at a usable size, not a zero box', async () => {
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter
          device=${testBackend()}
          .wasmPaths=${WASM_PATHS}
          .workerUrl=${WORKER_URL}
        ></sam2-segmenter>`,
      );
      await el.updateComplete;
      expect(el.getAttribute('state')).to.equal('empty');
      const empty = part(el, 'empty')!;
      expect(empty.textContent).to.contain('No image yet');
      const r = el.getBoundingClientRect();
      expect(r.width).to.be.at.least(200);
      expect(r.height).to.be.at.least(150);
      // Replaceable through its slot.
      const mine = document.createElement('p');
      mine.slot = 'empty';
      mine.textContent = 'Drop a photo here';
      el.append(mine);
      const slot = el.shadowRoot!.querySelector<HTMLSlotElement>('slot[name="empty"]')!;
      expect(slot.assignedElements()).to.deep.equal([mine]);
    });

    it('loading: one overall progress bar while files arrive, then ready', async () => {
      const seen: { state: string | null; now: string | null | undefined }[] = [];
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter
          device=${testBackend()}
          no-cache
          .wasmPaths=${WASM_PATHS}
          .workerUrl=${WORKER_URL}
          src=${url}
          style=${STYLE}
          @model-progress=${(e: Event) => {
            const host = e.currentTarget as Sam2SegmenterElement;
            seen.push({
              state: host.getAttribute('state'),
              now: part(host, 'progress')?.getAttribute('aria-valuenow'),
            });
          }}
        ></sam2-segmenter>`,
      );
      await oneEvent(el, 'ready');
      await el.updateComplete;
      expect(el.getAttribute('state')).to.equal('ready');
      expect(part(el, 'loading')).to.equal(null);
      const during = seen
        .filter((s) => s.state === 'loading' && s.now !== undefined && s.now !== null)
        .map((s) => Number(s.now));
      expect(during.length, JSON.stringify(seen)).to.be.greaterThan(0);
      for (let i = 1; i < during.length; i++) expect(during[i]).to.be.at.least(during[i - 1]!);
      expect(Math.max(...during)).to.be.at.most(100);
    });

    it('error: the message and a retry that loads again; another model recovers', async () => {
      const errors: string[] = [];
      const missing = new URL('/__faults/id=u14-missing,missing/demo/models/sam2-twin/manifest.json', location.href)
        .href;
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter
          device=${testBackend()}
          .wasmPaths=${WASM_PATHS}
          .workerUrl=${WORKER_URL}
          model=${missing}
          src=${url}
          style=${STYLE}
          @error=${(e: CustomEvent<{ code: string }>) => errors.push(e.detail.code)}
        ></sam2-segmenter>`,
      );
      await waitUntil(() => el.getAttribute('state') === 'error', 'no error state', { timeout: 120_000 });
      expect(errors).to.include('model-fetch');
      const box = part(el, 'error')!;
      expect(box.querySelector('[part~="state-text"]')!.textContent!.length).to.be.greaterThan(10);
      const before = errors.length;
      part(el, 'retry')!.click();
      await el.updateComplete;
      expect(el.getAttribute('state')).to.not.equal('error');
      await waitUntil(
        () => errors.length > before && el.getAttribute('state') === 'error',
        'retry did not load again',
        { timeout: 120_000 },
      );
      el.model = undefined;
      await waitUntil(() => el.getAttribute('state') === 'ready', 'the default model did not recover', {
        timeout: 120_000,
      });
    });
  });

  describe('touch', () => {
    it('a tap adds a positive point, a long press a negative one, and the negative tool flips both', async () => {
      const el = await mount(url, STYLE);
      const prompts = controllerOf(el, PromptController);
      const d = await nextMask(el, () => touch({ type: 'tap', position: clientPoint(el, natural, ...centres[1]!) }));
      expect(prompts.current!.points.map((p) => p.label)).to.deep.equal(['positive']);
      expect(iou(d.mask.data, scene.truth(1))).to.be.at.least(0.9);
      await nextMask(el, () => touch({ type: 'press', position: clientPoint(el, natural, 30, 180), ms: 800 }));
      expect(prompts.current!.points.map((p) => p.label)).to.deep.equal(['positive', 'negative']);
      el.tool = 'negative';
      await el.updateComplete;
      await nextMask(el, () => touch({ type: 'tap', position: clientPoint(el, natural, 380, 10) }));
      expect(prompts.current!.points.at(-1)!.label).to.equal('negative');
    });

    it('the box tool draws a box with one finger', async () => {
      const el = await mount(url, STYLE);
      el.tool = 'box';
      await el.updateComplete;
      const prompts = controllerOf(el, PromptController);
      const d = await nextMask(el, () =>
        touch({
          type: 'drag',
          from: clientPoint(el, natural, 0.45 * W - 6, 0.6 * H - 6),
          to: clientPoint(el, natural, 0.85 * W + 6, 0.85 * H + 6),
        }),
      );
      const box = prompts.current!.box!;
      expect(box.x0).to.be.closeTo(0.45 * W - 6, 2);
      expect(box.y1).to.be.closeTo(0.85 * H + 6, 2);
      expect(iou(d.mask.data, scene.truth(2))).to.be.at.least(0.9);
    });

    it('a swipe that starts on the element scrolls the page and adds no prompt', async () => {
      const el = await mount(url, STYLE);
      // Room to scroll below the element.
      const spacer = document.createElement('div');
      spacer.style.height = '3000px';
      document.body.append(spacer);
      try {
        const prompts = controllerOf(el, PromptController);
        window.scrollTo(0, 0);
        // From near the element's bottom edge, one finger up 250 px (real CDP touch events; the browser decides).
        const start = clientPoint(el, natural, W / 2, H - 10);
        await touch({ type: 'swipe', position: start, dy: 250 });
        await waitUntil(() => window.scrollY > 100, `the page did not scroll (scrollY ${window.scrollY})`, {
          timeout: 10_000,
        });
        // Let the swipe's fling end, so that it cannot move the page during the next gesture.
        let last = -1;
        await waitUntil(
          () => {
            const same = window.scrollY === last;
            last = window.scrollY;
            return same;
          },
          'the scroll did not settle',
          { interval: 250, timeout: 10_000 },
        );
        expect(prompts.length).to.equal(0);
        // The box tool keeps one-finger drags for itself: an up-and-right drag draws a box instead of scrolling.
        window.scrollTo(0, 0);
        el.tool = 'box';
        await el.updateComplete;
        const end: [number, number] = [start[0] + 120, start[1] - 150];
        await nextMask(el, () => touch({ type: 'drag', from: start, to: end, steps: 12 }));
        expect(window.scrollY).to.equal(0);
        expect(prompts.current!.box).to.not.equal(null);
      } finally {
        spacer.remove();
        window.scrollTo(0, 0);
      }
    });
  });

  it('several objects: each its own prompts, mask-change and export; combined export is their union', async () => {
    const el = await mount(url, STYLE);
    const a = await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    expect(a.objectId).to.equal(1);
    expect(el.newObject()).to.equal(2);
    expect(el.activeObject).to.equal(2);
    const b = await nextMask(el, () => click(clientPoint(el, natural, ...centres[1]!)));
    expect(b.objectId).to.equal(2);
    expect(iou(el.getMask(1)!.data, scene.truth(0))).to.be.at.least(0.9);
    expect(iou(el.getMask(2)!.data, scene.truth(1))).to.be.at.least(0.9);
    expect(el.getCombinedMask()!.area).to.equal(el.getMask(1)!.area + el.getMask(2)!.area);
    // Prompts go back to object 1: undo there leaves object 2 alone.
    el.activeObject = 1;
    const cleared = await nextMask(el, () => el.undo());
    expect([cleared.objectId, cleared.mask.area]).to.deep.equal([1, 0]);
    expect(el.getMask(2)!.area).to.be.greaterThan(0);
    expect(el.objects).to.deep.equal([1, 2]);
  });

  it('strings: a host replaces the help, the announcements and the empty state; the rest stay English', async () => {
    const el = await mount(url, STYLE);
    el.strings = {
      help: 'Klicken Sie auf ein Objekt.',
      maskUpdated: (area, id) => `Objekt ${id}: ${area} Pixel`,
      empty: 'Noch kein Bild',
    };
    await el.updateComplete;
    const help = el.shadowRoot!.querySelector('#help')!;
    expect(help.textContent).to.equal('Klicken Sie auf ein Objekt.');
    const d = await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    const status = el.shadowRoot!.querySelector('[role="status"]')!;
    await waitUntil(() => status.textContent?.includes(`Objekt 1: ${d.mask.area} Pixel`), 'the announcement');
    // Strings not given stay English (undo back to the first prompt's mask).
    await nextMask(el, () => click(clientPoint(el, natural, ...centres[1]!)));
    await nextMask(el, () => el.undo());
    await waitUntil(() => status.textContent?.includes('Undone'), 'the English undo announcement');
    el.removeAttribute('src');
    await el.updateComplete;
    await waitUntil(() => part(el, 'empty')?.textContent?.includes('Noch kein Bild'), 'the empty state');
  });

  it('redo brings back an undone prompt; a new prompt ends the redo stack', async () => {
    const el = await mount(url, STYLE);
    const prompts = controllerOf(el, PromptController);
    await nextMask(el, () => click(clientPoint(el, natural, ...centres[2]!)));
    const two = await nextMask(el, () => click(clientPoint(el, natural, ...centres[1]!)));
    await nextMask(el, () => el.undo());
    expect(prompts.length).to.equal(1);
    const back = await nextMask(el, () => el.redo());
    expect(prompts.length).to.equal(2);
    expect(back.mask.area).to.equal(two.mask.area);
    await nextMask(el, () => el.undo());
    await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    expect(prompts.redoLength).to.equal(0);
    // Keyboard parity: Ctrl+Z undoes, Ctrl+Y redoes.
    el.shadowRoot!.querySelector<HTMLElement>('[part="base"]')!.focus();
    const withCtrl = async (key: string): Promise<void> => {
      await sendKeys({ down: 'Control' });
      try {
        await sendKeys({ press: key });
      } finally {
        await sendKeys({ up: 'Control' });
      }
    };
    await nextMask(el, () => withCtrl('z'));
    await nextMask(el, () => withCtrl('y'));
    expect(prompts.length).to.equal(2);
  });

  it("SAM's numeric labels: 1/0 points and a 2/3 corner pair as the box", async () => {
    const el = await mount(url, STYLE);
    const d = await el.segment({
      points: [
        { x: centres[1]![0], y: centres[1]![1], label: 1 },
        { x: 5, y: 5, label: 0 },
      ],
    });
    expect(iou(d.mask.data, scene.truth(1))).to.be.at.least(0.9);
    const prompts = controllerOf(el, PromptController);
    expect(prompts.current!.points.map((p) => p.label)).to.deep.equal(['positive', 'negative']);
    const b = await el.segment({
      points: [
        { x: 0.45 * W - 4, y: 0.6 * H - 4, label: 2 },
        { x: 0.85 * W + 4, y: 0.85 * H + 4, label: 3 },
      ],
    });
    expect(iou(b.mask.data, scene.truth(2))).to.be.at.least(0.9);
    let code = '';
    await el.segment({ points: [{ x: 1, y: 1, label: 2 }] }).catch((e: { code: string }) => (code = e.code));
    expect(code).to.equal('invalid-prompt');
  });

  it('controls: the tool buttons set the tool, undo/redo/new object work by keyboard, and the shadow DOM stays accessible', async () => {
    const el = await mount(url, STYLE);
    el.controls = true;
    await el.updateComplete;
    const exclude = [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="tool"]')][1]!;
    exclude.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.tool).to.equal('negative');
    expect(exclude.getAttribute('aria-pressed')).to.equal('true');
    el.tool = 'positive';
    await nextMask(el, () => click(clientPoint(el, natural, ...centres[0]!)));
    await el.updateComplete;
    part(el, 'new-object')!.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.activeObject).to.equal(2);
    const select = part(el, 'object-select') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).to.deep.equal(['1', '2']);
    await expect(el).shadowDom.to.be.accessible();
  });

  it('image-encoded reports the worker timings of the encode', async () => {
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter
        device=${testBackend()}
        .wasmPaths=${WASM_PATHS}
        .workerUrl=${WORKER_URL}
        style=${STYLE}
      ></sam2-segmenter>`,
    );
    const encoded = oneEvent(el, 'image-encoded');
    el.src = url;
    const { detail } = await encoded;
    expect([detail.width, detail.height]).to.deep.equal([W, H]);
    expect(detail.timings.encode).to.be.above(0);
    expect(detail.timings.total).to.be.at.least(detail.timings.encode + detail.timings.preprocess);
  });
});
