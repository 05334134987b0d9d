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
  private readonly outW: number;
  private readonly xs: AxisPlan;
  private readonly ys: AxisPlan;
  private rowAIndex = -1;
  private rowBIndex = -1;

  constructor(src: ArrayLike<number>, inW: number, inH: number, outW: number, outH: number) {
    this.src = src;
    this.inW = inW;
    this.outW = outW;
    this.xs = axisPlan(inW, outW);
    this.ys = axisPlan(inH, outH);
    this.rowA = new Float64Array(outW);
    this.rowB = new Float64Array(outW);
  }

  private fillRow(row: Float64Array, srcRow: number): void {
    const { i0, i1, w } = this.xs;
    const src = this.src;
    const base = srcRow * this.inW;
    for (let x = 0, n = this.outW; x < n; x++) {
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
