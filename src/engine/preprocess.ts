// SAM 2 image preprocessing (reference §2.1): stretch to size×size (no letterbox, no crop), RGB in 0..1,
// ImageNet normalisation, planar CHW float32. Runs in the worker: the resize is done by the browser's
// image pipeline (createImageBitmap), only the normalisation is ours: a loop on the CPU, or for WebGPU sessions a
// compute pass that leaves the input on the GPU (gpu-ops.ts), from the same resized pixels.

import { normalizeOnGpu } from './gpu-ops.js';
import { ort } from './runtime.js';

/** ImageNet mean, RGB, on values in 0..1. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet standard deviation, RGB. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** How a bundle wants its input image prepared. */
export interface PreprocessConfig {
  /** Model input side (1024 for every SAM 2 size). */
  readonly size: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** `stretch` is SAM 2's own; `longest-edge` (resize the long side, pad bottom/right) is SAM v1 style. */
  readonly resize: 'stretch' | 'longest-edge';
}

/** SAM 2's own preprocessing. */
export const SAM2_PREPROCESS: PreprocessConfig = {
  size: 1024,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  resize: 'stretch',
};

/** The prepared model input and the geometry needed to map prompts and masks back. */
export interface PixelValues {
  /** [1,3,size,size] planar, normalised; empty when prepared on the GPU (`tensor`). */
  readonly data: Float32Array;
  /** The same values already on the GPU (WebGPU sessions): the encoder run that takes it disposes it. */
  readonly tensor?: ort.Tensor;
  readonly size: number;
  /** Natural size of the source. */
  readonly width: number;
  readonly height: number;
  /** Part of the model input covered by the image (the whole square when stretched). */
  readonly contentWidth: number;
  readonly contentHeight: number;
}

/**
 * Runs an encoder on prepared pixels: their GPU input when they were prepared there (disposed once the run settles),
 * else their CPU data.
 */
export async function runOnPixels<T>(px: PixelValues, run: (pixels: ort.Tensor) => Promise<T>): Promise<T> {
  try {
    return await run(px.tensor ?? new ort.Tensor('float32', px.data, [1, 3, px.size, px.size]));
  } finally {
    px.tensor?.dispose();
  }
}

/** Natural size of anything createImageBitmap accepts that the engine hands it. */
export type PreprocessSource = ImageBitmap | OffscreenCanvas | HTMLCanvasElement | VideoFrame | ImageData;

function naturalSize(src: PreprocessSource): { width: number; height: number } {
  if (typeof VideoFrame !== 'undefined' && src instanceof VideoFrame) {
    return { width: src.displayWidth, height: src.displayHeight };
  }
  const s = src as { width: number; height: number };
  return { width: s.width, height: s.height };
}

/** Planar, normalised float32 from RGBA bytes (the only per-pixel loop of preprocessing). */
export function normalizeRgba(
  rgba: Uint8ClampedArray,
  size: number,
  cfg: Pick<PreprocessConfig, 'mean' | 'std'>,
  out = new Float32Array(3 * size * size),
): Float32Array {
  const plane = size * size;
  // Fold /255, -mean and /std into one multiply-add per channel.
  const scale = cfg.std.map((s) => 1 / (255 * s));
  const bias = cfg.mean.map((m, c) => -m / cfg.std[c]!);
  const [s0, s1, s2] = scale as [number, number, number];
  const [b0, b1, b2] = bias as [number, number, number];
  for (let i = 0, p = 0; i < plane; i++, p += 4) {
    out[i] = rgba[p]! * s0 + b0;
    out[plane + i] = rgba[p + 1]! * s1 + b1;
    out[2 * plane + i] = rgba[p + 2]! * s2 + b2;
  }
  return out;
}

function zeroPadding(data: Float32Array, size: number, cw: number, ch: number): void {
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      const row = c * plane + y * size;
      if (y >= ch) data.fill(0, row, row + size);
      else data.fill(0, row + cw, row + size);
    }
  }
}

/**
 * Prepares one image or frame for the image encoder. The source is not closed: the caller owns it.
 * Padding of the `longest-edge` mode is zero in normalised space, as in the SAM v1 processors. `onGpu` (WebGPU
 * sessions) normalises on the GPU and returns the input there.
 */
export async function preprocess(
  src: PreprocessSource,
  cfg: PreprocessConfig = SAM2_PREPROCESS,
  onGpu = false,
): Promise<PixelValues> {
  const { width, height } = naturalSize(src);
  if (!(width > 0 && height > 0)) throw new RangeError(`cannot preprocess an empty image (${width}x${height})`);
  const size = cfg.size;
  let cw = size;
  let ch = size;
  if (cfg.resize === 'longest-edge') {
    const s = size / Math.max(width, height);
    cw = Math.max(1, Math.round(width * s));
    ch = Math.max(1, Math.round(height * s));
  }
  const bitmap = await createImageBitmap(src as ImageBitmapSource, {
    resizeWidth: cw,
    resizeHeight: ch,
    resizeQuality: 'high',
    premultiplyAlpha: 'none',
  });
  try {
    if (onGpu) {
      const tensor = await normalizeOnGpu(bitmap, size, cfg.mean, cfg.std);
      return { data: new Float32Array(0), tensor, size, width, height, contentWidth: cw, contentHeight: ch };
    }
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('2d context unavailable');
    ctx.drawImage(bitmap, 0, 0);
    const data = normalizeRgba(ctx.getImageData(0, 0, size, size).data, size, cfg);
    if (cw !== size || ch !== size) zeroPadding(data, size, cw, ch);
    return { data, size, width, height, contentWidth: cw, contentHeight: ch };
  } finally {
    bitmap.close();
  }
}
