/**
 * Mask selection among the decoder's four outputs (sam2-reference.md §2.4).
 * Token 0 is the single-mask output, tokens 1–3 the multimask candidates.
 */

/** Outcome of mask selection. */
export interface MaskSelection {
  /** Index (0–3) of the mask to display and store. */
  k: number;
  /** Index (0–3) of the mask token that feeds the object pointer. */
  ptrToken: number;
  /** IoU estimate of mask k. */
  iou: number;
}

// Index of the maximum, first one on ties; NaN counts as the maximum, as torch.argmax does.
function argmaxFirst(values: ArrayLike<number>, start: number, end: number): number {
  let best = start;
  let bestValue = values[start];
  for (let i = start + 1; i < end; i++) {
    const v = values[i];
    if (v > bestValue || (v !== v && bestValue === bestValue)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Stability score of un-gated logits: count(v > δ) / count(v > −δ), 1 when the union is empty.
 * Comparisons and the ratio are done in float32, like the reference, so the 0.98 threshold behaves identically.
 */
export function stability(logits: ArrayLike<number>, delta = 0.05): number {
  const hi = Math.fround(delta);
  const lo = Math.fround(-delta);
  let inter = 0;
  let union = 0;
  for (let i = 0, n = logits.length; i < n; i++) {
    const v = logits[i];
    if (v > hi) inter++;
    if (v > lo) union++;
  }
  return union > 0 ? Math.fround(inter / union) : 1;
}

/** Picks the best of three multimask candidates by IoU (first on ties); returns 0–2. */
export function selectAmongThree(iou3: ArrayLike<number>): number {
  if (iou3.length < 3) throw new RangeError(`expected 3 IoU scores, got ${iou3.length}`);
  return argmaxFirst(iou3, 0, 3);
}

/**
 * Selects the output mask and pointer token: multimask iff nPts ≤ 1, otherwise token 0 when stable and the best
 * multimask candidate (pointer still token 0) when not. nPts counts real points including box corners.
 */
export function selectMask(
  iou: ArrayLike<number>,
  masks: readonly Float32Array[] | Float32Array,
  nPts: number,
  thresh = 0.98,
  delta = 0.05,
): MaskSelection {
  if (iou.length < 4) throw new RangeError(`expected 4 IoU scores, got ${iou.length}`);
  const best = argmaxFirst(iou, 1, 4);
  if (nPts <= 1) return { k: best, ptrToken: best, iou: iou[best] };

  let mask0: Float32Array;
  if (masks instanceof Float32Array) {
    if (masks.length % 4 !== 0) throw new RangeError(`flat masks length ${masks.length} is not a multiple of 4`);
    mask0 = masks.subarray(0, masks.length / 4);
  } else {
    if (masks.length < 4) throw new RangeError(`expected 4 masks, got ${masks.length}`);
    mask0 = masks[0];
  }
  return stability(mask0, delta) >= Math.fround(thresh)
    ? { k: 0, ptrToken: 0, iou: iou[0] }
    : { k: best, ptrToken: 0, iou: iou[best] };
}
