// Mask → the alpha bitmap of its box that the overlay draws and tints with canvas compositing. The worker makes it
// beside the mask bytes (SegmentResultData.overlay); re-drawing an earlier mask (undo) also reuses a bitmap, so the
// page runs no per-pixel pass for display. The fallback below only serves results that came without one.
import type { MaskData, MaskOverlay } from '../shared/types.js';
import type { Sam2Mask } from './mask.js';

/** The overlay of `mask`: the worker's bitmap `made` of its box, or one made here from the mask's bytes. */
export async function maskToBitmap(mask: MaskData | Sam2Mask, made?: ImageBitmap): Promise<MaskOverlay> {
  const bbox: [number, number, number, number] = [...mask.bbox];
  if (made) return { bitmap: made, bbox };
  const [bx, by, bw, bh] = bbox;
  const w = Math.max(1, bw);
  const h = Math.max(1, bh);
  const rgba = new Uint32Array(w * h);
  for (let y = 0; y < bh; y++) {
    const row = (by + y) * mask.width + bx;
    for (let x = 0; x < bw; x++) if (mask.data[row + x]) rgba[y * w + x] = 0xffffffff;
  }
  return { bitmap: await createImageBitmap(new ImageData(new Uint8ClampedArray(rgba.buffer), w, h)), bbox };
}
