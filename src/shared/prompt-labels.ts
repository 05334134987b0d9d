// SAM's numeric point labels, accepted alongside the names: hosts coming from SAM's own predictor, transformers.js or
// Meta's demo pass 1 (positive) and 0 (negative), and a box as two points labelled 2 (top-left) and 3
// (bottom-right). Everything past this module sees names and a box only.
import { Sam2Error } from './errors.js';
import type { PromptBox, PromptPoint } from './types.js';

/** A point with its label as a name. */
export type NamedPoint = PromptPoint & { label: 'positive' | 'negative' };

/**
 * Points with names for labels, and the box (given, or made of a 2/3 corner pair); `invalid-prompt` for an
 * unknown label, a lone corner, a corner pair beside a `box`, or corners in the wrong order.
 */
export function normalisePromptLabels(
  points: readonly PromptPoint[],
  box: PromptBox | null | undefined,
): { points: NamedPoint[]; box: PromptBox | null } {
  const named: NamedPoint[] = [];
  let topLeft: PromptPoint | null = null;
  let bottomRight: PromptPoint | null = null;
  for (const [i, p] of points.entries()) {
    if (p === null || typeof p !== 'object') throw new Sam2Error('invalid-prompt', `points[${i}] must be an object`);
    const label = p.label;
    if (label === 'positive' || label === 1) named.push({ x: p.x, y: p.y, label: 'positive' });
    else if (label === 'negative' || label === 0) named.push({ x: p.x, y: p.y, label: 'negative' });
    else if (label === 2 || label === 3) {
      if ((label === 2 ? topLeft : bottomRight) !== null) {
        throw new Sam2Error('invalid-prompt', `points[${i}]: a prompt has one box, so one point labelled ${label}`);
      }
      if (label === 2) topLeft = p;
      else bottomRight = p;
    } else {
      throw new Sam2Error(
        'invalid-prompt',
        `points[${i}].label must be 'positive', 'negative', 1 or 0 (2 and 3 only as a box's corners), got ${JSON.stringify(label)}`,
      );
    }
  }
  if (topLeft === null && bottomRight === null) return { points: named, box: box ?? null };
  if (topLeft === null || bottomRight === null) {
    throw new Sam2Error(
      'invalid-prompt',
      'labels 2 and 3 are the corners of a box: give both, top-left (2) and bottom-right (3)',
    );
  }
  if (box) throw new Sam2Error('invalid-prompt', 'a prompt has one box: give `box` or a 2/3 corner pair, not both');
  return { points: named, box: { x0: topLeft.x, y0: topLeft.y, x1: bottomRight.x, y1: bottomRight.y } };
}
