// Mask → greyscale PNG (white inside, black outside): 1 bit per pixel by default, or 8. fast-png writes it: the
// canvas encoders can only write RGB(A), which for an 800×600 mask is ~13 KB against well under 1 KB here
// (bench/mask-codecs.ts prints both).
import { encode } from 'fast-png';

/** Bits per pixel of a mask PNG. */
export type MaskPngDepth = 1 | 8;

/** Packs a 0/1 mask into 1-bit PNG rows (most significant bit first, each row padded to a byte). */
export function packBits(mask: Uint8Array, width: number, height: number): Uint8Array {
  const stride = (width + 7) >> 3;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const o = y * stride;
    for (let x = 0; x < width; x++) if (mask[row + x] !== 0) out[o + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return out;
}

/** PNG bytes of a mask as greyscale (white inside); a 0-pixel mask becomes a 1×1 black PNG. */
export function encodeMaskPng(mask: Uint8Array, width: number, height: number, depth: MaskPngDepth = 1): Uint8Array {
  if (width === 0 || height === 0)
    return encode({ width: 1, height: 1, channels: 1, depth: 1, data: new Uint8Array(1) });
  let data: Uint8Array;
  if (depth === 1) {
    data = packBits(mask, width, height);
  } else {
    data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = mask[i] !== 0 ? 255 : 0;
  }
  // Level 9: masks are long runs, and the best level costs only a few milliseconds more on them.
  return encode({ width, height, channels: 1, depth, data }, { zlib: { level: 9 } });
}
