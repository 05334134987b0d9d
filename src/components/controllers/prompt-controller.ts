// The element's prompts for its object: the history (every click or box adds an entry holding the full prompt so
// far, so undo is a pop, and an entry keeps the mask it produced to be shown again without another decode), running
// an entry on the engine (refining with the previous mask when the entry extends the one whose logits the engine
// holds), and the hover preview pump. Newer prompts, undo, clear and a new image supersede older runs.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Sam2Error, abortedError } from '../../shared/errors.js';
import { validatePrompt } from '../../shared/prompts.js';
import type { PromptBox, PromptPoint } from '../../shared/types.js';
import type { Segmenter } from '../../client/segmenter.js';
import { Sam2Mask } from '../../client/mask.js';
import { maskToBitmap } from '../../client/mask-bitmap.js';
import type { Sam2MaskChangeDetail } from '../events.js';
import { coded, isAbort, type Reporter } from '../reporter.js';
import type { EngineController } from './engine-controller.js';
import type { OverlayController } from './overlay-controller.js';

/** One state of the prompt: all points and the box in natural pixels, and the mask they produced once known. */
export interface PromptEntry {
  points: readonly PromptPoint[];
  box: PromptBox | null;
  /** The result, once decoded (and not dropped to bound memory). */
  detail: Sam2MaskChangeDetail | null;
  /** Its mask was shown; entries superseded before theirs was are dropped from the history. */
  shown?: boolean;
}

/** The object the element's prompts refine, as hosts see it. */
export const OBJECT_ID = 1;
/** Entries that keep their mask; older ones are decoded again if undo reaches them. */
const KEEP_MASKS = 20;
/** Minimum interval between hover decodes (ms). */
const HOVER_INTERVAL_MS = 60;
/**
 * Engine object ids are per element: n for prompts, -n for hover previews (which so never touch the clicked object's
 * refinement state); elements sharing a segmenter must not supersede each other's calls.
 */
let nextEngineObject = 1;

/** What the prompt controller works with. */
export interface PromptControllerOptions {
  engine: EngineController;
  overlay: OverlayController;
  reporter: Reporter;
  /** The current image, decoding or decoded; null when there is none. */
  image(): Promise<ImageBitmap> | null;
  /** The decoded image (its size is the size of a cleared mask). */
  bitmap(): ImageBitmap | null;
  /** A new mask is about to be shown (it replaces the tracked masks drawn on this frame). */
  willShowMask?(): void;
}

/** Prompt history, runs and hover previews of the host's object. */
export class PromptController implements ReactiveController {
  #entries: PromptEntry[] = [];
  readonly #objectId = nextEngineObject++;
  readonly #hoverObjectId = -this.#objectId;
  /** Bumped by every new prompt, undo, clear and image: results of older runs are dropped. */
  #seq = 0;
  /** The entry whose decode left the engine's refinement logits for our object. */
  #logitsOf: PromptEntry | null = null;
  #hoverPending: { x: number; y: number } | null = null;
  #hoverBusy = false;
  #hoverSeq = 0;
  #hoverLast = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: PromptControllerOptions,
  ) {
    host.addController(this);
  }

  /** The current prompt (the last entry), or null when there is none. */
  get current(): PromptEntry | null {
    return this.#entries.at(-1) ?? null;
  }

  /** Number of entries (how many undos are possible). */
  get length(): number {
    return this.#entries.length;
  }

  hostUpdate(): void {
    this.options.overlay.points = this.current?.points ?? [];
    this.options.overlay.box = this.current?.box ?? null;
  }

  hostDisconnected(): void {
    this.cancelHover();
  }

  // ---------------------------------------------------------------- prompting

  /** Segments with exactly these points and/or box; errors fire `error` (unless superseded) and reject. */
  async segment(prompt: { points?: PromptPoint[]; box?: PromptBox | null }): Promise<Sam2MaskChangeDetail> {
    let entry: PromptEntry | null = null;
    try {
      validatePrompt(prompt?.points, prompt?.box);
      entry = this.#push({
        points: [...(prompt.points ?? [])],
        box: prompt.box ? { ...prompt.box } : null,
        detail: null,
      });
      return await this.#run(entry);
    } catch (e) {
      if (entry) this.#rollback(entry);
      const err = coded(e, 'invalid-prompt');
      if (!isAbort(err)) this.options.reporter.error(err, 'invalid-prompt');
      throw err;
    }
  }

  /** Adds a point to the current prompt and runs it (pointer and keyboard: errors become `error` events). */
  addPoint(x: number, y: number, negative: boolean): void {
    const cur = this.current;
    const point: PromptPoint = { x, y, label: negative ? 'negative' : 'positive' };
    this.#prompt(this.#push({ points: [...(cur?.points ?? []), point], box: cur?.box ?? null, detail: null }));
  }

  /** Replaces the current prompt's box and runs it (errors become `error` events). */
  setBox(box: PromptBox): void {
    this.#prompt(this.#push({ points: [...(this.current?.points ?? [])], box, detail: null }));
  }

  /** Removes every prompt and the mask; fires an empty `mask-change` when there was a selection. */
  clear(): void {
    this.#seq++;
    this.cancelHover();
    const had = this.#entries.length > 0;
    this.#entries = [];
    this.host.requestUpdate();
    this.#forgetLogits();
    this.options.overlay.setMask(null);
    if (had) {
      this.options.reporter.announce('Selection cleared');
      this.#emitCleared();
    }
  }

  /** Removes the last prompt and shows the mask from before it (decoding it again when it was dropped). */
  async undo(): Promise<void> {
    if (this.#entries.length === 0) return;
    this.#seq++;
    this.cancelHover();
    this.#entries.pop();
    this.host.requestUpdate();
    const prev = this.current;
    // The engine's refinement logits are those of the undone prompt: drop them.
    this.#forgetLogits();
    const { overlay, reporter } = this.options;
    if (!prev) {
      overlay.setMask(null);
      reporter.announce('Selection cleared');
      this.#emitCleared();
      return;
    }
    if (prev.detail) {
      const seq = this.#seq;
      const bitmap = await maskToBitmap(prev.detail.mask);
      if (seq !== this.#seq) return bitmap.close();
      overlay.setMask(bitmap);
      this.#announceMask(prev.detail, 'Undone');
      reporter.emit('mask-change', prev.detail);
      return;
    }
    // The earlier result was dropped (or never arrived): decode it again.
    await this.#run(prev).catch((e: unknown) => reporter.interactive(e));
  }

  // ---------------------------------------------------------------- image and engine

  /** A new image is coming: the selection is dropped (hosts hear it like a clear()) and older runs are superseded. */
  resetForImage(): void {
    if (this.#entries.length > 0) this.clear();
    this.#seq++;
    this.cancelHover();
    this.#forgetLogits();
    this.options.engine.forgetImage();
  }

  /** Encodes the image as soon as it is decoded (a lazy element once allowed), so that the first click only decodes. */
  encodeEarly(decoding: Promise<ImageBitmap>): void {
    decoding
      .then(() => this.options.engine.whenAllowed())
      .then(() => this.#image())
      .catch((e: unknown) => {
        if (this.options.image() === decoding) this.options.reporter.interactive(e, 'media-decode');
      });
  }

  /** The engine options changed: the segmenter is replaced, and the image sent to the new one. */
  resetEngine(): void {
    this.options.engine.reset();
    this.#forgetLogits();
    if (this.options.bitmap()) this.#image().catch((e: unknown) => this.options.reporter.interactive(e));
  }

  /** The engine's image was replaced: it has none of our logits any more. */
  imagePosted(): void {
    this.#forgetLogits();
  }

  // ---------------------------------------------------------------- runs

  /** Decodes `entry`, shows the result and fires `mask-change`; rejects with `aborted` when superseded. */
  async #run(entry: PromptEntry): Promise<Sam2MaskChangeDetail> {
    const seq = ++this.#seq;
    this.cancelHover();
    const { seg, bitmap } = await this.#image();
    if (seq !== this.#seq) throw abortedError('the prompt');
    // A segmenter shared with another element may have been given its image meanwhile (this drops our logits).
    this.options.engine.reclaim(seg, bitmap);
    // Refine with the previous mask only when the engine's logits are those of the entry this one extends.
    const history = this.#logitsOf;
    const refine = history !== null && extendsEntry(entry, history);
    const r = await seg.segment({ points: [...entry.points], box: entry.box, objectId: this.#objectId, refine });
    this.#logitsOf = entry;
    if (seq !== this.#seq) throw abortedError('the prompt');
    const mask = new Sam2Mask(r.mask, bitmap);
    const alpha = await maskToBitmap(mask, r.overlay);
    if (seq !== this.#seq) {
      alpha.close();
      throw abortedError('the prompt');
    }
    this.options.willShowMask?.();
    const detail: Sam2MaskChangeDetail = {
      objectId: OBJECT_ID,
      score: r.score,
      objectScore: r.objectScore,
      candidate: r.candidate,
      mask,
    };
    entry.detail = detail;
    entry.shown = true;
    // Undo steps back through what the user saw: prompts superseded before their mask was shown leave the history.
    const at = this.#entries.indexOf(entry);
    if (at > 0) this.#entries = [...this.#entries.slice(0, at).filter((e) => e.shown), ...this.#entries.slice(at)];
    this.options.overlay.setMask(alpha);
    this.#announceMask(detail, 'Mask updated');
    this.options.reporter.emit('mask-change', detail);
    return detail;
  }

  /** The current image, sent to the segmenter. */
  async #image(): Promise<{ seg: Segmenter; bitmap: ImageBitmap }> {
    const decoding = this.options.image();
    if (!decoding) throw new Sam2Error('not-ready', 'no image: set `src` or `source` first');
    const bitmap = await decoding;
    const seg = await this.options.engine.setImage(bitmap);
    return { seg, bitmap };
  }

  #push(entry: PromptEntry): PromptEntry {
    this.#entries.push(entry);
    const stale = this.#entries.length - 1 - KEEP_MASKS;
    if (stale >= 0) this.#entries[stale]!.detail = null;
    this.host.requestUpdate();
    return entry;
  }

  /** A prompt from the pointer or keyboard: errors become `error` events, never rejections. */
  #prompt(entry: PromptEntry): void {
    this.#run(entry).catch((e: unknown) => {
      this.#rollback(entry);
      this.options.reporter.interactive(e, 'invalid-prompt');
    });
  }

  /** Drops a failed entry if it is still the last one, and its mask if no earlier one has a result. */
  #rollback(entry: PromptEntry): void {
    if (this.current !== entry) return;
    this.#entries.pop();
    this.host.requestUpdate();
    if (!this.current?.detail) this.options.overlay.setMask(null);
  }

  #forgetLogits(): void {
    // A shared segmenter holding another element's image has none of our logits (and must keep theirs).
    const { engine } = this.options;
    if (this.#logitsOf && engine.ownsImage()) engine.existing?.clear(this.#objectId).catch(() => undefined);
    this.#logitsOf = null;
  }

  /** `mask-change` with an empty mask at the media's natural size. */
  #emitCleared(): void {
    const bitmap = this.options.bitmap();
    const width = bitmap?.width ?? 0;
    const height = bitmap?.height ?? 0;
    const mask = new Sam2Mask(
      { width, height, data: new Uint8Array(width * height), bbox: [0, 0, 0, 0], area: 0 },
      bitmap,
    );
    this.options.reporter.emit('mask-change', { objectId: OBJECT_ID, score: 0, objectScore: 0, candidate: -1, mask });
  }

  #announceMask(detail: Sam2MaskChangeDetail, what: string): void {
    this.options.reporter.announce(`${what}, ${new Intl.NumberFormat().format(detail.mask.area)} pixels`);
  }

  // ---------------------------------------------------------------- hover preview

  /** Previews the mask under a natural-pixel point; the newest position supersedes any not yet sent. */
  hover(x: number, y: number): void {
    this.#hoverPending = { x, y };
    if (!this.#hoverBusy) void this.#pumpHover();
  }

  /** Stops previewing and hides the preview. */
  cancelHover(): void {
    this.#hoverSeq++;
    this.#hoverPending = null;
    if (this.options.overlay.hasPreview) this.options.overlay.setPreview(null);
  }

  /** One hover decode at a time, at most one per HOVER_INTERVAL_MS. */
  async #pumpHover(): Promise<void> {
    this.#hoverBusy = true;
    try {
      while (this.#hoverPending) {
        const wait = this.#hoverLast + HOVER_INTERVAL_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const p = this.#hoverPending;
        if (!p) break;
        this.#hoverPending = null;
        this.#hoverLast = performance.now();
        const seq = ++this.#hoverSeq;
        try {
          const { seg, bitmap } = await this.#image();
          if (seq !== this.#hoverSeq) continue;
          this.options.engine.reclaim(seg, bitmap);
          const r = await seg.segment({
            points: [{ x: p.x, y: p.y, label: 'positive' }],
            objectId: this.#hoverObjectId,
            refine: false,
          });
          if (seq !== this.#hoverSeq) continue;
          const alpha = await maskToBitmap(r.mask, r.overlay);
          if (seq !== this.#hoverSeq) {
            alpha.close();
            continue;
          }
          this.options.overlay.setPreview(alpha);
        } catch (e) {
          if (seq === this.#hoverSeq) this.options.reporter.interactive(e, 'invalid-prompt');
        }
      }
    } finally {
      this.#hoverBusy = false;
    }
  }
}

/** Whether `entry` adds to `base` (same box or a new one, base's points first). */
function extendsEntry(entry: PromptEntry, base: PromptEntry): boolean {
  if (base.points.length > entry.points.length) return false;
  return base.points.every((p, i) => entry.points[i] === p);
}
