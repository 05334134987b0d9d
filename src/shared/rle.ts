/**
 * COCO run-length encoding (the format of pycocotools `mask.encode` / `mask.decode`).
 * Masks in this SDK are row-major; COCO runs are column-major and start with a run of zeros.
 */

/** COCO RLE: size is [height, width]; counts is the compressed string, or raw run lengths (uncompressed RLE). */
export interface CocoRle {
  size: [number, number];
  counts: string | number[];
}

/** COCO RLE with compressed string counts, as encodeRle produces. */
export interface CompressedRle extends CocoRle {
  counts: string;
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`invalid mask size ${width}x${height}`);
  }
}

/**
 * Column-major run lengths of a row-major mask (nonzero = 1), starting with a (possibly empty) zero run. `bbox`
 * ([x, y, width, height], all zero for an empty mask), when given, must bound every nonzero pixel: only the pixels
 * inside it are read, so a product on a 4000x3000 photo costs its box, not 12 M reads.
 */
export function maskToRuns(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  bbox?: readonly [number, number, number, number],
): number[] {
  checkSize(width, height);
  const area = width * height;
  if (mask.length !== area) throw new RangeError(`mask has ${mask.length} values, expected ${area}`);
  let [bx, by, bw, bh] = bbox ?? [0, 0, width, height];
  if (!(bx >= 0 && by >= 0 && bw >= 0 && bh >= 0 && bx + bw <= width && by + bh <= height)) {
    [bx, by, bw, bh] = [0, 0, width, height];
  }
  const runs: number[] = [];
  let current = 0;
  let run = 0;
  // `n` zeros outside the box: they end a run of ones.
  const zeros = (n: number): void => {
    if (n === 0) return;
    if (current !== 0) {
      runs.push(run);
      run = 0;
      current = 0;
    }
    run += n;
  };
  zeros(bx * height);
  for (let x = bx; x < bx + bw; x++) {
    zeros(by);
    for (let i = by * width + x, end = (by + bh) * width + x; i < end; i += width) {
      const v = mask[i] !== 0 ? 1 : 0;
      if (v !== current) {
        runs.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
    zeros(height - by - bh);
  }
  zeros((width - bx - bw) * height);
  runs.push(run);
  return runs;
}

/**
 * Compresses run lengths to the COCO string: from the fourth run on, each value is stored as the difference to
 * the run two before (same polarity); values are signed, 5 bits per char, low bits first, bit 0x20 = "more",
 * char = 48 + 6-bit group.
 */
export function runsToString(runs: ArrayLike<number>): string {
  const codes: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    let x = runs[i];
    if (i > 2) x -= runs[i - 2];
    for (;;) {
      // Arithmetic (floor) shift without the 32-bit limits of JS bit operators.
      const low = x - Math.floor(x / 32) * 32;
      x = Math.floor(x / 32);
      // Stop once the remaining bits are pure sign extension of the group's top bit.
      const more = low & 0x10 ? x !== -1 : x !== 0;
      codes.push((more ? low | 0x20 : low) + 48);
      if (!more) break;
    }
  }
  let s = '';
  // fromCharCode takes arguments, so convert in chunks to stay under engine argument limits.
  for (let i = 0; i < codes.length; i += 8192) s += String.fromCharCode(...codes.slice(i, i + 8192));
  return s;
}

/** Parses a COCO counts string back to run lengths. */
export function stringToRuns(s: string): number[] {
  const runs: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let scale = 1;
    for (;;) {
      if (p >= s.length) throw new RangeError('truncated RLE counts string');
      const c = s.charCodeAt(p++) - 48;
      if (c < 0 || c > 63) throw new RangeError(`invalid RLE counts character at ${p - 1}`);
      x += (c & 0x1f) * scale;
      scale *= 32;
      if (!(c & 0x20)) {
        if (c & 0x10) x -= scale;
        break;
      }
    }
    if (runs.length > 2) x += runs[runs.length - 2];
    runs.push(x);
  }
  return runs;
}

/** Encodes a row-major width×height binary mask (nonzero = foreground) as compressed COCO RLE; `bbox`: see maskToRuns. */
export function encodeRle(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  bbox?: readonly [number, number, number, number],
): CompressedRle {
  return { size: [height, width], counts: runsToString(maskToRuns(mask, width, height, bbox)) };
}

function runsOf(rle: CocoRle): number[] {
  const { size, counts } = rle;
  if (!Array.isArray(size) || size.length !== 2) throw new RangeError('RLE size must be [height, width]');
  checkSize(size[1], size[0]);
  const runs = typeof counts === 'string' ? stringToRuns(counts) : counts;
  let total = 0;
  for (const r of runs) {
    if (!Number.isInteger(r) || r < 0) throw new RangeError(`invalid RLE run length ${r}`);
    total += r;
  }
  if (total !== size[0] * size[1]) {
    throw new RangeError(`RLE runs cover ${total} pixels, expected ${size[0] * size[1]}`);
  }
  return runs;
}

/** Decodes COCO RLE (compressed or uncompressed) to a row-major Uint8Array of 0/1. */
export function decodeRle(rle: CocoRle, out?: Uint8Array): Uint8Array {
  const runs = runsOf(rle);
  const [height, width] = rle.size;
  const mask = out ?? new Uint8Array(width * height);
  if (mask.length !== width * height) throw new RangeError(`out has ${mask.length} values, expected ${width * height}`);
  if (out) mask.fill(0);
  let pos = 0;
  for (let j = 0; j < runs.length; j++) {
    const len = runs[j];
    if (j & 1) {
      // Walk the run down its columns, wrapping to the next column at the bottom edge.
      let x = Math.floor(pos / height);
      let y = pos - x * height;
      for (let k = 0; k < len; k++) {
        mask[y * width + x] = 1;
        if (++y === height) {
          y = 0;
          x++;
        }
      }
    }
    pos += len;
  }
  return mask;
}

/** Foreground pixel count of a COCO RLE. */
export function rleArea(rle: CocoRle): number {
  const runs = runsOf(rle);
  let area = 0;
  for (let j = 1; j < runs.length; j += 2) area += runs[j];
  return area;
}

/** Bounding box [x, y, width, height] of a COCO RLE, as pycocotools `toBbox`; [0, 0, 0, 0] when empty. */
export function rleToBbox(rle: CocoRle): [number, number, number, number] {
  const runs = runsOf(rle);
  const height = rle.size[0];
  let xs = Infinity;
  let xe = -Infinity;
  let ys = Infinity;
  let ye = -Infinity;
  let pos = 0;
  for (let j = 0; j < runs.length; j++) {
    const len = runs[j];
    if (j & 1 && len > 0) {
      const first = pos;
      const last = pos + len - 1;
      const x0 = Math.floor(first / height);
      const x1 = Math.floor(last / height);
      xs = Math.min(xs, x0);
      xe = Math.max(xe, x1);
      if (x0 !== x1) {
        // A run crossing into the next column touches both the bottom and the top row.
        ys = 0;
        ye = height - 1;
      } else {
        ys = Math.min(ys, first - x0 * height);
        ye = Math.max(ye, last - x1 * height);
      }
    }
    pos += len;
  }
  if (xs === Infinity) return [0, 0, 0, 0];
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}
