/**
 * Prompt encoding for the SAM 2 mask decoder (sam2-reference.md §2.2).
 * Pure functions: no I/O, no DOM. Malformed prompts throw the SDK's `invalid-prompt` Sam2Error.
 */

import { normalisePromptLabels } from '../../shared/prompt-labels.js';
import { invalidPrompt } from '../../shared/prompts.js';
import type { PromptBox, PromptPoint } from '../../shared/types.js';

/** Side length of the square model input; prompt coordinates live in this space. */
export const MODEL_SIZE = 1024;

/** Decoder point labels, as the prompt encoder reads them. */
export const POINT_LABEL = {
  negative: 0,
  positive: 1,
  boxTopLeft: 2,
  boxBottomRight: 3,
  notAPoint: -1,
} as const;

/** A click in original image pixels (the SDK's one point type). */
export type Point = PromptPoint;

/** A box in original image pixels, top-left (x0, y0) to bottom-right (x1, y1) (the SDK's one box type). */
export type Box = PromptBox;

/** Point tensors for the decoder, in 1024-space, without the graph's own padding point. */
export interface DecoderPoints {
  /** Interleaved x, y per point (length 2·N). */
  coords: Float32Array;
  /** One label per point (length N). */
  labels: Int32Array;
  /** Real prompt points, box corners included; 0 for a prompt-less decode. */
  nPts: number;
}

function checkFinite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidPrompt(`${what} must be a finite number, got ${String(value)}`);
  }
  return value;
}

function checkSize(width: number, height: number): void {
  if (!(checkFinite(width, 'image width') > 0) || !(checkFinite(height, 'image height') > 0)) {
    throw invalidPrompt(`image size must be positive, got ${width}x${height}`);
  }
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

// The reference computes (x / W) · 1024 in float32. Dividing in double and rounding once to float32 is the
// correctly rounded float32 quotient, and ·1024 is exact, so this is bit-identical to it.
function scale(v: number, size: number): number {
  return Math.fround(Math.fround(v) / size) * MODEL_SIZE;
}

/** Maps a pixel coordinate of a W×H image to 1024-space (clamped to the image; no half-pixel offset). */
export function toModelSpace(x: number, y: number, width: number, height: number): [number, number] {
  checkSize(width, height);
  checkFinite(x, 'x');
  checkFinite(y, 'y');
  return [scale(clamp(x, width), width), scale(clamp(y, height), height)];
}

/** The prompt-less decoder input: exactly one (0, 0) point with label −1 (the graph appends its own pad). */
export function emptyDecoderPoints(): DecoderPoints {
  return {
    coords: new Float32Array(2),
    labels: Int32Array.of(POINT_LABEL.notAPoint),
    nPts: 0,
  };
}

/**
 * Most clicks one prompt may carry. SAM 2 is trained on up to a handful of clicks; thousands only cost decoder time
 * (the point tensor grows with them) and main-thread memory, so a runaway caller gets a clear error instead.
 */
export const MAX_PROMPT_POINTS = 64;

/** Builds decoder points from clicks and an optional box: box corners (labels 2, 3) first, then clicks (1/0). */
export function buildDecoderPoints(
  points: readonly Point[],
  box: Box | null | undefined,
  width: number,
  height: number,
): DecoderPoints {
  checkSize(width, height);
  if (!Array.isArray(points)) throw invalidPrompt('points must be an array');
  if (points.length > MAX_PROMPT_POINTS) {
    throw invalidPrompt(`a prompt has ${points.length} points; at most ${MAX_PROMPT_POINTS} are accepted`);
  }
  // Numeric labels become names, and a 2/3 corner pair becomes the box (invalid-prompt otherwise).
  for (const [i, p] of points.entries())
    if (p === null || typeof p !== 'object') throw invalidPrompt(`points[${i}] must be an object`);
  const named = normalisePromptLabels(points, box);
  points = named.points;
  box = named.box;

  const n = points.length + (box ? 2 : 0);
  if (n === 0) return emptyDecoderPoints();

  const coords = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  let k = 0;

  if (box) {
    const x0 = clamp(checkFinite(box.x0, 'box.x0'), width);
    const y0 = clamp(checkFinite(box.y0, 'box.y0'), height);
    const x1 = clamp(checkFinite(box.x1, 'box.x1'), width);
    const y1 = clamp(checkFinite(box.y1, 'box.y1'), height);
    // Checked after clamping so a box lying wholly outside the image is rejected too.
    if (!(x1 > x0 && y1 > y0)) {
      throw invalidPrompt(`box must have x1 > x0 and y1 > y0 inside the image, got (${x0}, ${y0}, ${x1}, ${y1})`);
    }
    coords[0] = scale(x0, width);
    coords[1] = scale(y0, height);
    coords[2] = scale(x1, width);
    coords[3] = scale(y1, height);
    labels[0] = POINT_LABEL.boxTopLeft;
    labels[1] = POINT_LABEL.boxBottomRight;
    k = 2;
  }

  for (let i = 0; i < points.length; i++, k++) {
    const p = points[i];
    if (p === null || typeof p !== 'object') throw invalidPrompt(`points[${i}] must be an object`);
    const x = checkFinite(p.x, `points[${i}].x`);
    const y = checkFinite(p.y, `points[${i}].y`);
    if (p.label !== 'positive' && p.label !== 'negative') {
      throw invalidPrompt(`points[${i}].label must be 'positive' or 'negative', got ${String(p.label)}`);
    }
    coords[2 * k] = scale(clamp(x, width), width);
    coords[2 * k + 1] = scale(clamp(y, height), height);
    labels[k] = p.label === 'positive' ? POINT_LABEL.positive : POINT_LABEL.negative;
  }

  return { coords, labels, nPts: n };
}
