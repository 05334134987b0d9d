// A worker URL on another origin (the package loaded from a CDN without the one-line shim): browsers refuse to start
// it. The segmenter rejects with `backend-unavailable` and a message naming the shim, the element fires one `error`
// with that code, nothing is thrown uncaught, and a same-origin URL afterwards works.
import { expect, oneEvent } from '@open-wc/testing';
import '../../src/components/sam2-segmenter.js';
import { createSegmenter } from '../../src/client/segmenter.js';
import { testBackend } from './helpers/backend.js';
import { rejection } from './helpers/rejection.js';
import { drawScene } from './helpers/scenes.js';

const backend = testBackend();
// Same host, another port: another origin. Nothing needs to listen there, the browser refuses before any request.
const crossOrigin = (): string =>
  `${location.protocol}//${location.hostname}:${Number(location.port) === 1 ? 2 : 1}/sam2.worker.js`;

describe(`worker on another origin (${backend})`, () => {
  const uncaught: unknown[] = [];
  const onRejection = (e: PromiseRejectionEvent) => uncaught.push(e.reason);
  const onError = (e: ErrorEvent) => uncaught.push(e.error ?? e.message);
  beforeEach(() => {
    uncaught.length = 0;
    addEventListener('unhandledrejection', onRejection);
    addEventListener('error', onError);
  });
  afterEach(() => {
    removeEventListener('unhandledrejection', onRejection);
    removeEventListener('error', onError);
  });

  it('createSegmenter rejects with backend-unavailable naming the shim, then a same-origin worker loads', async () => {
    const url = crossOrigin();
    const seg = createSegmenter({ device: backend, workerUrl: url });
    const scene = drawScene(64, 48, '#ffffff', [{ kind: 'rect', x: 8, y: 8, w: 20, h: 20, color: '#d81e1e' }]);
    const err = await rejection(seg.setImage(scene.canvas));
    expect(err.code).to.equal('backend-unavailable');
    expect(err.message).to.include(`import '${url}';`);
    // The URL is fixed for this segmenter: later calls fail with the same error, typed.
    expect(await rejection(seg.segment({ points: [{ x: 10, y: 10, label: 'positive' }] }))).to.equal(err);
    seg.dispose();

    const ok = createSegmenter({ device: backend });
    expect((await ok.setImage(scene.canvas)).width).to.equal(64);
    ok.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(uncaught, String(uncaught)).to.deep.equal([]);
  });

  it('the element fires one error with backend-unavailable and nothing is thrown uncaught', async () => {
    const scene = drawScene(64, 48, '#ffffff', [{ kind: 'rect', x: 8, y: 8, w: 20, h: 20, color: '#d81e1e' }]);
    const el = document.createElement('sam2-segmenter');
    el.device = backend;
    el.workerUrl = crossOrigin();
    el.source = scene.canvas;
    const errors: string[] = [];
    el.addEventListener('error', (e) => errors.push(e.detail.code));
    const first = oneEvent(el, 'error');
    document.body.append(el);
    await first;
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).to.deep.equal(['backend-unavailable']);
    expect(uncaught, String(uncaught)).to.deep.equal([]);
    el.remove();
  });
});
