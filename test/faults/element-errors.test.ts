// Fault suite, the element's `error` events: each fault the element meets fires exactly one `error` event with the
// fault's code (not zero: the host would never hear of it; not two: a host that shows a toast per error shows two).
// Each case ends with a health check on an element.

import { expect } from '@open-wc/testing';
import '../../src/components/sam2-segmenter.js';
import type {
  Sam2ErrorDetail,
  Sam2MaskChangeDetail,
  Sam2SegmenterElement,
} from '../../src/components/sam2-segmenter.js';
import { iou, objectsScene } from '../browser/helpers/scenes.js';
import { TWIN, faultCase, faultUrl, otherOrigin, rejects, reportFigures, resolves, uid } from './fault-kit.js';
import { element } from './element-kit.js';

after(() => reportFigures('element-errors'));

/** Time given to a second, wrong `error` event to arrive after the first. */
const GRACE_MS = 1500;

/** Records the codes of `el`'s `error` events; `first` resolves with the first one. */
function errorsOf(el: Sam2SegmenterElement): { codes: string[]; first: Promise<string> } {
  const codes: string[] = [];
  const first = new Promise<string>((resolve) =>
    el.addEventListener('error', (e) => {
      const code = (e as CustomEvent<Sam2ErrorDetail>).detail.code;
      codes.push(code);
      resolve(code);
    }),
  );
  return { codes, first };
}

const grace = () => new Promise((r) => setTimeout(r, GRACE_MS));

/** One click on a known object of a fresh scene, on a fresh element: the page is still healthy. */
async function elementHealth(el = element()): Promise<void> {
  const own = !el.isConnected;
  if (own) document.body.append(el);
  try {
    const { scene, centres } = objectsScene(320, 240);
    el.source = scene.canvas;
    const [x, y] = centres[0]!;
    const d: Sam2MaskChangeDetail = await resolves(
      el.segment({ points: [{ x, y, label: 'positive' }] }),
      'element health segment',
    );
    const px = d.mask.toImageData().data;
    const m = new Uint8Array(d.mask.width * d.mask.height);
    for (let i = 0; i < m.length; i++) m[i] = px[i * 4 + 3]! > 0 ? 1 : 0;
    expect(iou(m, scene.truth(0))).to.be.at.least(0.9);
  } finally {
    if (own) el.remove();
  }
}

describe('faults: one error event per fault', function () {
  this.timeout(900_000);

  it('a model that is not on the server: one model-fetch error, for the load and the call that waited on it', () =>
    faultCase(async () => {
      const el = element();
      el.model = faultUrl(`id=${uid()},missing`, TWIN);
      const errors = errorsOf(el);
      document.body.append(el);
      try {
        const { scene, centres } = objectsScene(320, 240);
        el.source = scene.canvas;
        const [x, y] = centres[0]!;
        const e = await rejects(el.segment({ points: [{ x, y, label: 'positive' }] }), 'segment without a model');
        expect(e.code, e.message).to.equal('model-fetch');
        await resolves(errors.first, 'error event');
        await grace();
        expect(errors.codes).to.deep.equal(['model-fetch']);
        el.model = new URL(`/${TWIN}`, location.href).href;
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));

  it('a tainted canvas as source: one media-cross-origin error, for the early encode and the call alike', () =>
    faultCase(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const remote = new Image();
      remote.src = otherOrigin('/test/faults/fixtures/tiny.png');
      await remote.decode();
      canvas.getContext('2d')!.drawImage(remote, 0, 0);
      const el = element();
      const errors = errorsOf(el);
      document.body.append(el);
      try {
        el.source = canvas;
        const e = await rejects(el.segment({ points: [{ x: 10, y: 10, label: 'positive' }] }), 'tainted segment');
        expect(e.code, e.message).to.equal('media-cross-origin');
        await grace();
        expect(errors.codes).to.deep.equal(['media-cross-origin']);
        await elementHealth(el);
      } finally {
        el.remove();
      }
    }));

  it('a worker that closes itself during a click: one worker-crashed error, within seconds', () =>
    faultCase(async () => {
      const el = element(new URL('/test/faults/fixtures/closing.worker.ts?close=segment', location.href).href);
      const errors = errorsOf(el);
      document.body.append(el);
      try {
        await resolves(el.preload(), 'load');
        const { scene, centres } = objectsScene(320, 240);
        el.source = scene.canvas;
        const [x, y] = centres[0]!;
        // The worker's lifetime lock tells the page at once; the watchdog's two minutes are not the bound.
        const e = await rejects(
          el.segment({ points: [{ x, y, label: 'positive' }] }),
          'segment, worker closes',
          20_000,
        );
        expect(e.code, e.message).to.equal('worker-crashed');
        await grace();
        expect(errors.codes).to.deep.equal(['worker-crashed']);
      } finally {
        el.remove();
      }
      await elementHealth();
    }));

  it('track() on a video that is not on the server: one media-decode error', () =>
    faultCase(async () => {
      const el = element();
      const errors = errorsOf(el);
      document.body.append(el);
      const video = document.createElement('video');
      video.muted = true;
      video.src = faultUrl(`id=${uid()},missing`, 'clip.webm');
      document.body.append(video);
      try {
        await resolves(el.preload(), 'load');
        const session = el.track(video, { prompts: [{ frame: 0, points: [{ x: 10, y: 10, label: 'positive' }] }] });
        const e = await rejects(session.finished, 'track() on a 404', 60_000);
        expect(['media-decode', 'media-cross-origin'], e.message).to.include(e.code);
        await grace();
        expect(errors.codes).to.deep.equal([e.code]);
        await elementHealth(el);
      } finally {
        video.remove();
        el.remove();
      }
    }));
});
