// Mask exports that need a canvas: the cut-out (read the media at the mask's size, feather, compose over a
// backdrop, encode PNG or WebP) and the grey mask PNG. Run in the worker for masks the SDK makes (the page only
// posts bitmaps and bytes); the same code runs on the page for a Sam2Mask built by hand.
import { Sam2Error } from '../errors.js';
import { alphaBounds, featherAlpha } from './feather.js';
import { blurBackdrop, composeCutout, cutoutRect, type CutoutBackdrop, type Rect } from './cutout.js';
import { encodeMaskPng, type MaskPngDepth } from './grey-png.js';

/** What a cut-out is composed over, as sent to the codec. */
export type CutoutBackground =
  | { colour: string | readonly [number, number, number] | readonly [number, number, number, number] }
  | { blur: number }
  | { image: ImageBitmap };

/** A cut-out job: bitmaps are the codec's to close. */
export interface CutoutRequest {
  mask: { width: number; height: number; data: Uint8Array };
  /** The media; scaled to the mask's size when it is not at it. */
  source: ImageBitmap | HTMLCanvasElement | OffscreenCanvas;
  feather: number;
  invert: boolean;
  crop: boolean;
  padding: number;
  background: CutoutBackground | null;
  format: 'png' | 'webp';
  /** WebP quality 0–1 (the encoder's default when absent). */
  quality?: number;
}

/** Where a codec call spent its time, in milliseconds. */
export interface CodecTimings {
  /** Reading the media and the per-pixel work (distance transform, blur, composite). */
  pixels: number;
  /** Encoding the image file. */
  encode: number;
}

/** An encoded image and what it cost. */
export interface CodecResult {
  blob: Blob;
  timings: CodecTimings;
}

type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;
type AnyContext2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function createCanvas(width: number, height: number): AnyCanvas {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function context2d(canvas: AnyCanvas): AnyContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as AnyContext2D | null;
  if (!ctx) throw new Error('2D canvas context unavailable');
  return ctx;
}

function readPixels(ctx: AnyContext2D, width: number, height: number): Uint8ClampedArray {
  try {
    return ctx.getImageData(0, 0, width, height).data;
  } catch (error) {
    // A cross-origin source without CORS taints the canvas, and its pixels cannot be read back.
    if (error instanceof DOMException && error.name === 'SecurityError') {
      throw new Sam2Error('media-cross-origin', 'toCutout() cannot read the pixels of cross-origin media', {
        cause: error,
      });
    }
    throw error;
  }
}

function toBlob(canvas: AnyCanvas, type: string, quality?: number): Promise<Blob> {
  if (typeof OffscreenCanvas !== 'undefined' && canvas instanceof OffscreenCanvas) {
    return canvas.convertToBlob(quality === undefined ? { type } : { type, quality });
  }
  return new Promise((resolve, reject) => {
    (canvas as HTMLCanvasElement).toBlob(
      (b) => (b ? resolve(b) : reject(new Error(`canvas produced no ${type}`))),
      type,
      quality,
    );
  });
}

/** RGBA 0–255 of a CSS colour or a tuple; `invalid-option` for anything the canvas does not parse. */
export function parseColour(colour: string | readonly number[]): [number, number, number, number] {
  if (typeof colour !== 'string') {
    const [r, g, b, a = 255] = colour;
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if ((colour.length !== 3 && colour.length !== 4) || ![r, g, b, a].every(ok)) {
      throw new Sam2Error(
        'invalid-option',
        `background colour must be [r, g, b] or [r, g, b, a] in 0–255, got ${JSON.stringify(colour)}`,
      );
    }
    const c = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));
    return [c(r!), c(g!), c(b!), c(a)];
  }
  // The canvas parses CSS colours; an invalid one leaves fillStyle unchanged, which two probes tell apart.
  const ctx = context2d(createCanvas(1, 1));
  let parsed = false;
  for (const probe of ['#000000', '#ffffff']) {
    ctx.fillStyle = probe;
    ctx.fillStyle = colour;
    if (ctx.fillStyle !== probe) parsed = true;
  }
  if (!parsed) throw new Sam2Error('invalid-option', `background colour ${JSON.stringify(colour)} is not a CSS colour`);
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillRect(0, 0, 1, 1);
  const px = ctx.getImageData(0, 0, 1, 1).data;
  // getImageData unpremultiplies; a translucent colour's rgb comes back rounded, which is fine for a backdrop.
  return [px[0]!, px[1]!, px[2]!, px[3]!];
}

// The background picture scaled to cover the output rectangle (as CSS object-fit: cover), centred.
function coverPixels(image: ImageBitmap, rect: Rect): Uint8ClampedArray {
  const ctx = context2d(createCanvas(rect.width, rect.height));
  const scale = Math.max(rect.width / image.width, rect.height / image.height);
  const w = image.width * scale;
  const h = image.height * scale;
  ctx.drawImage(image, (rect.width - w) / 2, (rect.height - h) / 2, w, h);
  return readPixels(ctx, rect.width, rect.height);
}

function closeBitmaps(request: CutoutRequest): void {
  if (typeof ImageBitmap === 'undefined') return;
  if (request.source instanceof ImageBitmap) request.source.close();
  const bg = request.background;
  if (bg && 'image' in bg) bg.image.close();
}

/** Cut-out of the media by the mask, encoded as PNG or WebP; closes the request's bitmaps. */
export async function makeCutout(request: CutoutRequest): Promise<CodecResult> {
  try {
    const t0 = performance.now();
    const { mask, source } = request;
    const { width, height, data } = mask;
    if (!source || source.width === 0 || source.height === 0) {
      throw new Sam2Error('not-ready', 'toCutout() needs the media pixels: this mask was created without a source');
    }
    const alpha = featherAlpha(data, width, height, request.feather, request.invert);
    const rect = cutoutRect(alphaBounds(alpha, width, height), width, height, request.crop, request.padding);
    const type = request.format === 'webp' ? 'image/webp' : 'image/png';
    if (!rect) {
      // Nothing to show: a 1×1 transparent image (canvases cannot encode an empty one).
      const empty = createCanvas(1, 1);
      context2d(empty);
      const t1 = performance.now();
      return {
        blob: await toBlob(empty, type, request.quality),
        timings: { pixels: t1 - t0, encode: performance.now() - t1 },
      };
    }

    // The media at the mask's size (an exact copy when it is already that size).
    const mediaCtx = context2d(createCanvas(width, height));
    mediaCtx.drawImage(source, 0, 0, source.width, source.height, 0, 0, width, height);
    const media = readPixels(mediaCtx, width, height);

    const bg = request.background;
    let backdrop: CutoutBackdrop = { kind: 'none' };
    let blurred: Uint8ClampedArray | null = null;
    if (bg && 'colour' in bg) backdrop = { kind: 'colour', rgba: parseColour(bg.colour) };
    else if (bg && 'blur' in bg) {
      backdrop = { kind: 'blur', radius: bg.blur };
      blurred = blurBackdrop(media, alpha, width, height, bg.blur);
    } else if (bg && 'image' in bg) backdrop = { kind: 'image', rgba: coverPixels(bg.image, rect) };

    const rgba = composeCutout(media, alpha, width, height, rect, backdrop, blurred);
    const out = createCanvas(rect.width, rect.height);
    context2d(out).putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, rect.width, rect.height), 0, 0);
    const t1 = performance.now();
    const blob = await toBlob(out, type, request.quality);
    return { blob, timings: { pixels: t1 - t0, encode: performance.now() - t1 } };
  } finally {
    closeBitmaps(request);
  }
}

/** The mask as a greyscale PNG (white inside, black outside). */
export function makeMaskPng(
  mask: { width: number; height: number; data: Uint8Array },
  depth: MaskPngDepth = 1,
): CodecResult {
  const t0 = performance.now();
  const bytes = encodeMaskPng(mask.data, mask.width, mask.height, depth);
  return {
    blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
    timings: { pixels: 0, encode: performance.now() - t0 },
  };
}
