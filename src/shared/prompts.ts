// The one check of a page-supplied prompt, shared by every page-side entry that takes one: it turns bad input into
// an `invalid-prompt` Sam2Error before anything is queued (the worker keeps its own checks of what reaches it).
import { Sam2Error } from './errors.js';
import { normalisePromptLabels, type NamedPoint } from './prompt-labels.js';
import type { PromptBox, PromptPoint } from './types.js';

/**
 * Throws `invalid-prompt` unless every coordinate is finite and labels are known (names, or SAM's numbers: 1/0, and
 * 2/3 only as a box's corner pair); needs a point or a box. Returns the prompt with names and the box.
 */
export function validatePrompt(
  points: readonly PromptPoint[] | undefined,
  box: PromptBox | null | undefined,
): { points: NamedPoint[]; box: PromptBox | null } {
  if (points !== undefined && !Array.isArray(points)) throw new Sam2Error('invalid-prompt', 'points must be an array');
  for (const [i, p] of (points ?? []).entries()) {
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new Sam2Error('invalid-prompt', `point ${i} has non-finite coordinates (${String(p?.x)}, ${String(p?.y)})`);
    }
  }
  const named = normalisePromptLabels(points ?? [], box);
  box = named.box;
  if (box) {
    const { x0, y0, x1, y1 } = box;
    if (![x0, y0, x1, y1].every(Number.isFinite)) throw new Sam2Error('invalid-prompt', 'box has non-finite coordinates');
  }
  if (!named.points.length && !box) throw new Sam2Error('invalid-prompt', 'a prompt needs at least one point or a box');
  return { points: named.points, box: box ? { ...box } : null };
}
