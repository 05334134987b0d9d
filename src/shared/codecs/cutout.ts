// Cut-out pixels: which rectangle the cut-out covers (crop, padding), a blurred background that leaves the object
// out, and the composite of source, alpha and background. Pure: typed arrays in, typed arrays out; the canvas
// work (reading the media, encoding PNG/WebP) is in ./encode.ts.

/** What fills the pixels the mask leaves out. */
export type CutoutBackdrop =
  | { kind: 'none' }
  /** A flat colour, RGBA 0–255 (alpha below 255 keeps the result translucent there). */
  | { kind: 'colour'; rgba: readonly [number, number, number, number] }
  /** The media itself, blurred; `radius` is how far (in pixels) the blur reaches. */
  | { kind: 'blur'; radius: number }
  /** An image already scaled to the output rectangle, RGBA row-major. */
  | { kind: 'image'; rgba: Uint8ClampedArray };

/** A rectangle in mask pixels; it may reach outside the mask when padded. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The rectangle a cut-out covers: the whole media, or with `crop` the bounds of the visible alpha; then `padding`
 * pixels on every side. Null when a crop finds nothing to show.
 */
export function cutoutRect(
  bounds: readonly [number, number, number, number],
  width: number,
  height: number,
  crop: boolean,
  padding: number,
): Rect | null {
  const [x, y, w, h] = crop ? bounds : [0, 0, width, height];
  if (w === 0 || h === 0) return null;
  return { x: x - padding, y: y - padding, width: w + 2 * padding, height: h + 2 * padding };
}

// One box pass along rows (step 1) or columns (step `width`) over premultiplied planes, summing only pixels inside
// the image: the weight plane is summed the same way, so edges need no special case.
function boxPass(
  src: Float32Array[],
  dst: Float32Array[],
  width: number,
  height: number,
  r: number,
  alongRows: boolean,
): void {
  const lines = alongRows ? height : width;
  const len = alongRows ? width : height;
  const step = alongRows ? 1 : width;
  for (let c = 0; c < src.length; c++) {
    const s = src[c]!;
    const d = dst[c]!;
    for (let line = 0; line < lines; line++) {
      const base = alongRows ? line * width : line;
      let sum = 0;
      // Window [i − r, i + r], clipped to the line.
      for (let i = 0; i <= Math.min(r, len - 1); i++) sum += s[base + i * step]!;
      for (let i = 0; i < len; i++) {
        d[base + i * step] = sum;
        const add = i + r + 1;
        const drop = i - r;
        if (add < len) sum += s[base + add * step]!;
        if (drop >= 0) sum -= s[base + drop * step]!;
      }
    }
  }
}

/**
 * The media blurred where `alpha` leaves it out, RGBA: each pixel averages only pixels of the backdrop (weighted by
 * 255 − alpha), so the object does not bleed into its own background. Three box passes per axis approximate a
 * Gaussian reaching `radius` pixels.
 */
export function blurBackdrop(
  rgba: Uint8ClampedArray,
  alpha: Uint8ClampedArray,
  width: number,
  height: number,
  radius: number,
): Uint8ClampedArray {
  const n = width * height;
  const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const [r, g, b, w] = planes as [Float32Array, Float32Array, Float32Array, Float32Array];
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    // Weight: how much of the backdrop shows here, times the media's own alpha.
    const wt = ((255 - alpha[i]!) / 255) * (rgba[o + 3]! / 255);
    r[i] = rgba[o]! * wt;
    g[i] = rgba[o + 1]! * wt;
    b[i] = rgba[o + 2]! * wt;
    w[i] = wt;
  }
  const box = Math.max(1, Math.ceil(radius / 3));
  const tmp = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let pass = 0; pass < 3; pass++) {
    boxPass(planes, tmp, width, height, box, true);
    boxPass(tmp, planes, width, height, box, false);
  }
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const wt = w[i]!;
    if (wt > 1e-6) {
      out[o] = r[i]! / wt;
      out[o + 1] = g[i]! / wt;
      out[o + 2] = b[i]! / wt;
      out[o + 3] = 255;
    } else {
      // No backdrop within reach (deep inside a large object, where alpha is 255 anyway): the media itself.
      out[o] = rgba[o]!;
      out[o + 1] = rgba[o + 1]!;
      out[o + 2] = rgba[o + 2]!;
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * The cut-out's RGBA over `rect`: the media with `alpha` (times its own alpha) over the backdrop, source-over.
 * `media` and `alpha` are at the mask's size; a blur backdrop is too, an image backdrop is at `rect`'s size. Pixels of
 * `rect` outside the media show only the backdrop (the nearest blurred pixel for a blur).
 */
export function composeCutout(
  media: Uint8ClampedArray,
  alpha: Uint8ClampedArray,
  width: number,
  height: number,
  rect: Rect,
  backdrop: CutoutBackdrop,
  blurred: Uint8ClampedArray | null = null,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rect.width * rect.height * 4);
  const flat = backdrop.kind === 'colour' ? backdrop.rgba : null;
  const picture = backdrop.kind === 'image' ? backdrop.rgba : null;
  for (let oy = 0, o = 0; oy < rect.height; oy++) {
    const my = rect.y + oy;
    const rowIn = my >= 0 && my < height;
    for (let ox = 0; ox < rect.width; ox++, o += 4) {
      const mx = rect.x + ox;
      const m = my * width + mx;
      const inMedia = rowIn && mx >= 0 && mx < width;
      // Foreground coverage 0–1 and colour.
      let fa = 0;
      let fr = 0;
      let fg = 0;
      let fb = 0;
      if (inMedia) {
        const s = 4 * m;
        fa = (alpha[m]! / 255) * (media[s + 3]! / 255);
        fr = media[s]!;
        fg = media[s + 1]!;
        fb = media[s + 2]!;
      }
      // Backdrop colour and coverage.
      let br = 0;
      let bg = 0;
      let bb = 0;
      let ba = 0;
      if (flat) {
        [br, bg, bb] = flat;
        ba = flat[3] / 255;
      } else if (picture) {
        br = picture[o]!;
        bg = picture[o + 1]!;
        bb = picture[o + 2]!;
        ba = picture[o + 3]! / 255;
      } else if (blurred) {
        const cx = mx < 0 ? 0 : mx >= width ? width - 1 : mx;
        const cy = my < 0 ? 0 : my >= height ? height - 1 : my;
        const s = 4 * (cy * width + cx);
        br = blurred[s]!;
        bg = blurred[s + 1]!;
        bb = blurred[s + 2]!;
        ba = 1;
      }
      const oa = fa + ba * (1 - fa);
      if (oa <= 0) continue;
      const kb = (ba * (1 - fa)) / oa;
      const kf = fa / oa;
      out[o] = fr * kf + br * kb;
      out[o + 1] = fg * kf + bg * kb;
      out[o + 2] = fb * kf + bb * kb;
      out[o + 3] = oa * 255;
    }
  }
  return out;
}
