// Fault suite, the worker: a wrapper that starts listening late, a worker that closes itself silently, and retries
// after a failed load. Each case ends with a health check.

import { expect } from '@open-wc/testing';
import { createSegmenter, type SegmenterOptions } from '../../src/client/segmenter.js';
import {
  ORT_DIR,
  TWIN,
  count,
  faultCase,
  faultUrl,
  healthCheck,
  rejects,
  reportFigures,
  resolves,
  stats,
  uid,
} from './fault-kit.js';
import { objectsScene } from '../browser/helpers/scenes.js';

after(() => reportFigures('worker'));

const model = (): string => new URL(`/${TWIN}`, location.href).href;
const seg = (o: SegmenterOptions) => createSegmenter({ device: 'wasm', model: model(), ...o });

describe('faults: worker', function () {
  this.timeout(900_000);

  it('#9 a wrapper worker that imports ours after a top-level await still gets the first message (handshake)', () =>
    faultCase(async () => {
      const s = seg({ workerUrl: new URL('/test/faults/fixtures/late.worker.ts', location.href) });
      await resolves(s.ready, 'load through a late wrapper');
      await healthCheck(s);
      s.dispose();
    }));

  it('#9 a worker that closes itself silently fails the call with worker-crashed, and the next call restarts it', () =>
    faultCase(async () => {
      const s = seg({ workerUrl: new URL('/test/faults/fixtures/closing.worker.ts?close=segment', location.href) });
      await resolves(s.ready, 'load');
      const { scene, centres } = objectsScene(320, 240);
      await resolves(s.setImage(scene.canvas), 'setImage');
      const [x, y] = centres[0]!;
      // Seconds, not the watchdog's two minutes: the worker's lifetime lock is released when it closes.
      const e = await rejects(
        s.segment({ points: [{ x, y, label: 'positive' }] }),
        'segment on a closed worker',
        30_000,
      );
      expect(e.code, e.message).to.equal('worker-crashed');
      s.dispose();
      await healthCheck();
    }));

  it("#9 retrying after a failed load does not download ORT's .wasm again", () =>
    faultCase(async () => {
      const id = uid();
      const wasmPaths = faultUrl(`id=${id}`, ORT_DIR);
      const s = createSegmenter({
        device: 'wasm',
        model: faultUrl(`id=${id},only=manifest.json,missing`, TWIN),
        wasmPaths,
      });
      for (let i = 0; i < 3; i++) {
        const e = await rejects(s.ready, `failed load ${i + 1}`);
        expect(e.code).to.equal('model-fetch');
      }
      s.dispose();
      const st = await stats(id);
      expect(
        count(st, (p) => p.endsWith('.json')),
        JSON.stringify(st),
      ).to.equal(3);
      expect(
        count(st, (p) => p.endsWith('.wasm')),
        JSON.stringify(st),
      ).to.be.at.most(1);
      await healthCheck();
    }));
});
