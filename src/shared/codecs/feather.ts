// Mask → cut-out alpha: an exact Euclidean distance transform gives each pixel its signed distance to the mask's
// edge, and the alpha is a linear ramp of that distance, `feather` pixels wide and centred on the edge, so the
// object keeps its size (the 50% contour is SAM's boundary) and the ramp is as wide in every direction.
// Pure: typed arrays in, typed arrays out.

const FAR = 1e20;

// One row or column of Felzenszwalb & Huttenlocher's lower-envelope transform (Theory of Computing 8, 2012):
// d[q] = min over p of (q − p)² + f[p], in linear time. `v`, `z` are scratch of length n and n + 1.
function edt1d(f: Float64Array, d: Float64Array, n: number, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -FAR;
  z[1] = FAR;
  for (let q = 1; q < n; q++) {
    const fq = f[q]! + q * q;
    let p = v[k]!;
    let s = (fq - (f[p]! + p * p)) / (2 * (q - p));
    // z[0] is −FAR, below any intersection, so this stops at k = 0.
    while (s <= z[k]!) {
      k--;
      p = v[k]!;
      s = (fq - (f[p]! + p * p)) / (2 * (q - p));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = FAR;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    d[q] = (q - p) * (q - p) + f[p]!;
  }
}

/**
 * Squared distance from every pixel centre to the nearest pixel whose mask value equals `seed` (0 on seeds,
 * ~FAR where there is none).
 */
export function squaredDistance(mask: Uint8Array, width: number, height: number, seed: 0 | 1): Float32Array {
  const n = Math.max(width, height);
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = (mask[i] !== 0 ? 1 : 0) === seed ? 0 : FAR;
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = out[y * width + x]!;
    edt1d(f, d, height, v, z);
    for (let y = 0; y < height; y++) out[y * width + x] = d[y]!;
  }
  for (let y = 0, row = 0; y < height; y++, row += width) {
    f.set(out.subarray(row, row + width));
    edt1d(f, d, width, v, z);
    out.set(d.subarray(0, width), row);
  }
  return out;
}

/**
 * Cut-out alpha (0–255) of a binary mask: 255 inside, 0 outside, and with `feather` > 0 a linear ramp `feather`
 * pixels wide centred on the edge. The image border is not an edge. `invert` swaps inside and outside.
 */
export function featherAlpha(
  mask: Uint8Array,
  width: number,
  height: number,
  feather: number,
  invert = false,
): Uint8ClampedArray {
  const n = width * height;
  const alpha = new Uint8ClampedArray(n);
  const on = invert ? 0 : 1;
  if (!(feather > 0)) {
    for (let i = 0; i < n; i++) alpha[i] = (mask[i] !== 0 ? 1 : 0) === on ? 255 : 0;
    return alpha;
  }
  // Distance to the nearest pixel of the other side: for a pixel next to the edge it is 1, and the edge lies
  // half-way, so the signed distance to the edge is ±(d − 0.5).
  const toOff = squaredDistance(mask, width, height, on === 1 ? 0 : 1);
  const toOn = squaredDistance(mask, width, height, on === 1 ? 1 : 0);
  const scale = 255 / feather;
  for (let i = 0; i < n; i++) {
    const inside = (mask[i] !== 0 ? 1 : 0) === on;
    const sd = inside ? Math.sqrt(toOff[i]!) - 0.5 : 0.5 - Math.sqrt(toOn[i]!);
    alpha[i] = 127.5 + sd * scale;
  }
  return alpha;
}

/** [x, y, width, height] of the pixels with alpha > 0; all zeros when there are none. */
export function alphaBounds(alpha: Uint8ClampedArray, width: number, height: number): [number, number, number, number] {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (alpha[i] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}
