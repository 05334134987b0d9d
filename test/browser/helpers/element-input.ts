// Helpers for <sam2-segmenter> tests: mounting on the twin model with the group's backend, and real pointer input
// (CDP through @web/test-runner-commands) at client coordinates computed here independently of the element.
import { fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import '../../../src/components/sam2-segmenter.js';
import type { Sam2ErrorEvent, Sam2SegmenterElement } from '../../../src/components/sam2-segmenter.js';
import { testBackend } from './backend.js';
import type { Scene } from './scenes.js';

export const WASM_PATHS = '/node_modules/onnxruntime-web/dist/';
// The dev server maps .js imports to .ts sources, but not `new URL('...worker.js', import.meta.url)`.
export const WORKER_URL = new URL('/src/workers/sam2.worker.ts', location.href).href;

/** A Blob URL of the scene as PNG (revoked by the caller). */
export async function sceneUrl(scene: Scene): Promise<string> {
  const blob = await new Promise<Blob>((res, rej) =>
    scene.canvas.toBlob((b) => (b ? res(b) : rej(new Error('toBlob'))), 'image/png'),
  );
  return URL.createObjectURL(blob);
}

/** Mounts an element showing `src` and waits until its media is laid out. */
export async function mount(src: string, style = '', device: string = testBackend()): Promise<Sam2SegmenterElement> {
  // Listening in the template catches errors raised before fixture() returns.
  const errors: string[] = [];
  const onError = (e: Sam2ErrorEvent) => errors.push(`${e.detail.code}: ${e.detail.message}`);
  const el = await fixture<Sam2SegmenterElement>(
    html`<sam2-segmenter
      style=${style}
      device=${device}
      .wasmPaths=${WASM_PATHS}
      .workerUrl=${WORKER_URL}
      src=${src}
      @error=${onError}
    ></sam2-segmenter>`,
  );
  try {
    await waitUntil(
      () => {
        if (errors.length) throw new Error(errors.join('; '));
        const img = el.shadowRoot?.querySelector('img[part="media"]') as HTMLImageElement | null;
        return !!img && img.complete && img.naturalWidth > 0;
      },
      'the media did not load',
      { timeout: 90_000 },
    );
  } catch (e) {
    const media = el.shadowRoot?.querySelector('[part="media"]');
    // Diagnose: does the source still fetch and decode outside the element?
    const t0 = performance.now();
    const diag = await Promise.race([
      fetch(src)
        .then((r) => r.blob())
        .then((b) => createImageBitmap(b))
        .then((bm) => `decoded ${bm.width}x${bm.height} in ${(performance.now() - t0).toFixed(0)} ms`),
      new Promise((r) => setTimeout(() => r('fetch/decode still pending after 5 s'), 5000)),
    ]);
    throw new Error(
      `${String(e)}; media: ${media?.outerHTML ?? 'none'}; errors: ${errors.join('; ')}; ${String(diag)}`,
    );
  }
  await el.updateComplete;
  return el;
}

export type Fit = 'contain' | 'cover' | 'fill';

/** Client (viewport) coordinates of a natural pixel, for centred object-fit, rounded to whole CSS pixels. */
export function clientPoint(
  el: Sam2SegmenterElement,
  natural: { width: number; height: number },
  x: number,
  y: number,
): [number, number] {
  const media = el.shadowRoot!.querySelector('[part="media"]') as HTMLElement;
  const r = media.getBoundingClientRect();
  const fit = getComputedStyle(media).objectFit as Fit;
  let sx = r.width / natural.width;
  let sy = r.height / natural.height;
  if (fit === 'contain') sx = sy = Math.min(sx, sy);
  else if (fit === 'cover') sx = sy = Math.max(sx, sy);
  const ox = (r.width - natural.width * sx) / 2;
  const oy = (r.height - natural.height * sy) / 2;
  return [Math.round(r.left + ox + x * sx), Math.round(r.top + oy + y * sy)];
}

/** A real left click (optionally with Alt held). */
export async function click([x, y]: [number, number], alt = false): Promise<void> {
  if (alt) await sendKeys({ down: 'Alt' });
  try {
    await sendMouse({ type: 'click', position: [x, y] });
  } finally {
    if (alt) await sendKeys({ up: 'Alt' });
  }
}

/** A real right click. */
export async function rightClick([x, y]: [number, number]): Promise<void> {
  await sendMouse({ type: 'click', position: [x, y], button: 'right' });
}

/** A real drag from `a` to `b` in a few moves. */
export async function drag(a: [number, number], b: [number, number]): Promise<void> {
  await sendMouse({ type: 'move', position: a });
  await sendMouse({ type: 'down' });
  for (const t of [0.25, 0.5, 1]) {
    await sendMouse({
      type: 'move',
      position: [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t)],
    });
  }
  await sendMouse({ type: 'up' });
}

/** The next animation frame (the overlay draws in one). */
export function frame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => r()));
}
