/**
 * Object-pointer temporal encoding (sam2-reference.md §3.6) and fp16 packing for stored memories (§3.8).
 */

/** 1-D sine positional encoding: out[i] = sin(p/ω_i), out[dim/2 + i] = cos(p/ω_i), ω_i = 10000^(2⌊i/2⌋/(dim/2)). */
export function sine1d(p: number, dim = 256, out?: Float32Array): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0 || dim % 2 !== 0)
    throw new RangeError(`dim must be a positive even integer, got ${dim}`);
  const half = dim / 2;
  const dst = out ?? new Float32Array(dim);
  if (dst.length < dim) throw new RangeError(`out has ${dst.length} values, expected ${dim}`);
  for (let i = 0; i < half; i++) {
    const a = p / 10000 ** ((2 * Math.floor(i / 2)) / half);
    dst[i] = Math.sin(a);
    dst[half + i] = Math.cos(a);
  }
  return dst;
}

/** y = W·x + b for a row-major weight [out, in]; bias may be null. */
export function linear(
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  x: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const nIn = x.length;
  const nOut = nIn > 0 ? weight.length / nIn : 0;
  if (nIn === 0 || !Number.isInteger(nOut)) {
    throw new RangeError(`weight length ${weight.length} is not a multiple of input length ${nIn}`);
  }
  if (bias && bias.length !== nOut) throw new RangeError(`bias has ${bias.length} values, expected ${nOut}`);
  const y = out ?? new Float32Array(nOut);
  if (y.length < nOut) throw new RangeError(`out has ${y.length} values, expected ${nOut}`);
  for (let o = 0; o < nOut; o++) {
    let s = bias ? bias[o] : 0;
    const row = o * nIn;
    for (let i = 0; i < nIn; i++) s += weight[row + i] * x[i];
    y[o] = s;
  }
  return y;
}

/**
 * Temporal encoding of an object pointer at distance pos (SAM 2.1): linear(sine1d(pos / (maxPtr − 1), 256)).
 * maxPtr = min(numFrames, 16) must be ≥ 2; with one frame there are no pointers to encode.
 */
export function objPtrPosEnc(
  pos: number,
  maxPtr: number,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  out?: Float32Array,
): Float32Array {
  if (!(maxPtr >= 2)) throw new RangeError(`maxPtr must be at least 2, got ${maxPtr}`);
  // The reference divides in float32 before the sine encoding.
  return linear(weight, bias, sine1d(Math.fround(pos / (maxPtr - 1)), 256), out);
}

// Reinterpret float bits through a shared view; one scratch word avoids per-call allocation.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

// Half bits from float32 bits, rounding to nearest even.
function halfFromFloatBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full 24-bit significand down; below 2^-25 everything rounds to 0.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && r & 1)) r++;
    return sign | r; // r = 0x400 is the smallest normal, which is the right encoding
  }
  let hbits = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, up to Inf: exactly what rounding requires.
  if (rem > 0x1000 || (rem === 0x1000 && hbits & 1)) hbits++;
  return sign | hbits;
}

/** IEEE half bits of a number (first rounded to float32), rounding to nearest even; keeps subnormals, ±Inf, NaN. */
export function toHalfBits(value: number): number {
  scratchF32[0] = value;
  return halfFromFloatBits(scratchU32[0]);
}

/** The number encoded by IEEE half bits (exact). */
export function fromHalfBits(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (exp === 0) return s * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : s * Infinity;
  return s * (1024 + mant) * 2 ** (exp - 25);
}

/** Packs a Float32Array into IEEE half bits (round to nearest even). */
export function f32ToF16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = src.length;
  const dst = out ?? new Uint16Array(n);
  if (dst.length < n) throw new RangeError(`out has ${dst.length} values, expected ${n}`);
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = halfFromFloatBits(bits[i]);
  return dst;
}

// Decoding table for all 65536 halves (256 KiB), built on first use: memories are unpacked every frame.
let halfTable: Float32Array | null = null;

/** Unpacks IEEE half bits into a Float32Array (exact). */
export function f16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  const n = src.length;
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) throw new RangeError(`out has ${dst.length} values, expected ${n}`);
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalfBits(h);
  }
  const table = halfTable;
  for (let i = 0; i < n; i++) dst[i] = table[src[i]];
  return dst;
}
