// Mask → the alpha bitmap the overlay draws and tints with canvas compositing. The worker makes it beside the
// mask bytes (SegmentResultData.overlay); re-drawing an earlier mask (undo) also reuses a bitmap, so the page runs
// no per-pixel pass for display. The fallback below only serves results that came without one.
import type { MaskData } from '../shared/types.js';
import { Sam2Mask } from './mask.js';

/** An ImageBitmap at the mask's natural size: opaque white inside the mask, transparent outside. */
export function maskToBitmap(mask: MaskData | Sam2Mask, made?: ImageBitmap): Promise<ImageBitmap> {
  if (made) return Promise.resolve(made);
  const m = mask instanceof Sam2Mask ? mask : new Sam2Mask(mask);
  return createImageBitmap(m.toImageData());
}
