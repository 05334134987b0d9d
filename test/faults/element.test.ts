// Fault suite, the element: a source set and used in the same task, removal mid-download, the storage warning and the
// undo history after bursts. Each case ends with a health check on the same element.

import { expect, waitUntil } from '@open-wc/testing';
import '../../src/components/sam2-segmenter.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import { BLUE, RED, drawScene, iou, objectsScene } from '../browser/helpers/scenes.js';
import { TWIN, faultCase, faultUrl, healthCheck, reportFigures, resolves, uid } from './fault-kit.js';
import { createSegmenter } from '../../src/client/segmenter.js';
import { decodeRle } from '../../src/shared/rle.js';
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

  it('#10 a 4000x3000 canvas: mask, cut-out and RLE at natural size; the page shows it no larger than 2048 px', () =>
    faultCase(async () => {
      const el = element();
      const errors = errorCodes(el);
      document.body.append(el);
      try {
        const big = drawScene(4000, 3000, '#ffffff', [{ kind: 'rect', x: 800, y: 600, w: 1600, h: 1200, color: RED }]);
        el.source = big.canvas;
        const d = await resolves(el.segment({ points: [{ x: 1600, y: 1200, label: 'positive' }] }), 'big segment');
        expect([d.mask.width, d.mask.height]).to.deep.equal([4000, 3000]);
        const truth = big.truth(0);
        expect(iou(d.mask.data, truth)).to.be.at.least(0.9);
        // What the page draws is display-sized: it used to be a 4000x3000 canvas (0.5 s draw, 0.6 s commit).
        const media = el.shadowRoot!.querySelector('canvas[part="media"]') as HTMLCanvasElement;
        await waitUntil(() => media.width !== 300, 'the media canvas shows the image', { timeout: 10_000 });
        expect(Math.max(media.width, media.height)).to.be.at.most(2048);
        expect(media.width / media.height).to.be.closeTo(4 / 3, 0.01);
        // The cut-out is made in the worker from the host's canvas, at natural size.
        const cut = await createImageBitmap(await resolves(d.mask.toCutout(), 'big cut-out'));
        expect([cut.width, cut.height]).to.deep.equal([4000, 3000]);
        const probe = new OffscreenCanvas(1, 1).getContext('2d')!;
        const alphaAt = (x: number, y: number): number => {
          probe.clearRect(0, 0, 1, 1);
          probe.drawImage(cut, x, y, 1, 1, 0, 0, 1, 1);
          return probe.getImageData(0, 0, 1, 1).data[3]!;
        };
        expect(alphaAt(1600, 1200)).to.equal(255);
        expect(alphaAt(200, 200)).to.equal(0);
        cut.close();
        // RLE (read only inside the mask's box) decodes to the same mask.
        const back = decodeRle(d.mask.toRLE());
        let same = true;
        for (let i = 0; i < back.length && same; i++) same = (back[i] !== 0) === (d.mask.data[i] !== 0);
        expect(same, 'RLE round trip').to.equal(true);
        expect(errors, 'error events').to.deep.equal([]);
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));

  it('#10 headless: a 4000x3000 JPEG Blob is decoded in the worker; its mask is natural size, its overlay its box at 1024/4000', () =>
    faultCase(async () => {
      const seg = createSegmenter({ device: 'wasm', model: new URL(`/${TWIN}`, location.href).href });
      try {
        const big = drawScene(4000, 3000, '#ffffff', [{ kind: 'rect', x: 800, y: 600, w: 1600, h: 1200, color: RED }]);
        const jpeg = await new Promise<Blob>((r) => big.canvas.toBlob((b) => r(b!), 'image/jpeg', 0.9));
        const size = await resolves(seg.setImage(jpeg), 'setImage(Blob)');
        expect([size.width, size.height]).to.deep.equal([4000, 3000]);
        const r = await resolves(seg.segment({ points: [{ x: 1600, y: 1200, label: 'positive' }] }), 'segment');
        expect([r.mask.width, r.mask.height]).to.deep.equal([4000, 3000]);
        expect(iou(r.mask.data, big.truth(0))).to.be.at.least(0.9);
        expect(r.overlay, 'overlay bitmap').to.not.equal(undefined);
        // It covers the mask's box only, sampled down as the whole image is to 1024 px (4000 → 1024).
        const [, , bw, bh] = r.mask.bbox;
        expect(bw * bh, 'a box smaller than the image').to.be.below(4000 * 3000 * 0.25);
        expect([r.overlay!.width, r.overlay!.height]).to.deep.equal([
          Math.round((bw * 1024) / 4000),
          Math.round((bh * 1024) / 4000),
        ]);
        r.overlay!.close();
        // Not an image at all: the worker's decode fails with media-decode, and the segmenter still works.
        const err = await seg.setImage(new Blob(['not an image'], { type: 'image/png' })).then(
          () => null,
          (e: unknown) => e as { code?: string },
        );
        expect(err?.code).to.equal('media-decode');
        await healthCheck(seg);
      } finally {
        seg.dispose();
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
