// MediaController on a minimal host: decoding `src`/`source` into the image at natural size, showing it, reporting
// the change, typed errors for bad media, and its object URLs revoked when the host leaves the document (not on a move).
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sceneUrl } from '../helpers/element-input.js';
import { rejection } from '../helpers/rejection.js';
import { BLUE, drawScene } from '../helpers/scenes.js';
import type { MediaHost } from './hosts.js';
import './hosts.js';

const scene = drawScene(200, 100, '#ffffff', [{ kind: 'rect', x: 20, y: 20, w: 40, h: 30, color: BLUE }]);

/** Whether an object URL still resolves. */
async function alive(url: string): Promise<boolean> {
  try {
    await (await fetch(url)).blob();
    return true;
  } catch {
    return false;
  }
}

describe('MediaController', () => {
  it('loads a src: the image at natural size, shown in an <img> on an object URL, and willChange/changed reported', async () => {
    const src = await sceneUrl(scene);
    const host = await fixture<MediaHost>(html`<test-media-host src=${src}></test-media-host>`);
    const bitmap = await host.media.decoding!;
    expect([bitmap.width, bitmap.height]).to.deep.equal([200, 100]);
    expect(host.media.bitmap).to.equal(bitmap);
    expect(host.overlay.natural).to.deep.equal({ width: 200, height: 100 });
    await host.updateComplete;
    const img = host.shadowRoot!.querySelector('img[part="media"]') as HTMLImageElement;
    expect(img.src).to.equal(host.media.objectUrl);
    expect(host.media.objectUrl).to.not.equal(src);
    expect(host.calls).to.deep.equal(['willChange:source', 'changed']);
    URL.revokeObjectURL(src);
  });

  it('draws a canvas source on the media canvas, as a copy', async () => {
    const host = await fixture<MediaHost>(html`<test-media-host .source=${scene.canvas}></test-media-host>`);
    await host.media.decoding;
    await host.updateComplete;
    const canvas = host.shadowRoot!.querySelector('canvas[part="media"]') as HTMLCanvasElement;
    // The canvas shows its own bitmap (a 'bitmaprenderer'), handed over once it is made.
    await waitUntil(() => canvas.width === 200, 'the media canvas shows the image');
    expect([canvas.width, canvas.height]).to.deep.equal([200, 100]);
    const read = new OffscreenCanvas(200, 100).getContext('2d')!;
    read.drawImage(canvas, 0, 0);
    const inside = read.getImageData(30, 30, 1, 1).data;
    const outside = read.getImageData(150, 80, 1, 1).data;
    expect([...inside.slice(0, 3)]).to.deep.equal([0x1e, 0x3c, 0xd8]);
    expect([...outside.slice(0, 3)]).to.deep.equal([255, 255, 255]);
    expect(host.media.objectUrl).to.equal(null);
  });

  it('rejects undecodable bytes with media-decode and an HTTP error with media-decode naming the status', async () => {
    const junk = URL.createObjectURL(new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/png' }));
    const host = await fixture<MediaHost>(html`<test-media-host src=${junk}></test-media-host>`);
    expect((await rejection(host.media.decoding!)).code).to.equal('media-decode');
    URL.revokeObjectURL(junk);
    host.src = '/no/such/image.png';
    await host.updateComplete;
    const e = await rejection(host.media.decoding!);
    expect(e.code).to.equal('media-decode');
    expect(e.message).to.match(/404/);
  });

  it('a new src supersedes the one decoding (aborted) and revokes the old object URL', async () => {
    const a = await sceneUrl(scene);
    const b = await sceneUrl(drawScene(120, 80, '#000000', []));
    const host = await fixture<MediaHost>(html`<test-media-host src=${a}></test-media-host>`);
    await host.media.decoding;
    const first = host.media.objectUrl!;
    host.src = b;
    await host.updateComplete;
    const bitmap = await host.media.decoding!;
    expect([bitmap.width, bitmap.height]).to.deep.equal([120, 80]);
    expect(await alive(first)).to.equal(false);
    // A load still in flight is superseded by the next one; the newest always wins.
    host.src = a;
    await host.updateComplete;
    const inFlight = host.media.decoding!;
    host.src = b;
    await host.updateComplete;
    expect((await rejection(inFlight)).code).to.equal('aborted');
    const last = await host.media.decoding!;
    expect([last.width, last.height]).to.deep.equal([120, 80]);
    expect(host.calls.filter((c) => c === 'willChange:source').length).to.equal(4);
    URL.revokeObjectURL(a);
    URL.revokeObjectURL(b);
  });

  it('revokes its object URL when the host leaves the document, but not on a move', async () => {
    const src = await sceneUrl(scene);
    const wrap = await fixture<HTMLDivElement>(html`<div><test-media-host src=${src}></test-media-host></div>`);
    const host = wrap.querySelector('test-media-host') as MediaHost;
    await host.media.decoding;
    const url = host.media.objectUrl!;
    expect(await alive(url)).to.equal(true);
    host.remove();
    wrap.append(host);
    await new Promise((r) => setTimeout(r, 50));
    expect(await alive(url)).to.equal(true);
    host.remove();
    await waitUntil(async () => !(await alive(url)), 'the object URL was not revoked', { timeout: 2000 });
    URL.revokeObjectURL(src);
  });
});
