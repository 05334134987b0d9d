// TrackingController in the real element on the video twin: track() over the element's own video fires
// mask-change/track-frame/track-end, and once done, seeking the paused video replays the recorded masks of the
// shown frame on the overlay (where the object was on that frame, not where it was prompted).
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { TrackingController } from '../../../src/components/controllers/tracking-controller.js';
import type { Sam2ErrorEvent, Sam2SegmenterElement } from '../../../src/components/sam2-segmenter.js';
import { testBackend } from '../helpers/backend.js';
import { controllerOf } from '../helpers/element-hooks.js';
import { WASM_PATHS, WORKER_URL } from '../helpers/element-input.js';
import { drawScene, iou, RED } from '../helpers/scenes.js';
import { makeClip } from '../../../tools/clips/synthetic-clip.js';

const backend = testBackend();
const VIDEO_MANIFEST = new URL('/demo/models/sam2-twin/manifest.json', location.href).href;
const W = 320;
const H = 240;
const SIDE = 48;
const N = 4;
/** The square's top-left corner on frame i: 24 px further right each frame (the tracker's usual step). */
const sq = (i: number) => ({ x: 20 + 24 * i, y: 90 });
const centre = (i: number) => ({ x: sq(i).x + SIDE / 2, y: sq(i).y + SIDE / 2 });
const scene = (i: number) => drawScene(W, H, '#ffffff', [{ kind: 'rect', ...sq(i), w: SIDE, h: SIDE, color: RED }]);

describe('TrackingController', function () {
  this.timeout(600_000);

  it('tracks the element video, then replays the recorded mask of each frame the paused video is seeked to', async () => {
    const clip = await makeClip({
      width: W,
      height: H,
      fps: 30,
      frames: N,
      draw: (ctx, i) => ctx.drawImage(scene(i).canvas, 0, 0),
    });
    const url = URL.createObjectURL(clip.blob);
    const errors: string[] = [];
    const el = await fixture<Sam2SegmenterElement>(
      html`<sam2-segmenter
        style="width: 320px; height: 240px"
        device=${backend}
        model=${VIDEO_MANIFEST}
        .wasmPaths=${WASM_PATHS}
        .workerUrl=${WORKER_URL}
        src=${url}
        @error=${(e: Sam2ErrorEvent) => errors.push(e.detail.code)}
      ></sam2-segmenter>`,
    );
    await waitUntil(() => (el.video?.readyState ?? 0) >= 2, 'the video did not load', { timeout: 90_000 });
    await el.preload();
    const tracking = controllerOf(el, TrackingController);

    const frames: number[] = [];
    el.addEventListener('track-frame', (e) => {
      frames.push(e.detail.frame);
      expect(
        iou(e.detail.objects[0]!.mask.data, scene(e.detail.frame).truth(0)),
        `frame ${e.detail.frame}`,
      ).to.be.at.least(0.85);
    });
    const ended = oneEvent(el, 'track-end');
    el.track(null, { prompts: [{ frame: 0, points: [{ ...centre(0), label: 'positive' }] }] });
    expect(tracking.driving).to.equal(true);
    expect((await ended).detail.reason).to.equal('completed');
    expect(frames).to.deep.equal([...Array(N).keys()]);
    expect(tracking.driving).to.equal(false);

    const overlay = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas[part="overlay"]')!;
    const painted = (p: { x: number; y: number }) => {
      const r = overlay.getBoundingClientRect();
      const x = Math.floor((p.x / W) * r.width * (overlay.width / r.width));
      const y = Math.floor((p.y / H) * r.height * (overlay.height / r.height));
      return overlay.getContext('2d')!.getImageData(x, y, 1, 1).data[3]! > 0;
    };
    // Frames 3 and 2: the square has left the prompt's place (it is back there on frame 0 only).
    for (const f of [N - 1, 2]) {
      el.video!.currentTime = (f + 0.5) / 30;
      await oneEvent(el.video!, 'seeked');
      await waitUntil(() => painted(centre(f)), `recorded mask of frame ${f} drawn`, { timeout: 20_000 });
      expect(painted(centre(0)), `frame ${f}: nothing at the prompt's place`).to.equal(false);
    }
    expect(errors).to.deep.equal([]);
    el.remove();
    URL.revokeObjectURL(url);
  });
});
