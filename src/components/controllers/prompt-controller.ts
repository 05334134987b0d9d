// The prompt history of the element's object: every click or box adds an entry holding the full prompt so far,
// so undo is a pop, and the mask an entry produced is kept to be shown again without another decode.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Sam2Error } from '../../shared/errors.js';
import { normalisePromptLabels } from '../../shared/prompt-labels.js';
import type { PromptBox, PromptPoint } from '../../shared/types.js';
import type { Sam2MaskChangeDetail } from '../events.js';

/** One state of the prompt: all points and the box in natural pixels, and the mask they produced once known. */
export interface PromptEntry {
  points: readonly PromptPoint[];
  box: PromptBox | null;
  /** The result, once decoded (and not dropped to bound memory). */
  detail: Sam2MaskChangeDetail | null;
}

/** Entries that keep their mask; older ones are decoded again if undo reaches them. */
const KEEP_MASKS = 20;

/**
 * Throws `invalid-prompt` unless every coordinate is finite and labels are known; needs a point or a box. Returns the
 * prompt with SAM's numeric labels as names and a 2/3 corner pair as the box.
 */
export function validatePrompt(
  points: readonly PromptPoint[] | undefined,
  box: PromptBox | null | undefined,
): { points: PromptPoint[]; box: PromptBox | null } {
  if (points !== undefined && !Array.isArray(points)) throw new Sam2Error('invalid-prompt', 'points must be an array');
  for (const [i, p] of (points ?? []).entries()) {
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new Sam2Error('invalid-prompt', `point ${i} has non-finite coordinates (${String(p?.x)}, ${String(p?.y)})`);
    }
  }
  const named = normalisePromptLabels(points ?? [], box);
  points = named.points;
  box = named.box;
  if (box) {
    const { x0, y0, x1, y1 } = box;
    if (![x0, y0, x1, y1].every(Number.isFinite)) throw new Sam2Error('invalid-prompt', 'box has non-finite coordinates');
  }
  if (!(points && points.length) && !box) throw new Sam2Error('invalid-prompt', 'a prompt needs at least one point or a box');
  return { points: [...points], box: box ? { ...box } : null };
}

/** Prompt history for one object; the host re-renders on every change. */
export class PromptController implements ReactiveController {
  #entries: PromptEntry[] = [];

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** The current prompt (the last entry), or null when there is none. */
  get current(): PromptEntry | null {
    return this.#entries.at(-1) ?? null;
  }

  /** Number of entries (how many undos are possible). */
  get length(): number {
    return this.#entries.length;
  }

  /** Adds an entry with the current points plus `point`. */
  addPoint(point: PromptPoint): PromptEntry {
    const cur = this.current;
    return this.push({ points: [...(cur?.points ?? []), point], box: cur?.box ?? null, detail: null });
  }

  /** Adds an entry with the current points and `box` in place of any earlier box. */
  setBox(box: PromptBox): PromptEntry {
    return this.push({ points: [...(this.current?.points ?? [])], box, detail: null });
  }

  /** Adds an entry as given. */
  push(entry: PromptEntry): PromptEntry {
    this.#entries.push(entry);
    const stale = this.#entries.length - 1 - KEEP_MASKS;
    if (stale >= 0) this.#entries[stale]!.detail = null;
    this.host.requestUpdate();
    return entry;
  }

  /** Removes `entry` if it is the last one (a prompt that failed); returns whether it did. */
  discard(entry: PromptEntry): boolean {
    if (this.current !== entry) return false;
    this.#entries.pop();
    this.host.requestUpdate();
    return true;
  }

  /** Removes the last entry; returns the one now current (null when none is left). */
  undo(): PromptEntry | null {
    this.#entries.pop();
    this.host.requestUpdate();
    return this.current;
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries = [];
    this.host.requestUpdate();
  }
}
