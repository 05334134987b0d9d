// Fault suite, error codes: one mapper turns platform errors into our codes, a code-less error is `internal`, and
// media the page may not read is `media-cross-origin` however it fails.

import { expect } from '@open-wc/testing';
import { createSegmenter } from '../../src/client/segmenter.js';
import { Sam2Error, fromWireError, toSam2Error, type ErrorContext } from '../../src/shared/errors.js';
import { TWIN, faultCase, healthCheck, otherOrigin, rejects, reportFigures, resolves } from './fault-kit.js';

after(() => reportFigures('errors'));

describe('faults: error codes', function () {
  this.timeout(300_000);

  it('#8 maps platform errors by name and context; a code-less error is internal, never invalid-prompt', () =>
    faultCase(async () => {
      const cases: [unknown, ErrorContext, string][] = [
        [new DOMException('tainted', 'SecurityError'), 'media', 'media-cross-origin'],
        [new DOMException('could not clone', 'DataCloneError'), 'media', 'media-cross-origin'],
        [new DOMException('full', 'QuotaExceededError'), 'storage', 'storage'],
        [new DOMException('full', 'QuotaExceededError'), 'model', 'storage'],
        [new DOMException('codec', 'NotSupportedError'), 'media', 'media-decode'],
        [new DOMException('bad', 'EncodingError'), 'media', 'media-decode'],
        [new DOMException('stop', 'AbortError'), 'call', 'aborted'],
        [new TypeError('Failed to fetch'), 'model', 'model-fetch'],
        [new TypeError('Failed to fetch'), 'media', 'media-decode'],
        [new TypeError("Cannot read properties of null (reading 'contract')"), 'call', 'internal'],
        [new Error('something else'), 'call', 'internal'],
        ['a string', 'media', 'internal'],
        [new Sam2Error('invalid-prompt', 'kept'), 'media', 'invalid-prompt'],
      ];
      for (const [e, context, code] of cases) {
        const mapped = toSam2Error(e, context);
        expect(mapped, `${String(e)} in ${context}`).to.be.instanceOf(Sam2Error);
        expect(mapped.code, `${String(e)} in ${context}`).to.equal(code);
      }
      // A worker error without a code comes back as internal, its name kept in the message.
      const w = fromWireError({ name: 'TypeError', message: "Cannot read properties of null (reading 'x')" });
      expect(w.code).to.equal('internal');
      expect(w.message).to.match(/^TypeError: /);
    }));

  it('#8 a tainted canvas given to setImage rejects with media-cross-origin, once', () =>
    faultCase(async () => {
      // An image from the other origin, served without CORS, taints the canvas it is drawn on.
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const remote = new Image();
      remote.src = otherOrigin('/test/faults/fixtures/tiny.png');
      await remote.decode();
      canvas.getContext('2d')!.drawImage(remote, 0, 0);
      expect(() => canvas.getContext('2d')!.getImageData(0, 0, 1, 1)).to.throw();
      const s = createSegmenter({ device: 'wasm', model: new URL(`/${TWIN}`, location.href).href });
      await resolves(s.ready, 'load');
      const e = await rejects(s.setImage(canvas), 'tainted setImage');
      expect(e.code, e.message).to.equal('media-cross-origin');
      await healthCheck(s);
      s.dispose();
    }));
});
