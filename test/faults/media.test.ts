// Fault suite, media that never loads: track() on a <video> without a source, with a URL whose server never answers,
// or one that fails, ends with a coded error instead of a `finished` that never settles.

import { expect } from '@open-wc/testing';
import { createSegmenter } from '../../src/client/segmenter.js';
import { trackVideo } from '../../src/client/tracking-session.js';
import { TWIN, faultCase, faultUrl, healthCheck, rejects, reportFigures, resolves, uid } from './fault-kit.js';

after(() => reportFigures('media'));

const prompts = [{ frame: 0, points: [{ x: 10, y: 10, label: 'positive' as const }] }];

describe('faults: media', function () {
  this.timeout(600_000);

  it('#5 track() on a <video> that never loads settles: no source, a 404', () =>
    faultCase(async () => {
      const s = createSegmenter({ device: 'wasm', model: new URL(`/${TWIN}`, location.href).href });
      await resolves(s.ready, 'load');
      const id = uid();
      const cases: [string, string | null][] = [
        ['no source', null],
        ['404', faultUrl(`id=${id},missing`, 'clip.webm')],
        // The worker's demux fetch gives up after its stall bound, then the <video> path's load wait gives up too.
        ['a server that never answers', faultUrl(`id=${id},hang`, 'clip.webm')],
        // Half the file, then silence: the worker's read stalls, and so do the <video>'s seeks into the missing half.
        ['a server that stops mid-file', faultUrl(`id=${id},stall`, 'test/faults/fixtures/small-clip.webm')],
      ];
      for (const [what, src] of cases) {
        const video = document.createElement('video');
        video.muted = true;
        if (src) video.src = src;
        document.body.append(video);
        try {
          const session = trackVideo(s, video, { prompts });
          const e = await rejects(session.finished, `track() on a video with ${what}`, 60_000);
          expect(['media-decode', 'media-cross-origin'], `${what}: ${e.code} ${e.message}`).to.include(e.code);
        } finally {
          video.remove();
          // Ends the element's own request (a hanging one would hold a connection of the page).
          video.removeAttribute('src');
          video.load();
        }
      }
      await healthCheck(s);
      s.dispose();
    }));
});
