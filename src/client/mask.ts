// The mask object handed to users: one binary mask at the media's natural size, with exports to ImageData, PNG,
// cut-outs, COCO RLE, polygons and SVG path data. Pixel work runs in single passes over typed arrays.
import { encodeRle, type CompressedRle } from '../shared/rle.js';
import { maskToPolygons, toSvgPath, type Polygon } from '../shared/polygons.js';
import type { MaskData } from '../shared/types.js';
import { Sam2Error, mediaReadError } from '../shared/errors.js';

export type { CompressedRle } from '../shared/rle.js';
export type { Polygon } from '../shared/polygons.js';

/** Pixels a cut-out is taken from: the media at its natural size (other sizes are scaled to the mask). */
export type Sam2MaskSource = ImageBitmap | HTMLCanvasElement | OffscreenCanvas;

/** Options of `Sam2Mask.toCutout()`. */
export interface CutoutOptions {
  /** Crop the image to the mask's bounding box (default false: the media's full natural size). */
  crop?: boolean;
}

/** Options of `Sam2Mask.toPolygons()` and `Sam2Mask.toSvgPath()`. */
export interface MaskPolygonOptions {
  /** Douglas–Peucker tolerance in pixels; 0 keeps every pixel corner. Default 1. */
  tolerance?: number;
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

function context2d(canvas: AnyCanvas, willReadFrequently = false): AnyContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently }) as AnyContext2D | null;
  if (!ctx) throw new Error('2D canvas context unavailable');
  return ctx;
}

function canvasToPng(canvas: AnyCanvas): Promise<Blob> {
  if (typeof OffscreenCanvas !== 'undefined' && canvas instanceof OffscreenCanvas) {
    return canvas.convertToBlob({ type: 'image/png' });
  }
  return new Promise((resolve, reject) => {
    (canvas as HTMLCanvasElement).toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('canvas.toBlob produced no PNG'))),
      'image/png',
    );
  });
}

// PNG of an ImageData; a 0-pixel image (empty crop, 0×0 mask) becomes a 1×1 transparent PNG, as canvases cannot
// encode an empty image.
function imageDataToPng(image: ImageData | null): Promise<Blob> {
  const canvas = createCanvas(image?.width ?? 1, image?.height ?? 1);
  // A canvas needs a context to be encoded, even when nothing is drawn.
  const ctx = context2d(canvas);
  if (image) ctx.putImageData(image, 0, 0);
  return canvasToPng(canvas);
}

// RGBA bytes packed into one 32-bit word in the platform's byte order, so a Uint32Array view writes them in one go.
function packRgba(r: number, g: number, b: number, a: number): number {
  const bytes = new Uint8Array(4);
  bytes[0] = r;
  bytes[1] = g;
  bytes[2] = b;
  bytes[3] = a;
  return new Uint32Array(bytes.buffer)[0];
}

function channel(v: number): number {
  return Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v))) : 0;
}

/** One object's binary mask at the media's natural size, with exports to images, COCO RLE, polygons and SVG. */
export class Sam2Mask {
  /** Width of the mask in pixels (the media's natural width). */
  readonly width: number;
  /** Height of the mask in pixels (the media's natural height). */
  readonly height: number;
  /** Bounding box [x, y, width, height] of the mask's pixels; all zeros when the mask is empty. */
  readonly bbox: [number, number, number, number];
  /** Number of pixels inside the mask. */
  readonly area: number;
  /** Row-major pixels, one byte each: 1 inside, 0 outside. Treat as read-only. */
  readonly data: Uint8Array;

  #source: Sam2MaskSource | (() => Promise<Sam2MaskSource>) | null;

  /**
   * Wraps mask bytes from the engine; `source` (the media at natural size, or a function that reads it when a cut-out is
   * asked for, as for a frame of a video) enables `toCutout()`.
   */
  constructor(mask: MaskData, source?: Sam2MaskSource | (() => Promise<Sam2MaskSource>) | null) {
    const { width, height, data } = mask;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
      throw new RangeError(`invalid mask size ${width}x${height}`);
    }
    if (data.length !== width * height) {
      throw new RangeError(`mask has ${data.length} values, expected ${width * height}`);
    }
    this.width = width;
    this.height = height;
    this.data = data;
    this.bbox = [mask.bbox[0], mask.bbox[1], mask.bbox[2], mask.bbox[3]];
    this.area = mask.area;
    this.#source = source ?? null;
  }

  /** RGBA ImageData at natural size: alpha 255 and rgb white (or `color`) inside, all 0 outside; 1×1 if 0-sized. */
  toImageData(color: readonly [number, number, number] = [255, 255, 255]): ImageData {
    const { width, height, data } = this;
    const image = new ImageData(Math.max(1, width), Math.max(1, height));
    if (width === 0 || height === 0) return image;
    const inside = packRgba(channel(color[0]), channel(color[1]), channel(color[2]), 255);
    const pixels = new Uint32Array(image.data.buffer, image.data.byteOffset, width * height);
    // ImageData starts zeroed (transparent black), so only inside pixels are written.
    for (let i = 0, n = data.length; i < n; i++) if (data[i] !== 0) pixels[i] = inside;
    return image;
  }

  /** PNG of `toImageData()` (white, opaque inside, transparent outside) at natural size. */
  toBlob(): Promise<Blob> {
    try {
      return imageDataToPng(this.width > 0 && this.height > 0 ? this.toImageData() : null);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** PNG of the source pixels with the mask as alpha, cropped to the bbox with `crop`; `not-ready` without a source. */
  async toCutout(options: CutoutOptions = {}): Promise<Blob> {
    const given = this.#source;
    const source = typeof given === 'function' ? await given() : given;
    try {
      return await this.#cutout(source, options);
    } finally {
      // A frame read for this cut-out only.
      if (typeof given === 'function' && source instanceof ImageBitmap) source.close();
    }
  }

  async #cutout(source: Sam2MaskSource | null, options: CutoutOptions): Promise<Blob> {
    if (!source || source.width === 0 || source.height === 0) {
      throw new Sam2Error('not-ready', 'toCutout() needs the media pixels: this mask was created without a source');
    }
    const { width, height, data } = this;
    const [bx, by, bw, bh] = options.crop ? this.bbox : [0, 0, width, height];
    if (bw === 0 || bh === 0) return imageDataToPng(null);

    const canvas = createCanvas(bw, bh);
    const ctx = context2d(canvas, true);
    // Source pixels of the region, scaled when the source is not at the mask's size (exact copy when it is).
    const sx = source.width / width;
    const sy = source.height / height;
    ctx.drawImage(source, bx * sx, by * sy, bw * sx, bh * sy, 0, 0, bw, bh);
    let image: ImageData;
    try {
      image = ctx.getImageData(0, 0, bw, bh);
    } catch (error) {
      // A cross-origin source without CORS taints the canvas, and its pixels cannot be read back.
      throw mediaReadError(error, 'the media of toCutout()');
    }
    const rgba = image.data;
    // Alpha channel only: keep the source's alpha inside, clear it outside.
    for (let y = 0, o = 3; y < bh; y++) {
      for (let m = (by + y) * width + bx, end = m + bw; m < end; m++, o += 4) if (data[m] === 0) rgba[o] = 0;
    }
    ctx.putImageData(image, 0, 0);
    return canvasToPng(canvas);
  }

  /** COCO compressed RLE (column-major, `size` [height, width], `counts` string) as pycocotools reads it. */
  toRLE(): CompressedRle {
    return encodeRle(this.data, this.width, this.height);
  }

  /** Outer boundaries and holes (`hole: true`) as simplified polygons in pixel-corner coordinates. */
  toPolygons(options: MaskPolygonOptions = {}): Polygon[] {
    return maskToPolygons(this.data, this.width, this.height, { tolerance: options.tolerance });
  }

  /** SVG path data of `toPolygons()` (draw with fill-rule="evenodd"); empty string for an empty mask. */
  toSvgPath(options: MaskPolygonOptions = {}): string {
    return toSvgPath(this.toPolygons(options));
  }
}
