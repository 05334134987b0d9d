// The image pipeline, run in the worker: preprocess → encoder → embedding cache → prompt → decoder → select →
// upsample. One image is kept at a time; replacing it frees the previous embedding.

import type { Embedding, ModelAdapter } from './adapters.js';
import { LOW_RES } from './adapters.js';
import { Sam2Error, mediaReadError } from '../shared/errors.js';
import { buildDecoderPoints, type DecoderPoints } from './math/prompts.js';
import { validateObjectPrompt } from '../shared/prompts.js';
import { maskArea, maskBbox } from '../shared/polygons.js';
import { upsampleAndThreshold, upsampleBilinear, upsampleThresholdRegion, type RegionMask } from './math/resample.js';
import { selectAmongThree, selectMask } from './math/select.js';
import { preprocess } from './preprocess.js';
import type { PromptBox, PromptPoint, SegmentPrompt, SegmentResultData } from '../shared/types.js';

/** Previous logits fed back as `mask_input` are clamped to ±32, as the reference does (§2.2). */
const MASK_PROMPT_CLAMP = 32;

/** Natural size of the current image. */
export interface ImageInfo {
  width: number;
  height: number;
  /** What encoding it cost (ms). */
  timings: { preprocess: number; encode: number };
}

interface CurrentImage {
  width: number;
  height: number;
  /** Model-input side and the part of it the image covers (smaller than `size` only when letterboxed). */
  size: number;
  contentWidth: number;
  contentHeight: number;
  embedding: Embedding;
}

/** Image-mode engine: one image, any number of objects, each with its own refinement state. */
export class ImageEngine {
  private image: CurrentImage | null = null;
  /** Clamped low-res logits of the last selected mask, per object (the refinement prompt). */
  private readonly lowRes = new Map<number, Float32Array>();

  constructor(
    private readonly adapter: ModelAdapter,
    /** WebGPU sessions: images are normalised on the GPU, and the encoder's input stays there. */
    private readonly pixelsOnGpu = false,
  ) {}

  /**
   * Encodes an image once and keeps its embedding (only the embedding: the pixels are not kept); a bitmap is closed,
   * a Blob is decoded here, off the page's thread. Callers run it through the command queue.
   */
  async setImage(image: ImageBitmap | Blob): Promise<ImageInfo> {
    let px;
    const t0 = performance.now();
    let bitmap: ImageBitmap | null = image instanceof Blob ? null : image;
    try {
      bitmap ??= await createImageBitmap(image);
      px = await preprocess(bitmap, this.adapter.preprocess, this.pixelsOnGpu);
    } catch (e) {
      // An origin-unclean bitmap can be drawn but not read back; a Blob may not be an image at all.
      throw mediaReadError(e, 'the image');
    } finally {
      bitmap?.close();
    }
    const t1 = performance.now();
    const embedding = await this.adapter.encode(px);
    const t2 = performance.now();
    this.image?.embedding.dispose();
    this.lowRes.clear();
    this.image = {
      width: px.width,
      height: px.height,
      size: px.size,
      contentWidth: px.contentWidth,
      contentHeight: px.contentHeight,
      embedding,
    };
    return { width: px.width, height: px.height, timings: { preprocess: t1 - t0, encode: t2 - t1 } };
  }

  /** Segments one object of the current image. Callers run it through the command queue. */
  segment(prompt: SegmentPrompt): Promise<SegmentResultData> {
    return this.run(prompt);
  }

  /** Drops the refinement state of one object, or of all. */
  clear(objectId?: number): void {
    if (objectId === undefined) this.lowRes.clear();
    else this.lowRes.delete(objectId);
  }

  /** Frees the embedding and the sessions; callers wait for running commands first. */
  async dispose(): Promise<void> {
    this.image?.embedding.dispose();
    this.image = null;
    this.lowRes.clear();
    await this.adapter.release();
  }

  private points(prompt: { points: PromptPoint[]; box: PromptBox | null }, img: CurrentImage): DecoderPoints {
    const p = buildDecoderPoints(prompt.points, prompt.box, img.width, img.height);
    if (img.contentWidth !== img.size || img.contentHeight !== img.size) {
      // Letterboxed input: the image covers only the top-left content area of the model input.
      const sx = img.contentWidth / img.size;
      const sy = img.contentHeight / img.size;
      for (let i = 0; i < p.coords.length; i += 2) {
        p.coords[i] = p.coords[i]! * sx;
        p.coords[i + 1] = p.coords[i + 1]! * sy;
      }
    }
    return p;
  }

  /** Low-res logits → binary mask at the natural size: interpolate logits, then threshold (§2.6). */
  private toNatural(logits: Float32Array, img: CurrentImage): Uint8Array | RegionMask {
    if (img.contentWidth === img.size && img.contentHeight === img.size) {
      // Only the object's band of rows is interpolated; bbox and area come out of the same pass.
      return upsampleThresholdRegion(logits, LOW_RES, LOW_RES, img.width, img.height);
    }
    // Letterbox: up to the model input, crop the content area, then to the natural size (transformers.js
    // post_process_masks does the same three steps).
    const full = upsampleBilinear(logits, LOW_RES, LOW_RES, img.size, img.size);
    const crop = new Float32Array(img.contentWidth * img.contentHeight);
    for (let y = 0; y < img.contentHeight; y++) {
      crop.set(full.subarray(y * img.size, y * img.size + img.contentWidth), y * img.contentWidth);
    }
    return upsampleAndThreshold(crop, img.contentWidth, img.contentHeight, img.width, img.height);
  }

  private async run(prompt: SegmentPrompt): Promise<SegmentResultData> {
    const img = this.image;
    if (!img) throw new Sam2Error('not-ready', 'segment() needs an image: call setImage() first');
    const valid = validateObjectPrompt(prompt);
    const objectId = valid.objectId;
    const p = this.points(valid, img);
    const maskInput = prompt.refine !== false && this.adapter.hasMaskInput ? (this.lowRes.get(objectId) ?? null) : null;
    const out = await this.adapter.decode(img.embedding, p, maskInput);

    // Selection (§2.4). Without a token-0 mask (onnx-community graphs) the single-mask + stability path cannot
    // run, so the best of the three candidates is shown for every prompt: a documented deviation.
    let k: number;
    let score: number;
    let candidate: number;
    if (out.hasSingleMaskToken) {
      const sel = selectMask(out.iou, out.masks, p.nPts);
      k = sel.k;
      score = sel.iou;
      candidate = sel.k;
    } else if (out.masks.length === 1) {
      // Video exports select in their graph (or by IoU in their layout): one mask, already chosen.
      k = 0;
      score = out.iou[0]!;
      candidate = 0;
    } else {
      k = selectAmongThree(out.iou);
      score = out.iou[k]!;
      // Report SAM 2's token numbering (1–3 are the multimask candidates) whatever the bundle.
      candidate = k + 1;
    }
    const logits = out.masks[k]!;

    // The image predictor ignores the object score (§2.5): it is reported, the mask is not blanked.
    const natural = this.toNatural(logits, img);
    const data = natural instanceof Uint8Array ? natural : natural.data;
    const bbox = natural instanceof Uint8Array ? maskBbox(data, img.width, img.height) : natural.bbox;
    const stored = new Float32Array(logits.length);
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i]!;
      stored[i] = v > MASK_PROMPT_CLAMP ? MASK_PROMPT_CLAMP : v < -MASK_PROMPT_CLAMP ? -MASK_PROMPT_CLAMP : v;
    }
    this.lowRes.set(objectId, stored);

    return {
      objectId,
      score,
      objectScore: out.objectScore,
      candidate,
      overlay: await alphaBitmap(data, img.width, img.height, bbox),
      mask: {
        width: img.width,
        height: img.height,
        data,
        bbox,
        area: natural instanceof Uint8Array ? maskArea(data) : natural.area,
      },
    };
  }
}

/** Longest side of an overlay bitmap of a whole frame: it is only drawn, scaled to the element's size, never read. */
export const OVERLAY_MAX_SIDE = 1024;

/**
 * The mask as an alpha bitmap for the overlay, made here in the worker: the one per-pixel pass of drawing. It covers
 * only the mask's bounding box `bbox` (natural pixels; 1x1 transparent when empty), since making a bitmap costs per
 * pixel and an object rarely fills its frame. Frames larger than OVERLAY_MAX_SIDE are sampled down by the same
 * factor (nearest pixel), so a 8000x6000 photo costs the page at most a 1024x768 bitmap rather than 192 MB.
 */
export async function alphaBitmap(
  mask: Uint8Array,
  width: number,
  height: number,
  bbox: readonly [number, number, number, number],
): Promise<ImageBitmap | undefined> {
  if (typeof createImageBitmap !== 'function' || typeof ImageData === 'undefined') return undefined;
  const [bx, by, bw, bh] = bbox;
  const scale = Math.min(1, OVERLAY_MAX_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(bw * scale));
  const h = Math.max(1, Math.round(bh * scale));
  const rgba = new Uint32Array(w * h);
  if (bw > 0 && bh > 0) {
    // Little-endian RGBA: 0xffffffff is opaque white, 0 transparent.
    const cols = new Uint32Array(w);
    for (let x = 0; x < w; x++) cols[x] = bx + Math.min(bw - 1, Math.floor(((x + 0.5) * bw) / w));
    for (let y = 0; y < h; y++) {
      const row = (by + Math.min(bh - 1, Math.floor(((y + 0.5) * bh) / h))) * width;
      const out = y * w;
      for (let x = 0; x < w; x++) if (mask[row + cols[x]!]) rgba[out + x] = 0xffffffff;
    }
  }
  return createImageBitmap(new ImageData(new Uint8ClampedArray(rgba.buffer), w, h));
}
