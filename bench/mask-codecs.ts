// `npm run bench:codecs`: mask exports on an 800×600 photo-like scene. The grey mask PNG from fast-png (1-bit and
// 8-bit) against what the canvas encoders can write (RGBA, as toBlob() did before; opaque black and white), sizes
// and median times; and every cut-out option, in the segmenter's worker and on the page, split into pixel work and
// encoding. Figures, not assertions.
import { Sam2Mask, localMaskCodec, type CutoutOptions } from '../src/client/mask.js';
import { createSegmenter } from '../src/client/segmenter.js';
import { encodeMaskPng } from '../src/shared/codecs/grey-png.js';
import { maskArea, maskBbox } from '../src/shared/polygons.js';

// window.__bench is declared by bench.ts (the runner reads the same shape from every page).

const runs = Number(new URLSearchParams(location.search).get('runs') ?? 15);
const W = 800;
const H = 600;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (v: number): string => `${v.toFixed(1)} ms`;

function photo(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = W;
  c.height = H;
  const g = c.getContext('2d')!;
  const grad = g.createLinearGradient(0, 0, W, H);
  grad.addColorStop(0, '#8ab4d8');
  grad.addColorStop(1, '#2f5d3a');
  g.fillStyle = grad;
  g.fillRect(0, 0, W, H);
  // Texture, so that encoders see something like a photo rather than flat colour.
  const img = g.getImageData(0, 0, W, H);
  let s = 1;
  for (let i = 0; i < img.data.length; i += 4) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const n = (s >>> 24) / 16 - 8;
    img.data[i] += n;
    img.data[i + 1] += n;
    img.data[i + 2] += n;
  }
  g.putImageData(img, 0, 0);
  g.fillStyle = '#d83a1e';
  g.beginPath();
  g.arc(300, 280, 170, 0, Math.PI * 2);
  g.fill();
  g.fillRect(520, 120, 200, 330);
  return c;
}

function maskOf(): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inDisc = (x + 0.5 - 300) ** 2 + (y + 0.5 - 280) ** 2 <= 170 ** 2;
      m[y * W + x] = inDisc || (x >= 520 && x < 720 && y >= 120 && y < 450) ? 1 : 0;
    }
  }
  return m;
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }[]> {
  const out: { ms: number; value: T }[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const value = await fn();
    out.push({ ms: performance.now() - t, value });
  }
  return out;
}

async function greyPng(data: Uint8Array, lines: string[]): Promise<void> {
  const rgba = new Sam2Mask({
    width: W,
    height: H,
    data,
    bbox: maskBbox(data, W, H),
    area: maskArea(data),
  }).toImageData();
  const opaque = new ImageData(W, H);
  for (let i = 0; i < data.length; i++)
    (opaque.data.fill(data[i] ? 255 : 0, 4 * i, 4 * i + 3), (opaque.data[4 * i + 3] = 255));
  const canvasPng = async (image: ImageData): Promise<Blob> => {
    const c = new OffscreenCanvas(W, H);
    c.getContext('2d')!.putImageData(image, 0, 0);
    return c.convertToBlob({ type: 'image/png' });
  };
  const rows: [string, () => Promise<number>][] = [
    ['fast-png, 1-bit grey', async () => encodeMaskPng(data, W, H, 1).length],
    ['fast-png, 8-bit grey', async () => encodeMaskPng(data, W, H, 8).length],
    ['OffscreenCanvas, RGBA white/transparent (old toBlob)', async () => (await canvasPng(rgba)).size],
    ['OffscreenCanvas, opaque black/white', async () => (await canvasPng(opaque)).size],
  ];
  lines.push(`grey mask PNG, ${W}x${H} mask (disc + rectangle), ${runs} runs on the page:`);
  for (const [name, fn] of rows) {
    const r = await time(fn);
    lines.push(
      `  ${name.padEnd(52)} ${String(r[0]!.value).padStart(6)} bytes, median ${ms(median(r.map((x) => x.ms)))}`,
    );
  }
}

async function cutouts(data: Uint8Array, source: HTMLCanvasElement, lines: string[]): Promise<void> {
  const seg = createSegmenter({
    device: 'wasm',
    workerUrl: new URL('/src/workers/sam2.worker.ts', location.href),
    wasmPaths: '/node_modules/onnxruntime-web/dist/',
  });
  await seg.ready;
  const bitmap = await createImageBitmap(source);
  const background = await createImageBitmap(source, 0, 0, 400, 300);
  const md = { width: W, height: H, data, bbox: maskBbox(data, W, H), area: maskArea(data) };
  const options: [string, CutoutOptions][] = [
    ['plain PNG', {}],
    ['crop', { crop: true }],
    ['feather 8', { feather: 8 }],
    ['feather 32', { feather: 32 }],
    ['invert', { invert: true }],
    ['background colour', { background: '#ffffff' }],
    ['background blur (16 px)', { background: 'blur' }],
    ['background image', { background }],
    ['crop + padding 40 + white', { crop: true, padding: 40, background: '#fff' }],
    ['WebP 0.8, white', { format: 'webp', quality: 0.8, background: '#fff' }],
    ['WebP 0.8, transparent', { format: 'webp', quality: 0.8 }],
  ];
  lines.push(
    `cut-outs of an ${W}x${H} photo-like scene, median of ${runs} (pixels / encode in the codec; total as the page waits):`,
  );
  for (const [where, codec] of [
    ['worker', seg.maskCodec],
    ['page', localMaskCodec],
  ] as const) {
    const mask = new Sam2Mask(md, bitmap, codec);
    for (const [name, o] of options) {
      const r = await time(() => mask.cutout(o));
      const px = median(r.map((x) => x.value.timings.pixels));
      const enc = median(r.map((x) => x.value.timings.encode));
      lines.push(
        `  ${where.padEnd(6)} ${name.padEnd(28)} pixels ${ms(px).padStart(9)}  encode ${ms(enc).padStart(9)}  total ${ms(median(r.map((x) => x.ms))).padStart(9)}  ${r[0]!.value.blob.size} bytes`,
      );
    }
  }
  // The page's main thread while the worker makes a blurred cut-out: its longest task.
  const mask = new Sam2Mask(md, bitmap, seg.maskCodec);
  let longest = 0;
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) longest = Math.max(longest, e.duration);
  });
  obs.observe({ type: 'longtask' });
  await mask.toCutout({ background: 'blur', feather: 8 });
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  lines.push(
    `  main thread during a worker cut-out (blur + feather): longest task ${longest ? ms(longest) : 'none >= 50 ms'}`,
  );
  bitmap.close();
  background.close();
  seg.dispose();
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const data = maskOf();
  await greyPng(data, lines);
  await cutouts(data, photo(), lines);
  window.__bench = {
    done: true,
    env: `${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'browser'}, ${navigator.hardwareConcurrency} cores`,
    lines,
    metrics: {},
  };
}

main().catch((e: unknown) => {
  window.__bench = { done: true, env: '', lines: [], metrics: {}, error: String(e instanceof Error ? e.stack : e) };
});
