// The built package as a host page gets it: one import of dist/sam2-segmenter.js and nothing else (no worker,
// wasm or model options), then a click segments. `npm test` builds dist/ before the browser tests.
import { expect } from '@open-wc/testing';
import { testBackend } from './helpers/backend.js';
import { drawScene, iou } from './helpers/scenes.js';

const backend = testBackend();

describe(`dist/sam2-segmenter.js on its own (${backend})`, () => {
  it('registers the element, loads the bundled twin from beside itself and segments a click', async () => {
    const mod = (await import(new URL('/dist/sam2-segmenter.js', location.href).href)) as Record<string, unknown>;
    expect(mod['createSegmenter']).to.be.a('function');
    expect(customElements.get('sam2-segmenter')).to.equal(mod['Sam2SegmenterElement']);

    const scene = drawScene(640, 360, '#ffffff', [{ kind: 'rect', x: 120, y: 80, w: 200, h: 150, color: '#d81e1e' }]);
    const el = document.createElement('sam2-segmenter') as HTMLElement & { device: string; source: unknown };
    el.device = backend;
    el.style.cssText = 'display:block;width:640px;height:360px';
    const ready = new Promise<CustomEvent>((r) =>
      el.addEventListener('ready', (e) => r(e as CustomEvent), { once: true }),
    );
    el.source = scene.canvas;
    document.body.append(el);
    const info = (await ready).detail as { backend: string };
    expect(info.backend).to.equal(backend);

    const stage = el.shadowRoot!.querySelector<HTMLElement>('[part="base"]')!;
    const rect = stage.getBoundingClientRect();
    const at = {
      clientX: rect.left + 220,
      clientY: rect.top + 155,
      bubbles: true,
      composed: true,
      isPrimary: true,
      pointerId: 1,
      button: 0,
    };
    const changed = new Promise<CustomEvent>((r) =>
      el.addEventListener('mask-change', (e) => r(e as CustomEvent), { once: true }),
    );
    stage.dispatchEvent(new PointerEvent('pointerdown', at));
    stage.dispatchEvent(new PointerEvent('pointerup', at));
    const detail = (await changed).detail as { mask: { width: number; height: number; data: Uint8Array } };
    expect([detail.mask.width, detail.mask.height]).to.deep.equal([640, 360]);
    expect(iou(detail.mask.data, scene.truth(0))).to.be.at.least(0.9);
    el.remove();
  });
});
