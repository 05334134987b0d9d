// The mask object handed to users: one binary mask at the media's natural size, with exports to ImageData, PNG,
// cut-outs, COCO RLE, polygons and SVG path data. Image files (cut-outs, the grey mask PNG) are made by a codec:
// the segmenter's worker for masks the SDK hands out, this page for a Sam2Mask built by hand
// (src/shared/codecs/ holds the pixel work either way).
import { encodeRle, type CompressedRle } from '../shared/rle.js';
import { maskToPolygons, toSvgPath, type Polygon } from '../shared/polygons.js';
import type { CodecResult, CutoutBackground, CutoutRequest } from '../shared/codecs/encode.js';
import type { MaskPngDepth } from '../shared/codecs/grey-png.js';
import { Sam2Error } from '../shared/errors.js';
import type { MaskData } from '../shared/types.js';

export type { CompressedRle } from '../shared/rle.js';
export type { Polygon } from '../shared/polygons.js';
export type { CodecResult, CodecTimings, CutoutRequest, CutoutBackground } from '../shared/codecs/encode.js';
export type { MaskPngDepth } from '../shared/codecs/grey-png.js';

/** Pixels a cut-out is taken from: the media at its natural size (other sizes are scaled to the mask). */
export type Sam2MaskSource = ImageBitmap | HTMLCanvasElement | OffscreenCanvas;

/** A picture a cut-out can be composed over (scaled to cover the cut-out, centred). */
export type CutoutBackgroundImage =
  ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | ImageData | Blob;

/** Options of `Sam2Mask.toCutout()`. */
export interface CutoutOptions {
  /** Crop the image to the visible part of the cut-out (default false: the media's full natural size). */
  crop?: boolean;
  /** Width in pixels of a soft edge, a linear alpha ramp centred on the mask's boundary (default 0: hard edge). */
  feather?: number;
  /** Keep what the mask leaves out instead (default false). */
  invert?: boolean;
  /**
   * What shows where the mask leaves the media out (default: transparent): a CSS colour or `[r, g, b(, a)]` in
   * 0–255, `'blur'` for the media itself blurred (`blurRadius`), or a picture scaled to cover the cut-out.
   */
  background?:
    string | readonly [number, number, number] | readonly [number, number, number, number] | CutoutBackgroundImage;
  /** How far in pixels the `'blur'` background reaches (default 2% of the media's longer side). */
  blurRadius?: number;
  /** Pixels added on every side, after `crop` (default 0), filled like the background. */
  padding?: number;
  /** Image format (default `png`). */
  format?: 'png' | 'webp';
  /** WebP quality 0–1 (default: the browser's). */
  quality?: number;
}

/** Options of `Sam2Mask.toBlob()`. */
export interface MaskBlobOptions {
  /** Bits per pixel of the grey PNG: 1 (default, smallest) or 8. */
  depth?: MaskPngDepth;
}

/** Options of `Sam2Mask.toPolygons()` and `Sam2Mask.toSvgPath()`. */
export interface MaskPolygonOptions {
  /** Douglas–Peucker tolerance in pixels; 0 keeps every pixel corner. Default 1. */
  tolerance?: number;
}

/** Where a mask's image files are made; a segmenter's `maskCodec` posts to its worker. */
export interface MaskCodec {
  /** Cut-out of `request.source` by `request.mask`; the request's bitmaps are the codec's to close. */
  cutout(request: CutoutRequest): Promise<CodecResult>;
  /** The mask as a greyscale PNG. */
  maskPng(mask: { width: number; height: number; data: Uint8Array }, depth: MaskPngDepth): Promise<CodecResult>;
}

// Loaded on first use: the PNG encoder (fast-png, fflate) is 15 KB gzip that the element's entry does not need, as
// its masks are encoded in the worker; this thread encodes only masks made without a segmenter.
const encoders = (): Promise<typeof import('../shared/codecs/encode.js')> => import('../shared/codecs/encode.js');

/** The codec that runs on this thread. */
export const localMaskCodec: MaskCodec = {
  cutout: async (request) => (await encoders()).makeCutout(request),
  maskPng: async (mask, depth) => (await encoders()).makeMaskPng(mask, depth),
};

// RGBA bytes packed into one 32-bit word in the platform's byte order, so a Uint32Array view writes them in one go.
function packRgba(r: number, g: number, b: number, a: number): number {
  const bytes = new Uint8Array(4);
  bytes[0] = r;
  bytes[1] = g;
  bytes[2] = b;
  bytes[3] = a;
  return new Uint32Array(bytes.buffer)[0]!;
}

function channel(v: number): number {
  return Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v))) : 0;
}

function invalid(message: string): Sam2Error {
  return new Sam2Error('invalid-option', message);
}

function nonNegative(value: unknown, what: string, integer = false): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw invalid(`${what} must be a ${integer ? 'whole' : 'finite'} number ≥ 0, got ${String(value)}`);
  }
  return value;
}

function isPicture(v: unknown): v is CutoutBackgroundImage {
  return (
    (typeof ImageBitmap !== 'undefined' && v instanceof ImageBitmap) ||
    (typeof HTMLImageElement !== 'undefined' && v instanceof HTMLImageElement) ||
    (typeof HTMLCanvasElement !== 'undefined' && v instanceof HTMLCanvasElement) ||
    (typeof OffscreenCanvas !== 'undefined' && v instanceof OffscreenCanvas) ||
    (typeof ImageData !== 'undefined' && v instanceof ImageData) ||
    (typeof Blob !== 'undefined' && v instanceof Blob)
  );
}

/** A copy of a picture as an ImageBitmap of its own (the codec closes it). */
async function ownBitmap(picture: CutoutBackgroundImage | Sam2MaskSource): Promise<ImageBitmap> {
  try {
    if (
      typeof HTMLImageElement !== 'undefined' &&
      picture instanceof HTMLImageElement &&
      !(picture.complete && picture.naturalWidth > 0)
    ) {
      await picture.decode();
    }
    return await createImageBitmap(picture);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'SecurityError') {
      throw new Sam2Error('media-cross-origin', 'toCutout() cannot read the pixels of a cross-origin image', {
        cause: e,
      });
    }
    throw new Sam2Error('media-decode', `the background image could not be decoded: ${String(e)}`, { cause: e });
  }
}

/** Checks the options before anything is read or posted; the background picture is read separately. */
function checkCutoutOptions(
  options: CutoutOptions,
  width: number,
  height: number,
): Omit<CutoutRequest, 'mask' | 'source' | 'background'> & {
  background: CutoutOptions['background'] | { blur: number };
} {
  if (options === null || typeof options !== 'object') throw invalid('toCutout() options must be an object');
  const format = options.format ?? 'png';
  if (format !== 'png' && format !== 'webp') throw invalid(`format must be 'png' or 'webp', got ${String(format)}`);
  const quality = options.quality;
  if (quality !== undefined && !(typeof quality === 'number' && quality >= 0 && quality <= 1)) {
    throw invalid(`quality must be a number in 0–1, got ${String(quality)}`);
  }
  const feather = nonNegative(options.feather, 'feather');
  const padding = nonNegative(options.padding, 'padding', true);
  let background: CutoutOptions['background'] | { blur: number } = options.background;
  if (background === 'blur') {
    const radius = options.blurRadius ?? Math.max(1, Math.round(Math.max(width, height) / 50));
    if (!(typeof radius === 'number' && Number.isFinite(radius) && radius > 0))
      throw invalid(`blurRadius must be a number > 0, got ${String(radius)}`);
    background = { blur: radius };
  } else if (
    background !== undefined &&
    typeof background !== 'string' &&
    !Array.isArray(background) &&
    !isPicture(background)
  ) {
    throw invalid("background must be a CSS colour, [r, g, b(, a)], 'blur' or an image");
  }
  const checked = {
    feather,
    invert: options.invert === true,
    crop: options.crop === true,
    padding,
    format,
    background,
  } as const;
  return quality === undefined ? checked : { ...checked, quality };
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
  #codec: MaskCodec;

  /**
   * Wraps mask bytes from the engine; `source` (the media at natural size, or a function that reads it when a cut-out is
   * asked for, as for a frame of a video) enables `toCutout()`. `codec` makes the image files (default: this thread).
   */
  constructor(mask: MaskData, source?: Sam2MaskSource | (() => Promise<Sam2MaskSource>) | null, codec?: MaskCodec) {
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
    this.#codec = codec ?? localMaskCodec;
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

  /** Greyscale PNG of the mask at natural size: white inside, black outside, 1 bit per pixel unless `depth` is 8. */
  async toBlob(options: MaskBlobOptions = {}): Promise<Blob> {
    const depth = options?.depth ?? 1;
    if (depth !== 1 && depth !== 8) throw invalid(`depth must be 1 or 8, got ${String(depth)}`);
    return (await this.#codec.maskPng({ width: this.width, height: this.height, data: this.data }, depth)).blob;
  }

  /**
   * The media cut out by the mask, as PNG (default) or WebP: feathered, inverted, cropped, padded and over a
   * background as asked. `not-ready` without a source, `invalid-option` for bad options.
   */
  async toCutout(options: CutoutOptions = {}): Promise<Blob> {
    return (await this.cutout(options)).blob;
  }

  /** `toCutout()` with the time the codec spent on pixels and on encoding. */
  async cutout(options: CutoutOptions = {}): Promise<CodecResult> {
    const checked = checkCutoutOptions(options, this.width, this.height);
    const given = this.#source;
    const local = this.#codec === localMaskCodec;
    let source: Sam2MaskSource | null = null;
    let background: CutoutBackground | null = null;
    try {
      const read = typeof given === 'function' ? await given() : given;
      if (!read || read.width === 0 || read.height === 0) {
        throw new Sam2Error('not-ready', 'toCutout() needs the media pixels: this mask was created without a source');
      }
      // The codec closes what it is given: it gets a frame read for this cut-out as it is, and its own copy of a
      // source the mask keeps (a worker also needs a transferable bitmap).
      const owned = typeof given === 'function' && read instanceof ImageBitmap;
      source = owned || (local && !(read instanceof ImageBitmap)) ? read : await ownBitmap(read);
      const bg = checked.background;
      if (bg === undefined) background = null;
      else if (isPicture(bg)) background = { image: await ownBitmap(bg) };
      else if (typeof bg === 'string' || Array.isArray(bg)) background = { colour: bg as string };
      else background = { blur: (bg as { blur: number }).blur };
      const request: CutoutRequest = {
        ...checked,
        mask: { width: this.width, height: this.height, data: this.data },
        source,
        background,
      };
      source = null;
      background = null;
      return await this.#codec.cutout(request);
    } finally {
      // Not handed over (a failure before the codec call): close what was made for it.
      if (source instanceof ImageBitmap) source.close();
      if (background && 'image' in background) background.image.close();
    }
  }

  /** COCO compressed RLE (column-major, `size` [height, width], `counts` string) as pycocotools reads it. */
  toRLE(): CompressedRle {
    return encodeRle(this.data, this.width, this.height, this.bbox);
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
