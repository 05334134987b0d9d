// The image pipeline, run in the worker: preprocess → encoder → embedding cache → prompt → decoder → select →
// upsample. One image is kept at a time; replacing it frees the previous embedding.

import type { Embedding, ModelAdapter } from './adapters.js';
import { LOW_RES } from './adapters.js';
import { Sam2Error, abortedError } from '../shared/errors.js';
import { PromptError, buildDecoderPoints, type DecoderPoints } from './math/prompts.js';
import { maskArea, maskBbox } from './math/polygons.js';
import { upsampleAndThreshold, upsampleBilinear } from './math/resample.js';
import { selectAmongThree, selectMask } from './math/select.js';
import { preprocess } from './preprocess.js';
import type { SegmentPrompt, SegmentResultData } from '../shared/types.js';

/** Previous logits fed back as `mask_input` are clamped to ±32, as the reference does (§2.2). */
const MASK_PROMPT_CLAMP = 32;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Natural size of the current image, and what encoding it cost (ms). */
export interface ImageInfo {
  width: number;
  height: number;
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

function mediaError(e: unknown): Sam2Error {
  // An origin-unclean bitmap can be drawn but not read back: getImageData throws a SecurityError.
  if (e instanceof DOMException && e.name === 'SecurityError') {
    return new Sam2Error('media-cross-origin', 'the image is cross-origin without CORS and cannot be read', { cause: e });
  }
  return new Sam2Error('media-decode', `the image could not be prepared: ${String(e)}`, { cause: e });
}

/** Image-mode engine: one image, any number of objects, each with its own refinement state. */
export class ImageEngine {
  private image: CurrentImage | null = null;
  /** Clamped low-res logits of the last selected mask, per object (the refinement prompt). */
  private readonly lowRes = new Map<number, Float32Array>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly queued = new Set<number>();
  private readonly cancelled = new Set<number>();
  /** Newest queued segment() call per object: an older one still queued when it comes up is superseded. */
  private readonly newestSegment = new Map<number, number>();
  private autoId = -1;

  constructor(private readonly adapter: ModelAdapter) {}

  /** Cancels a queued call; a call already running finishes and its result is dropped by the caller. */
  cancel(callId: number): void {
    if (this.queued.has(callId)) this.cancelled.add(callId);
  }

  /** Encodes an image once and keeps its embedding; the bitmap is closed. */
  setImage(bitmap: ImageBitmap, callId = this.autoId--): Promise<ImageInfo> {
    return this.enqueue(callId, async () => {
      let px;
      const t0 = performance.now();
      try {
        px = await preprocess(bitmap, this.adapter.preprocess);
      } catch (e) {
        throw mediaError(e);
      } finally {
        bitmap.close();
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
    }, () => {
      bitmap.close();
    });
  }

  /** Segments one object of the current image. */
  segment(prompt: SegmentPrompt, callId = this.autoId--): Promise<SegmentResultData> {
    const objectId = prompt?.objectId ?? 1;
    this.newestSegment.set(objectId, callId);
    return this.enqueue(callId, async () => {
      if (this.newestSegment.get(objectId) !== callId) throw abortedError('a segment() superseded by a newer one');
      return this.run(prompt, objectId);
    }, undefined, () => {
      if (this.newestSegment.get(objectId) === callId) this.newestSegment.delete(objectId);
    });
  }

  /** Drops the refinement state of one object, or of all. */
  clear(objectId?: number): void {
    if (objectId === undefined) this.lowRes.clear();
    else this.lowRes.delete(objectId);
  }

  /** Frees the embedding and the sessions. */
  async dispose(): Promise<void> {
    await this.tail.catch(() => undefined);
    this.image?.embedding.dispose();
    this.image = null;
    this.lowRes.clear();
    await this.adapter.release();
  }

  private enqueue<T>(callId: number, fn: () => Promise<T>, onSkip?: () => void, onSettle?: () => void): Promise<T> {
    this.queued.add(callId);
    const result = this.tail.then(async () => {
      // WASM inference blocks this thread, so newer calls and cancels pile up as unread messages; one trip through
      // the event loop lets them register before the next call starts, or supersession could never happen.
      await yieldToEventLoop();
      this.queued.delete(callId);
      try {
        if (this.cancelled.delete(callId)) {
          onSkip?.();
          throw abortedError();
        }
        return await fn();
      } finally {
        onSettle?.();
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  private points(prompt: SegmentPrompt, img: CurrentImage): DecoderPoints {
    if (prompt === null || typeof prompt !== 'object') throw new PromptError('prompt must be an object');
    const pts = prompt.points ?? [];
    if (!Array.isArray(pts)) throw new PromptError('prompt.points must be an array');
    if (pts.length === 0 && !prompt.box) throw new PromptError('a prompt needs at least one point or a box');
    const p = buildDecoderPoints(pts, prompt.box, img.width, img.height);
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
  private toNatural(logits: Float32Array, img: CurrentImage): Uint8Array {
    if (img.contentWidth === img.size && img.contentHeight === img.size) {
      return upsampleAndThreshold(logits, LOW_RES, LOW_RES, img.width, img.height);
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

  private async run(prompt: SegmentPrompt, objectId: number): Promise<SegmentResultData> {
    const img = this.image;
    if (!img) throw new Sam2Error('not-ready', 'segment() needs an image: call setImage() first');
    if (!Number.isInteger(objectId)) throw new Sam2Error('invalid-prompt', `objectId must be an integer, got ${String(objectId)}`);
    let p: DecoderPoints;
    try {
      p = this.points(prompt, img);
    } catch (e) {
      if (e instanceof PromptError) throw new Sam2Error('invalid-prompt', e.message, { cause: e });
      throw e;
    }
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
    } else {
      k = selectAmongThree(out.iou);
      score = out.iou[k]!;
      // Report SAM 2's token numbering (1–3 are the multimask candidates) whatever the bundle.
      candidate = k + 1;
    }
    const logits = out.masks[k]!;

    // The image predictor ignores the object score (§2.5): it is reported, the mask is not blanked.
    const data = this.toNatural(logits, img);
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
      overlay: await alphaBitmap(data, img.width, img.height),
      mask: {
        width: img.width,
        height: img.height,
        data,
        bbox: maskBbox(data, img.width, img.height),
        area: maskArea(data),
      },
    };
  }
}

/** The mask as an alpha bitmap for the overlay: the one per-pixel pass of drawing, done here in the worker. */
export async function alphaBitmap(mask: Uint8Array, width: number, height: number): Promise<ImageBitmap | undefined> {
  if (typeof createImageBitmap !== 'function' || typeof ImageData === 'undefined') return undefined;
  const rgba = new Uint32Array(width * height);
  // Little-endian RGBA: 0xffffffff is opaque white, 0 transparent.
  for (let i = 0; i < mask.length; i++) if (mask[i]) rgba[i] = 0xffffffff;
  return createImageBitmap(new ImageData(new Uint8ClampedArray(rgba.buffer), width, height));
}
