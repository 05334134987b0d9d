/**
 * Bilinear resampling of mask logits with align_corners=false, and thresholding (sam2-reference.md §2.6).
 * Always interpolate logits, then threshold; never resample a binarised mask.
 */

/** Per-axis sampling plan: for output index d, input indices i0/i1 and the weight of i1. */
interface AxisPlan {
  i0: Int32Array;
  i1: Int32Array;
  w: Float64Array;
}

// Half-pixel mapping, as torch's bilinear (align_corners=false) and ONNX Resize half_pixel when upsampling.
function axisPlan(inSize: number, outSize: number): AxisPlan {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    let src = (d + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    let a = Math.floor(src);
    if (a > inSize - 1) a = inSize - 1;
    i0[d] = a;
    i1[d] = Math.min(a + 1, inSize - 1);
    w[d] = src - a;
  }
  return { i0, i1, w };
}

function checkDims(src: ArrayLike<number>, inW: number, inH: number, outW: number, outH: number): void {
  for (const [name, v] of [
    ['inW', inW],
    ['inH', inH],
    ['outW', outW],
    ['outH', outH],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
  if (src.length < inW * inH) throw new RangeError(`src has ${src.length} values, expected ${inW * inH}`);
}

/**
 * Separable bilinear resampler: each input row is interpolated horizontally at most once (two cached rows), then
 * output rows blend two of them. Same weights as the direct 4-tap formula.
 */
class RowResampler {
  /** Horizontally interpolated upper input row of the current output row. */
  rowA: Float64Array;
  /** Horizontally interpolated lower input row (valid only when prepare returned a nonzero weight). */
  rowB: Float64Array;
  private readonly src: ArrayLike<number>;
  private readonly inW: number;
  /** The sampling plans of both axes (read by callers that skip empty rows and columns). */
  readonly xs: AxisPlan;
  readonly ys: AxisPlan;
  private rowAIndex = -1;
  private rowBIndex = -1;
  /** Output columns interpolated, [xFrom, xTo); the rest of rowA/rowB is left as it was. */
  xFrom = 0;
  xTo: number;

  constructor(src: ArrayLike<number>, inW: number, inH: number, outW: number, outH: number) {
    this.src = src;
    this.inW = inW;
    this.xs = axisPlan(inW, outW);
    this.ys = axisPlan(inH, outH);
    this.rowA = new Float64Array(outW);
    this.rowB = new Float64Array(outW);
    this.xTo = outW;
  }

  private fillRow(row: Float64Array, srcRow: number): void {
    const { i0, i1, w } = this.xs;
    const src = this.src;
    const base = srcRow * this.inW;
    for (let x = this.xFrom, n = this.xTo; x < n; x++) {
      const wx = w[x];
      row[x] = (1 - wx) * src[base + i0[x]] + wx * src[base + i1[x]];
    }
  }

  /** Loads the input rows for output row y into rowA/rowB; returns the weight of rowB. */
  prepare(y: number): number {
    const r0 = this.ys.i0[y];
    const r1 = this.ys.i1[y];
    const wy = this.ys.w[y];
    if (this.rowAIndex !== r0) {
      if (this.rowBIndex === r0) {
        // Moving down one input row: the old lower row becomes the upper one.
        const t = this.rowA;
        this.rowA = this.rowB;
        this.rowB = t;
        this.rowBIndex = -1;
      } else {
        this.fillRow(this.rowA, r0);
      }
      this.rowAIndex = r0;
    }
    if (wy !== 0 && this.rowBIndex !== r1) {
      this.fillRow(this.rowB, r1);
      this.rowBIndex = r1;
    }
    return wy;
  }
}

/** Bilinear resize (align_corners=false) of an inW×inH row-major map to outW×outH. */
export function upsampleBilinear(
  src: ArrayLike<number>,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  out?: Float32Array,
): Float32Array {
  checkDims(src, inW, inH, outW, outH);
  const dst = out ?? new Float32Array(outW * outH);
  if (dst.length < outW * outH) throw new RangeError(`out has ${dst.length} values, expected ${outW * outH}`);
  const r = new RowResampler(src, inW, inH, outW, outH);
  for (let y = 0; y < outH; y++) {
    const wy = r.prepare(y);
    const a = r.rowA;
    const o = y * outW;
    if (wy === 0) {
      for (let x = 0; x < outW; x++) dst[o + x] = a[x];
    } else {
      const b = r.rowB;
      const wa = 1 - wy;
      for (let x = 0; x < outW; x++) dst[o + x] = wa * a[x] + wy * b[x];
    }
  }
  return dst;
}

/** Binary mask: 1 where the logit is strictly greater than threshold (default 0, the mask threshold). */
export function thresholdMask(logits: ArrayLike<number>, threshold = 0, out?: Uint8Array): Uint8Array {
  const n = logits.length;
  const dst = out ?? new Uint8Array(n);
  if (dst.length < n) throw new RangeError(`out has ${dst.length} values, expected ${n}`);
  for (let i = 0; i < n; i++) dst[i] = logits[i] > threshold ? 1 : 0;
  return dst;
}

/**
 * Bilinear resize then threshold without a full-size float buffer; bit-identical to
 * thresholdMask(upsampleBilinear(...)).
 */
export function upsampleAndThreshold(
  src: ArrayLike<number>,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  threshold = 0,
  out?: Uint8Array,
): Uint8Array {
  checkDims(src, inW, inH, outW, outH);
  const dst = out ?? new Uint8Array(outW * outH);
  if (dst.length < outW * outH) throw new RangeError(`out has ${dst.length} values, expected ${outW * outH}`);
  const r = new RowResampler(src, inW, inH, outW, outH);
  // Math.fround reproduces the float32 store of the two-step path, so both agree even on values that round to 0.
  for (let y = 0; y < outH; y++) {
    const wy = r.prepare(y);
    const a = r.rowA;
    const o = y * outW;
    if (wy === 0) {
      for (let x = 0; x < outW; x++) dst[o + x] = Math.fround(a[x]) > threshold ? 1 : 0;
    } else {
      const b = r.rowB;
      const wa = 1 - wy;
      for (let x = 0; x < outW; x++) dst[o + x] = Math.fround(wa * a[x] + wy * b[x]) > threshold ? 1 : 0;
    }
  }
  return dst;
}

/** A binary mask at natural size with the bbox ([x, y, w, h], zeros when empty) and area found in the same pass. */
export interface RegionMask {
  data: Uint8Array;
  bbox: [number, number, number, number];
  area: number;
}

/**
 * upsampleAndThreshold restricted to the rows that can hold a positive value, with bbox and area counted as it goes.
 * An output pixel blends (convex weights) the four input logits around it, so a row whose input rows hold no logit
 * above the threshold is all zeros: only the object's band of rows is interpolated. Bit-identical to
 * upsampleAndThreshold (same weights, same float32 rounding).
 */
export function upsampleThresholdRegion(
  src: ArrayLike<number>,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  threshold = 0,
): RegionMask {
  checkDims(src, inW, inH, outW, outH);
  const data = new Uint8Array(outW * outH);
  const rowHas = new Uint8Array(inH);
  let c0 = inW;
  let c1 = -1;
  for (let y = 0; y < inH; y++) {
    const o = y * inW;
    for (let x = 0; x < inW; x++) {
      if (src[o + x]! > threshold) {
        rowHas[y] = 1;
        if (x < c0) c0 = x;
        let last = inW - 1;
        while (!(src[o + last]! > threshold)) last--;
        if (last > c1) c1 = last;
        break;
      }
    }
  }
  if (c1 < 0) return { data, bbox: [0, 0, 0, 0], area: 0 };
  const r = new RowResampler(src, inW, inH, outW, outH);
  const { xs, ys } = r;
  // Columns too: an output column whose two input columns both lie outside [c0, c1] is all zeros.
  let from = 0;
  while (from < outW && xs.i0[from]! < c0 && !(xs.w[from] !== 0 && xs.i1[from]! >= c0)) from++;
  let to = outW;
  while (to > from && xs.i0[to - 1]! > c1) to--;
  r.xFrom = from;
  r.xTo = to;
  let x0 = outW;
  let y0 = outH;
  let x1 = -1;
  let y1 = -1;
  let area = 0;
  for (let y = 0; y < outH; y++) {
    if (!rowHas[ys.i0[y]!] && !(ys.w[y] !== 0 && rowHas[ys.i1[y]!])) continue;
    const wy = r.prepare(y);
    const a = r.rowA;
    const b = r.rowB;
    const wa = 1 - wy;
    const o = y * outW;
    let first = -1;
    let last = -1;
    for (let x = from; x < to; x++) {
      const v = wy === 0 ? Math.fround(a[x]!) : Math.fround(wa * a[x]! + wy * b[x]!);
      if (v > threshold) {
        data[o + x] = 1;
        if (first < 0) first = x;
        last = x;
        area++;
      }
    }
    if (first >= 0) {
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  const bbox: [number, number, number, number] = x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
  return { data, bbox, area };
}
