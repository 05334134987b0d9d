// Prompt validation, in one place for every path (the element, segment(), tracker prompts): a malformed prompt is an
// `invalid-prompt` Sam2Error wherever it is caught. Geometry that needs the image size (a box inside the image) is
// checked where prompts are mapped to model space (engine/math/prompts.ts), with the same error.
import { Sam2Error } from './errors.js';
import { normalisePromptLabels, type NamedPoint } from './prompt-labels.js';
import type { PromptBox, PromptPoint } from './types.js';

/** The error of a malformed prompt. */
export function invalidPrompt(message: string): Sam2Error {
  return new Sam2Error('invalid-prompt', message);
}

/**
 * Throws `invalid-prompt` unless every coordinate is finite and labels are known (names, or SAM's numbers: 1/0, and
 * 2/3 only as a box's corner pair); needs a point or a box. Returns the prompt with names and the box.
 */
export function validatePrompt(
  points: readonly PromptPoint[] | undefined,
  box: PromptBox | null | undefined,
): { points: NamedPoint[]; box: PromptBox | null } {
  if (points !== undefined && !Array.isArray(points)) throw invalidPrompt('points must be an array');
  for (const [i, p] of (points ?? []).entries()) {
    if (p === null || typeof p !== 'object') throw invalidPrompt(`points[${i}] must be an object`);
    // Name the field, as hosts debug the prompt they built.
    for (const axis of ['x', 'y'] as const) {
      if (!Number.isFinite(p[axis]))
        throw invalidPrompt(`points[${i}].${axis} must be a finite number, got ${String(p[axis])}`);
    }
  }
  const named = normalisePromptLabels(points ?? [], box);
  box = named.box;
  if (box) {
    const { x0, y0, x1, y1 } = box;
    if (![x0, y0, x1, y1].every(Number.isFinite)) throw invalidPrompt('box has non-finite coordinates');
  }
  if (!named.points.length && !box) throw invalidPrompt('a prompt needs at least one point or a box');
  return { points: named.points, box: box ? { ...box } : null };
}

/** A prompt for one object as the engine takes it, validated (labels as names); `objectId` defaults to 1. */
export function validateObjectPrompt(prompt: unknown): {
  objectId: number;
  points: PromptPoint[];
  box: PromptBox | null;
} {
  if (prompt === null || typeof prompt !== 'object') throw invalidPrompt('prompt must be an object');
  const p = prompt as { objectId?: unknown; points?: unknown; box?: unknown };
  const objectId = p.objectId ?? 1;
  if (typeof objectId !== 'number' || !Number.isInteger(objectId))
    throw invalidPrompt(`objectId must be an integer, got ${String(objectId)}`);
  const named = validatePrompt((p.points ?? []) as PromptPoint[], (p.box ?? null) as PromptBox | null);
  return { objectId, points: named.points, box: named.box };
}
