// The element's prompts for its object: the history (every click or box adds an entry holding the full prompt so
// far, so undo is a pop, and an entry keeps the mask it produced to be shown again without another decode), running
// an entry on the engine (refining with the previous mask when the entry extends the one whose logits the engine
// holds), and the hover preview pump. Newer prompts, undo, clear and a new image supersede older runs.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Sam2Error, abortedError } from '../../shared/errors.js';
import { validatePrompt } from '../../shared/prompts.js';
import type { MaskOverlay, PromptBox, PromptPoint } from '../../shared/types.js';
import type { Segmenter } from '../../client/segmenter.js';
import { Sam2Mask, type Sam2MaskSource } from '../../client/mask.js';
import { maskToBitmap } from '../../client/mask-bitmap.js';
import type { Sam2MaskChangeDetail } from '../events.js';
import type { Sam2SegmenterStrings } from '../strings.js';
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

/** The object the element's prompts go to first, as hosts see it. */
export const OBJECT_ID = 1;
/** Entries that keep their mask; older ones are decoded again if undo reaches them. */
const KEEP_MASKS = 20;
/** Minimum interval between hover decodes (ms). */
const HOVER_INTERVAL_MS = 60;
/**
 * Engine object ids are unique per object of every element: elements sharing a segmenter must not supersede each
 * other's calls or refine with each other's logits; hover previews use negative ids.
 */
let nextEngineObject = 1;

/** One object's prompts: undo history (only prompts whose mask was shown), redo stack, and engine state. */
interface ObjectState {
  readonly id: number;
  readonly engineId: number;
  entries: PromptEntry[];
  redo: PromptEntry[];
  /** The entry whose decode left the engine's refinement logits for this object. */
  logitsOf: PromptEntry | null;
  /** The mask drawn for this object. */
  drawn: MaskOverlay | null;
}

/** What the prompt controller works with. */
export interface PromptControllerOptions {
  engine: EngineController;
  overlay: OverlayController;
  reporter: Reporter;
  /** The element's texts (announcements). */
  text(): Sam2SegmenterStrings;
  /** The current image, decoding or decoded; null when there is none. */
  image(): Promise<ImageBitmap> | null;
  /** The decoded image (its size is the size of a cleared mask). */
  bitmap(): ImageBitmap | null;
  /** What cut-outs of masks of `bitmap` read (default: the bitmap itself). */
  pixels?(bitmap: ImageBitmap): Sam2MaskSource | (() => Promise<Sam2MaskSource>);
  /** A new mask is about to be shown (it replaces the tracked masks drawn on this frame). */
  willShowMask?(): void;
}

/** Prompt histories, runs and hover previews of the host's objects. */
export class PromptController implements ReactiveController {
  readonly #objects = new Map<number, ObjectState>();
  #active = OBJECT_ID;
  readonly #hoverObjectId = -nextEngineObject++;
  /** Bumped by every new prompt, undo, redo, clear and image: results of older runs are dropped. */
  #seq = 0;
  #hoverPending: { x: number; y: number } | null = null;
  #hoverBusy = false;
  #hoverSeq = 0;
  #hoverLast = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: PromptControllerOptions,
  ) {
    host.addController(this);
    this.#object(OBJECT_ID);
  }

  /** The active object's current prompt (its last entry), or null when there is none. */
  get current(): PromptEntry | null {
    return this.#object(this.#active).entries.at(-1) ?? null;
  }

  /** Number of the active object's entries (how many undos are possible). */
  get length(): number {
    return this.#object(this.#active).entries.length;
  }

  /** Number of redos possible for the active object. */
  get redoLength(): number {
    return this.#object(this.#active).redo.length;
  }

  /** The object prompts go to. */
  get activeObject(): number {
    return this.#active;
  }

  /** Every object, in the order they were made. */
  get objectIds(): number[] {
    return [...this.#objects.keys()];
  }

  /** Each object's current prompt (objects with none are left out): what tracking starts from. */
  selections(): { objectId: number; entry: PromptEntry }[] {
    const out: { objectId: number; entry: PromptEntry }[] = [];
    for (const o of this.#objects.values()) {
      const entry = o.entries.at(-1);
      if (entry) out.push({ objectId: o.id, entry });
    }
    return out;
  }

  /** The mask shown for an object (default: the active one), or null. */
  maskOf(objectId = this.#active): Sam2Mask | null {
    return this.#objects.get(objectId)?.entries.at(-1)?.detail?.mask ?? null;
  }

  hostUpdate(): void {
    this.options.overlay.points = this.current?.points ?? [];
    this.options.overlay.box = this.current?.box ?? null;
  }

  hostDisconnected(): void {
    this.cancelHover();
  }

  // ---------------------------------------------------------------- objects

  /** Starts a new object and sends prompts to it; returns its id. */
  newObject(): number {
    const id = Math.max(0, ...this.#objects.keys()) + 1;
    this.#object(id);
    this.selectObject(id);
    this.options.reporter.announce(this.options.text().objectAdded(id));
    return id;
  }

  /** Sends prompts to object `objectId` (creating it when new). */
  selectObject(objectId: number): void {
    if (!Number.isInteger(objectId) || objectId < 1)
      throw new Sam2Error('invalid-option', `object ids are whole numbers ≥ 1, got ${String(objectId)}`);
    const isNew = !this.#objects.has(objectId);
    this.#object(objectId);
    if (this.#active === objectId) return;
    this.#seq++;
    this.cancelHover();
    this.#active = objectId;
    this.#drawObjects();
    this.host.requestUpdate();
    if (!isNew) this.options.reporter.announce(this.options.text().objectSelected(objectId));
  }

  #object(id: number): ObjectState {
    let o = this.#objects.get(id);
    if (!o) {
      o = { id, engineId: nextEngineObject++, entries: [], redo: [], logitsOf: null, drawn: null };
      this.#objects.set(id, o);
    }
    return o;
  }

  /** The overlay: the active object's mask, every other object's in its own colour. */
  #drawObjects(): void {
    const masks = new Map<number, MaskOverlay>();
    for (const o of this.#objects.values()) if (o.drawn) masks.set(o.id, o.drawn);
    this.options.overlay.setObjects(masks, this.#active);
  }

  #show(o: ObjectState, mask: MaskOverlay | null): void {
    if (o.drawn && o.drawn !== mask) o.drawn.bitmap.close();
    o.drawn = mask;
    this.#drawObjects();
  }

  // ---------------------------------------------------------------- prompting

  /** Segments the active object with exactly these points and/or box; errors fire `error` (unless superseded) and reject. */
  async segment(prompt: { points?: PromptPoint[]; box?: PromptBox | null }): Promise<Sam2MaskChangeDetail> {
    let entry: PromptEntry | null = null;
    const o = this.#object(this.#active);
    try {
      const named = validatePrompt(prompt?.points, prompt?.box);
      entry = this.#push(o, { points: named.points, box: named.box, detail: null });
      return await this.#run(o, entry);
    } catch (e) {
      if (entry) this.#rollback(o, entry);
      const err = coded(e, 'invalid-prompt');
      if (!isAbort(err)) this.options.reporter.error(err, 'invalid-prompt');
      throw err;
    }
  }

  /** Adds a point to the active object's prompt and runs it (pointer and keyboard: errors become `error` events). */
  addPoint(x: number, y: number, negative: boolean): void {
    const o = this.#object(this.#active);
    const cur = o.entries.at(-1);
    const point: PromptPoint = { x, y, label: negative ? 'negative' : 'positive' };
    this.#prompt(o, this.#push(o, { points: [...(cur?.points ?? []), point], box: cur?.box ?? null, detail: null }));
  }

  /** Replaces the active object's box and runs it (errors become `error` events). */
  setBox(box: PromptBox): void {
    const o = this.#object(this.#active);
    this.#prompt(o, this.#push(o, { points: [...(o.entries.at(-1)?.points ?? [])], box, detail: null }));
  }

  /** Removes the prompts and masks of one object, or of every object; fires an empty `mask-change` for each that had one. */
  clear(objectId?: number): void {
    this.#seq++;
    this.cancelHover();
    const targets =
      objectId === undefined
        ? [...this.#objects.values()]
        : [this.#objects.get(objectId)].filter((o): o is ObjectState => !!o);
    const had = targets.filter((o) => o.entries.length > 0);
    for (const o of targets) {
      o.entries = [];
      o.redo = [];
      this.#forgetLogits(o);
      this.#show(o, null);
    }
    if (objectId === undefined) {
      // Back to one object.
      for (const id of [...this.#objects.keys()]) if (id !== OBJECT_ID) this.#objects.delete(id);
      this.#active = OBJECT_ID;
      this.#drawObjects();
    }
    this.host.requestUpdate();
    if (had.length) {
      this.options.reporter.announce(this.options.text().cleared);
      for (const o of had) this.#emitCleared(o);
    }
  }

  /** Takes back the active object's last prompt and shows the mask from before it (redo brings it back). */
  async undo(): Promise<void> {
    const o = this.#object(this.#active);
    const last = o.entries.pop();
    if (!last) return;
    o.redo.push(last);
    await this.#showEntry(o, o.entries.at(-1) ?? null, 'undone');
  }

  /** Brings back the last prompt undone on the active object. */
  async redo(): Promise<void> {
    const o = this.#object(this.#active);
    const next = o.redo.pop();
    if (!next) return;
    o.entries.push(next);
    await this.#showEntry(o, next, 'redone');
  }

  /** Shows `entry` (null: no selection) after undo or redo, decoding it again when its mask was dropped. */
  async #showEntry(o: ObjectState, entry: PromptEntry | null, what: 'undone' | 'redone'): Promise<void> {
    this.#seq++;
    this.cancelHover();
    this.host.requestUpdate();
    // The engine's refinement logits are those of another entry: drop them.
    this.#forgetLogits(o);
    const { reporter } = this.options;
    if (!entry) {
      this.#show(o, null);
      reporter.announce(this.options.text().cleared);
      this.#emitCleared(o);
      return;
    }
    if (entry.detail) {
      const seq = this.#seq;
      const drawn = await maskToBitmap(entry.detail.mask);
      if (seq !== this.#seq) return drawn.bitmap.close();
      this.#show(o, drawn);
      reporter.announce(this.options.text()[what](entry.detail.mask.area, o.id));
      reporter.emit('mask-change', entry.detail);
      return;
    }
    // The earlier result was dropped (or never arrived): decode it again.
    await this.#run(o, entry).catch((e: unknown) => reporter.interactive(e));
  }

  // ---------------------------------------------------------------- image and engine

  /** A new image is coming: the selection is dropped (hosts hear it like a clear()) and older runs are superseded. */
  resetForImage(): void {
    if ([...this.#objects.values()].some((o) => o.entries.length > 0)) this.clear();
    this.#seq++;
    this.cancelHover();
    for (const o of this.#objects.values()) this.#forgetLogits(o);
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
    for (const o of this.#objects.values()) this.#forgetLogits(o);
    if (this.options.bitmap()) this.#image().catch((e: unknown) => this.options.reporter.interactive(e));
  }

  /** The engine's image was replaced: it has none of our logits any more. */
  imagePosted(): void {
    for (const o of this.#objects.values()) o.logitsOf = null;
  }

  // ---------------------------------------------------------------- runs

  /** Decodes `entry`, shows the result and fires `mask-change`; rejects with `aborted` when superseded. */
  async #run(o: ObjectState, entry: PromptEntry): Promise<Sam2MaskChangeDetail> {
    const seq = ++this.#seq;
    this.cancelHover();
    const { seg, bitmap } = await this.#image();
    if (seq !== this.#seq) throw abortedError('the prompt');
    // A segmenter shared with another element may have been given its image meanwhile (this drops our logits).
    this.options.engine.reclaim(seg, bitmap);
    // Refine with the previous mask only when the engine's logits are those of the entry this one extends.
    const history = o.logitsOf;
    const refine = history !== null && extendsEntry(entry, history);
    const r = await seg.segment({ points: [...entry.points], box: entry.box, objectId: o.engineId, refine });
    o.logitsOf = entry;
    if (seq !== this.#seq) throw abortedError('the prompt');
    const mask = new Sam2Mask(r.mask, this.options.pixels?.(bitmap) ?? bitmap, seg.maskCodec);
    const alpha = await maskToBitmap(mask, r.overlay);
    if (seq !== this.#seq) {
      alpha.bitmap.close();
      throw abortedError('the prompt');
    }
    this.options.willShowMask?.();
    const detail: Sam2MaskChangeDetail = {
      objectId: o.id,
      score: r.score,
      objectScore: r.objectScore,
      candidate: r.candidate,
      mask,
    };
    entry.detail = detail;
    entry.shown = true;
    // Undo steps back through what the user saw: prompts superseded before their mask was shown leave the history.
    const at = o.entries.indexOf(entry);
    if (at > 0) o.entries = [...o.entries.slice(0, at).filter((e) => e.shown), ...o.entries.slice(at)];
    this.#show(o, alpha);
    this.options.reporter.announce(this.options.text().maskUpdated(mask.area, o.id));
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

  /** A new prompt: it ends the redo stack. */
  #push(o: ObjectState, entry: PromptEntry): PromptEntry {
    o.entries.push(entry);
    o.redo = [];
    const stale = o.entries.length - 1 - KEEP_MASKS;
    if (stale >= 0) o.entries[stale]!.detail = null;
    this.host.requestUpdate();
    return entry;
  }

  /** A prompt from the pointer or keyboard: errors become `error` events, never rejections. */
  #prompt(o: ObjectState, entry: PromptEntry): void {
    this.#run(o, entry).catch((e: unknown) => {
      this.#rollback(o, entry);
      this.options.reporter.interactive(e, 'invalid-prompt');
    });
  }

  /**
   * Drops an entry whose mask was never shown (it failed, or a newer prompt superseded it), so that undo only
   * steps through masks the user saw; and the drawn mask if no remaining entry has a result.
   */
  #rollback(o: ObjectState, entry: PromptEntry): void {
    if (entry.detail) return;
    const i = o.entries.indexOf(entry);
    if (i < 0) return;
    o.entries.splice(i, 1);
    this.host.requestUpdate();
    // A pending newer entry replaces the drawn mask when it arrives; with none left, nothing is selected.
    if (o.entries.length === 0) this.#show(o, null);
  }

  #forgetLogits(o: ObjectState): void {
    // A shared segmenter holding another element's image has none of our logits (and must keep theirs).
    const { engine } = this.options;
    if (o.logitsOf && engine.ownsImage()) engine.existing?.clear(o.engineId).catch(() => undefined);
    o.logitsOf = null;
  }

  /** `mask-change` with an empty mask at the media's natural size. */
  #emitCleared(o: ObjectState): void {
    const bitmap = this.options.bitmap();
    const width = bitmap?.width ?? 0;
    const height = bitmap?.height ?? 0;
    const mask = new Sam2Mask(
      { width, height, data: new Uint8Array(width * height), bbox: [0, 0, 0, 0], area: 0 },
      bitmap && (this.options.pixels?.(bitmap) ?? bitmap),
    );
    this.options.reporter.emit('mask-change', { objectId: o.id, score: 0, objectScore: 0, candidate: -1, mask });
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
            alpha.bitmap.close();
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
