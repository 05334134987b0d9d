// OverlayController on a minimal host: a mask bitmap is drawn tinted with --sam2-mask-color exactly over the
// media's content rectangle (object-fit: contain letterboxes it), prompt markers are drawn at their natural-pixel
// positions, and client points map back to natural pixels.
import { expect, fixture, html } from '@open-wc/testing';
import { drawScene } from '../helpers/scenes.js';
import type { MediaHost } from './hosts.js';
import type { MaskOverlay } from '../../../src/shared/types.js';
import './hosts.js';

const W = 200;
const H = 100;

/** A rectangular mask as the worker draws it: an opaque alpha bitmap of its box only, placed by `bbox`. */
async function rectMask(x: number, y: number, w: number, h: number): Promise<MaskOverlay> {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  return { bitmap: await createImageBitmap(c), bbox: [x, y, w, h] };
}

/** Overlay RGBA at a natural-pixel point (the host is 320×240 CSS px; the 200×100 media is letterboxed). */
function pixel(host: MediaHost, nx: number, ny: number): number[] {
  const overlay = host.shadowRoot!.querySelector('canvas[part="overlay"]') as HTMLCanvasElement;
  const r = overlay.getBoundingClientRect();
  // contain: scale 1.6, 200×100 → 320×160, centred vertically (40 px bars).
  const cssX = nx * 1.6;
  const cssY = 40 + ny * 1.6;
  const px = Math.floor((cssX / r.width) * overlay.width);
  const py = Math.floor((cssY / r.height) * overlay.height);
  return [...overlay.getContext('2d')!.getImageData(px, py, 1, 1).data];
}

describe('OverlayController', () => {
  let host: MediaHost;
  beforeEach(async () => {
    const scene = drawScene(W, H, '#ffffff', []);
    host = await fixture<MediaHost>(
      html`<test-media-host
        style="--sam2-mask-color: rgb(255, 0, 0); --sam2-mask-opacity: 1; --sam2-outline-width: 0"
        .source=${scene.canvas}
      ></test-media-host>`,
    );
    await host.media.decoding;
    await host.updateComplete;
  });

  it('draws the mask tinted over the letterboxed content rectangle, and clears it', async () => {
    host.overlay.setMask(await rectMask(100, 20, 60, 40));
    host.overlay.draw();
    expect(pixel(host, 130, 40)).to.deep.equal([255, 0, 0, 255]);
    expect(pixel(host, 50, 40)[3]).to.equal(0);
    expect(pixel(host, 130, 80)[3]).to.equal(0);
    host.overlay.setMask(null);
    host.overlay.draw();
    expect(pixel(host, 130, 40)[3]).to.equal(0);
  });

  it('draws the outline around the mask box, beyond the bitmap it places', async () => {
    host.style.setProperty('--sam2-outline-width', '3');
    host.style.setProperty('--sam2-outline-color', 'rgb(0, 0, 255)');
    host.overlay.setMask(await rectMask(100, 20, 60, 40));
    host.overlay.draw();
    expect(pixel(host, 130, 40)).to.deep.equal([255, 0, 0, 255]);
    // One natural pixel (1.6 CSS px) outside each edge lies on the 3 px ring; five pixels out is clear.
    for (const [x, y] of [
      [99, 40],
      [160.5, 40],
      [130, 19],
      [130, 60.5],
    ] as const) {
      expect(pixel(host, x, y), `outline at ${x},${y}`).to.deep.equal([0, 0, 255, 255]);
    }
    expect(pixel(host, 95, 40)[3]).to.equal(0);
    expect(pixel(host, 130, 65)[3]).to.equal(0);
  });

  it('draws prompt markers at their natural-pixel positions (green positive, red negative)', async () => {
    host.overlay.points = [
      { x: 40, y: 50, label: 'positive' },
      { x: 160, y: 50, label: 'negative' },
    ];
    host.overlay.draw();
    // Sample beside the marker's centre, off its +/− stroke.
    const pos = pixel(host, 40 + 2.5, 50 + 2.5);
    const neg = pixel(host, 160 + 2.5, 50 + 2.5);
    expect(pos[3]).to.equal(255);
    expect(pos[1]!).to.be.greaterThan(pos[0]!);
    expect(neg[0]!).to.be.greaterThan(neg[1]!);
    expect(pixel(host, 100, 50)[3]).to.equal(0);
  });

  it('maps client points to natural pixels, with whether they fall on the media', () => {
    const r = host.getBoundingClientRect();
    const p = host.overlay.clientToNatural(r.left + 160, r.top + 120)!;
    expect(p.x).to.be.closeTo(100, 1e-6);
    expect(p.y).to.be.closeTo(50, 1e-6);
    expect(p.inside).to.equal(true);
    expect(host.overlay.clientToNatural(r.left + 160, r.top + 10)!.inside).to.equal(false);
    expect(host.overlay.naturalPerCss().x).to.be.closeTo(1 / 1.6, 1e-6);
  });
});
