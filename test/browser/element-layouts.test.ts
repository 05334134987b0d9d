// `element.track()` on the twin of each public video export layout (issue 11): A (SAM 2.1 fixed bank at 1024),
// B at 512 (fp16 inside) and C (EdgeTAM, dynamic memory, through its preset and sidecar). The element's own video,
// two squares as two objects, one of them hidden for two frames (absent, then found), one encoder pass per frame for
// both. (Identical squares that never swap are the tracker suite's, per layout.)
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import type { Sam2ErrorEvent, Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';
import type { TrackFrame, TrackSummary } from '../../src/client/tracking-session.js';
import { WASM_PATHS, WORKER_URL } from './helpers/element-input.js';
import { testBackend } from './helpers/backend.js';
import { drawScene, iou, RED, type Shape } from './helpers/scenes.js';
import { TWIN_A, TWIN_B512 } from './helpers/layouts.js';
import { makeClip } from '../../tools/clips/synthetic-clip.js';

const backend = testBackend();
const W = 320;
const H = 240;
const SIDE = 48;
const N = 10;
const HIDDEN = new Set([5, 6]);

type Sq = { x: number; y: number };
const one = (i: number): Sq => ({ x: 10 + 14 * i, y: 30 });
const two = (i: number): Sq => ({ x: 262 - 14 * i, y: 160 });
const square = (s: Sq, color = RED): Shape => ({ kind: 'rect', x: s.x, y: s.y, w: SIDE, h: SIDE, color });
/** Frame i: object 1 (red) on the top row, object 2 (blue) on the bottom row; a grey cover over 1 on hidden frames. */
function scene(i: number) {
  const shapes = [square(one(i)), square(two(i), '#1e3cd8')];
  if (HIDDEN.has(i)) shapes.push({ kind: 'rect', x: one(i).x - 20, y: one(i).y - 20, w: 88, h: 88, color: '#808080' });
  return drawScene(W, H, '#ffffff', shapes);
}
const centre = (s: Sq) => ({ x: s.x + SIDE / 2, y: s.y + SIDE / 2 });

const layouts: [string, string][] = [
  ['A', TWIN_A],
  ['B512', TWIN_B512],
  ['C', 'edgetam-video-twin-c'],
];

describe(`element.track() on each video export layout (${backend})`, function () {
  this.timeout(900_000);
  let url = '';
  before(async () => {
    const clip = await makeClip({
      width: W,
      height: H,
      fps: 30,
      frames: N,
      draw: (ctx, i) => ctx.drawImage(scene(i).canvas, 0, 0),
    });
    url = URL.createObjectURL(clip.blob);
  });
  after(() => URL.revokeObjectURL(url));

  for (const [name, model] of layouts) {
    it(`layout ${name}: two objects, one hidden and found again, one encoder pass per frame`, async () => {
      const errors: string[] = [];
      const el = await fixture<Sam2SegmenterElement>(
        html`<sam2-segmenter
          style="width: 320px; height: 240px"
          device=${backend}
          model=${model}
          .wasmPaths=${WASM_PATHS}
          .workerUrl=${WORKER_URL}
          src=${url}
          @error=${(e: Sam2ErrorEvent) => errors.push(`${e.detail.code}: ${e.detail.message}`)}
        ></sam2-segmenter>`,
      );
      await waitUntil(() => (el.video?.readyState ?? 0) >= 2, 'the video did not load', { timeout: 90_000 });
      const frames: TrackFrame[] = [];
      el.addEventListener('track-frame', (e) => frames.push(e.detail));
      const ended = oneEvent(el, 'track-end');
      el.track(null, {
        prompts: [
          { frame: 0, objectId: 1, points: [{ ...centre(one(0)), label: 'positive' }] },
          { frame: 0, objectId: 2, points: [{ ...centre(two(0)), label: 'positive' }] },
        ],
      });
      const summary = (await ended).detail as TrackSummary;
      expect(errors).to.deep.equal([]);
      expect(summary.reason).to.equal('completed');
      expect(summary.source).to.equal('demux');
      expect(frames.map((f) => f.frame)).to.deep.equal([...Array(N).keys()]);
      const worst = { one: 1, two: 1 };
      for (const f of frames) {
        const truth = scene(f.frame);
        const [a, b] = [1, 2].map((id) => f.objects.find((o) => o.objectId === id)!);
        if (HIDDEN.has(f.frame)) {
          expect(a!.present, `object 1 hidden on frame ${f.frame}`).to.equal(false);
          expect(a!.mask.area).to.equal(0);
        } else {
          expect(a!.present, `object 1 on frame ${f.frame}`).to.equal(true);
          worst.one = Math.min(worst.one, iou(a!.mask.data, truth.truth(0)));
        }
        worst.two = Math.min(worst.two, iou(b!.mask.data, truth.truth(1)));
      }
      console.log(
        `[element layouts ${backend}] ${name}: worst IoU ${worst.one.toFixed(3)} / ${worst.two.toFixed(3)}, ` +
          `${summary.fps.toFixed(2)} frames/s`,
      );
      expect(worst.one, 'object 1 worst IoU').to.be.at.least(0.85);
      expect(worst.two, 'object 2 worst IoU').to.be.at.least(0.85);
      expect(summary.stats!.timings.imageEncoder.calls, 'one encoder pass per frame for both objects').to.equal(N);
      el.remove();
    });
  }
});
