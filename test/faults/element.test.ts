// Fault suite, the element: a source set and used in the same task, removal mid-download, the storage warning and the
// undo history after bursts. Each case ends with a health check on the same element.

import { expect } from '@open-wc/testing';
import '../../src/components/sam2-segmenter.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import { BLUE, RED, drawScene, iou, objectsScene } from '../browser/helpers/scenes.js';
import { faultCase, faultUrl, reportFigures, resolves, uid } from './fault-kit.js';
import { element } from './element-kit.js';

after(() => reportFigures('element'));

function maskOf(d: Sam2MaskChangeDetail): Uint8Array {
  const px = d.mask.toImageData().data;
  const m = new Uint8Array(d.mask.width * d.mask.height);
  for (let i = 0; i < m.length; i++) m[i] = px[i * 4 + 3]! > 0 ? 1 : 0;
  return m;
}

/** Codes of `el`'s `error` events: the faults below are absorbed, so each case expects none. */
function errorCodes(el: Sam2SegmenterElement): string[] {
  const codes: string[] = [];
  el.addEventListener('error', (e) => codes.push((e as CustomEvent<{ code: string }>).detail.code));
  return codes;
}

/** One click on a known object of the element's current scene segments it. */
async function elementHealth(el: Sam2SegmenterElement): Promise<void> {
  const { scene, centres } = objectsScene(320, 240);
  el.source = scene.canvas;
  const [x, y] = centres[0]!;
  const d = await resolves(el.segment({ points: [{ x, y, label: 'positive' }] }), 'element health segment');
  expect(iou(maskOf(d), scene.truth(0))).to.be.at.least(0.9);
}

describe('faults: element', function () {
  this.timeout(900_000);

  it('#1 setting source then calling segment() at once uses the new image (first image, and a swap)', () =>
    faultCase(async () => {
      const el = element();
      const errors = errorCodes(el);
      const sizes: string[] = [];
      el.addEventListener('mask-change', (e) =>
        sizes.push(
          `${(e as CustomEvent<Sam2MaskChangeDetail>).detail.mask.width}x${(e as CustomEvent<Sam2MaskChangeDetail>).detail.mask.height}`,
        ),
      );
      document.body.append(el);
      try {
        const a = drawScene(320, 240, '#ffffff', [{ kind: 'rect', x: 40, y: 40, w: 100, h: 80, color: RED }]);
        el.source = a.canvas;
        const da = await resolves(
          el.segment({ points: [{ x: 90, y: 80, label: 'positive' }] }),
          'segment on a first image',
        );
        expect(iou(maskOf(da), a.truth(0))).to.be.at.least(0.9);
        const b = drawScene(400, 300, '#ffffff', [{ kind: 'circle', cx: 300, cy: 200, r: 60, color: BLUE }]);
        el.source = b.canvas;
        const db = await resolves(
          el.segment({ points: [{ x: 300, y: 200, label: 'positive' }] }),
          'segment right after a swap',
        );
        expect(db.mask.width).to.equal(400);
        expect(iou(maskOf(db), b.truth(0))).to.be.at.least(0.9);
        expect(sizes.filter((s) => s === '0x0')).to.deep.equal([]);
        expect(errors, 'error events').to.deep.equal([]);
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));

  it('#6 undo() after a burst of prompts steps back to the last shown mask, not into superseded prompts', () =>
    faultCase(async () => {
      const el = element();
      const errors = errorCodes(el);
      document.body.append(el);
      try {
        const { scene, centres } = objectsScene(320, 240);
        el.source = scene.canvas;
        const [ax, ay] = centres[0]!;
        await resolves(el.segment({ points: [{ x: ax, y: ay, label: 'positive' }] }), 'first prompt');
        const [bx, by] = centres[1]!;
        const burst = Array.from({ length: 20 }, (_, i) =>
          el.segment({ points: [{ x: bx + (i % 5), y: by, label: 'positive' }] }),
        );
        const settled = await resolves(Promise.allSettled(burst), 'burst');
        expect(settled.at(-1)!.status).to.equal('fulfilled');
        const shown = new Promise<Sam2MaskChangeDetail>((r) =>
          el.addEventListener('mask-change', (e) => r((e as CustomEvent<Sam2MaskChangeDetail>).detail), { once: true }),
        );
        await resolves(el.undo(), 'undo');
        const back = await resolves(shown, 'mask after undo');
        expect(iou(maskOf(back), scene.truth(0)), "undo shows the first prompt's object").to.be.at.least(0.9);
        expect(errors, 'superseded prompts are silent').to.deep.equal([]);
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));

  it('#7 elements removed while their src downloads revoke every object URL they made', () =>
    faultCase(async () => {
      const made = new Set<string>();
      const revoked = new Set<string>();
      const create = URL.createObjectURL;
      const revoke = URL.revokeObjectURL;
      // Observing, not replacing: both still do their work.
      URL.createObjectURL = (o: Blob | MediaSource) => {
        const u = create.call(URL, o);
        made.add(u);
        return u;
      };
      URL.revokeObjectURL = (u: string) => {
        revoked.add(u);
        revoke.call(URL, u);
      };
      try {
        const id = uid();
        const errors: string[][] = [];
        for (let i = 0; i < 20; i++) {
          const el = element();
          errors.push(errorCodes(el));
          el.src = faultUrl(`id=${id},wait=800`, 'test/faults/fixtures/tiny.png');
          document.body.append(el);
          await new Promise((r) => setTimeout(r, 20));
          el.remove();
        }
        await new Promise((r) => setTimeout(r, 3000));
        const leaked = [...made].filter((u) => !revoked.has(u));
        expect(leaked, `${leaked.length} of ${made.size} object URLs never revoked`).to.deep.equal([]);
        // A removal aborts the download: silent, not an error.
        expect(errors.flat(), 'error events of removed elements').to.deep.equal([]);
      } finally {
        URL.createObjectURL = create;
        URL.revokeObjectURL = revoke;
      }
      const el = element();
      document.body.append(el);
      try {
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));

  it('#3 the element fires a storage warning when its model cache fails', () =>
    faultCase(async () => {
      // The test worker entry simulates a quota failure of IndexedDB writes in the worker.
      const el = element(new URL(`/test/browser/fixtures/test.worker.ts?fault=quota&tag=${uid()}`, location.href).href);
      el.noCache = false;
      el.model = new URL(`/__faults/id=${uid()}/demo/models/sam2-twin/manifest.json`, location.href).href;
      const errors = errorCodes(el);
      const warnings: string[] = [];
      el.addEventListener('warning', (e) => warnings.push((e as CustomEvent<{ code: string }>).detail.code));
      const ready = new Promise<void>((r) => el.addEventListener('ready', () => r(), { once: true }));
      document.body.append(el);
      try {
        await resolves(ready, 'element ready');
        await new Promise((r) => setTimeout(r, 100));
        expect(warnings).to.deep.equal(['storage']);
        expect(errors, 'a storage failure is a warning, not an error').to.deep.equal([]);
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));
});
