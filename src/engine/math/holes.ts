/**
 * Hole filling on low-res mask logits (sam2-reference.md §2.6, sam2 `fill_holes_in_mask_scores`).
 * Used on the video path before upsampling and storing.
 */

/**
 * Returns a copy of logits where every 8-connected component of `logit ≤ 0` with at most maxArea pixels
 * (components touching the border included) is set to fillValue.
 */
export function fillHoles(logits: Float32Array, w: number, h: number, maxArea = 8, fillValue = 0.1): Float32Array {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) {
    throw new RangeError(`invalid size ${w}x${h}`);
  }
  const n = w * h;
  if (logits.length !== n) throw new RangeError(`logits has ${logits.length} values, expected ${n}`);
  if (!(maxArea > 0)) throw new RangeError(`maxArea must be positive, got ${maxArea}`);

  const out = new Float32Array(logits);
  // 0 = foreground or not yet reached, 1 = background already assigned to a component.
  const seen = new Uint8Array(n);
  // Holds the pixels of the current component in flood order, so a small one can be filled afterwards.
  const stack = new Int32Array(n);

  for (let start = 0; start < n; start++) {
    if (seen[start] || !(logits[start] <= 0)) continue;
    seen[start] = 1;
    stack[0] = start;
    let size = 1;
    for (let head = 0; head < size; head++) {
      const p = stack[head];
      const y = (p / w) | 0;
      const x = p - y * w;
      const yLo = y > 0 ? y - 1 : 0;
      const yHi = y < h - 1 ? y + 1 : h - 1;
      const xLo = x > 0 ? x - 1 : 0;
      const xHi = x < w - 1 ? x + 1 : w - 1;
      for (let yy = yLo; yy <= yHi; yy++) {
        const row = yy * w;
        for (let xx = xLo; xx <= xHi; xx++) {
          const q = row + xx;
          if (!seen[q] && logits[q] <= 0) {
            seen[q] = 1;
            stack[size++] = q;
          }
        }
      }
    }
    if (size <= maxArea) for (let i = 0; i < size; i++) out[stack[i]] = fillValue;
  }
  return out;
}
