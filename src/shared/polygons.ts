/**
 * Mask ⇄ polygon conversion. Contours follow pixel edges, so vertices lie on pixel corners: a single pixel at
 * (x, y) is the square (x, y)–(x + 1, y + 1), and rasterising an unsimplified contour at pixel centres gives the
 * mask back exactly.
 */

/** A closed polygon as interleaved x, y pixel-corner coordinates; holes are tagged. */
export interface Polygon {
  /** x0, y0, x1, y1, … (closing edge implied). */
  points: number[];
  /** True for the boundary of a background region enclosed by foreground. */
  hole: boolean;
}

/** Options for maskToPolygons. */
export interface PolygonOptions {
  /** Douglas–Peucker tolerance in pixels; 0 keeps every corner. Default 1. */
  tolerance?: number;
  /** Foreground connectivity: 8 joins diagonal-only neighbours into one polygon (default), 4 keeps them apart. */
  connectivity?: 4 | 8;
}

/**
 * Default simplification tolerance. The staircase of a digitised straight edge has corners less than 1 px off the
 * edge at any slope (k/√(1+k²) for a 1:k step), so 1 px removes the staircase while keeping real 1-px features
 * only when they stick out further.
 */
export const DEFAULT_TOLERANCE = 1;

function checkMask(mask: ArrayLike<number>, w: number, h: number): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0) throw new RangeError(`invalid size ${w}x${h}`);
  if (mask.length !== w * h) throw new RangeError(`mask has ${mask.length} values, expected ${w * h}`);
}

// Directions on the corner grid, y pointing down: 0 = +x, 1 = +y, 2 = −x, 3 = −y.
const DX = [1, 0, -1, 0] as const;
const DY = [0, 1, 0, -1] as const;

/**
 * Traces every boundary of a row-major binary mask (nonzero = foreground) without simplification. Outer boundaries
 * run clockwise on screen (foreground on the right), holes counter-clockwise.
 */
export function traceContours(mask: ArrayLike<number>, w: number, h: number, connectivity: 4 | 8 = 8): Polygon[] {
  checkMask(mask, w, h);
  const fg = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] !== 0;
  // Every loop contains at least one +x edge, i.e. the top edge of a foreground pixel; mark those as traced.
  const traced = new Uint8Array(w * h);
  const polys: Polygon[] = [];

  for (let sy = 0; sy < h; sy++) {
    for (let sx = 0; sx < w; sx++) {
      const i = sy * w + sx;
      if (mask[i] === 0 || traced[i] || (sy > 0 && mask[i - w] !== 0)) continue;

      const points: number[] = [];
      let x = sx;
      let y = sy;
      let d = 0;
      for (;;) {
        if (d === 0) traced[y * w + x] = 1;
        x += DX[d];
        y += DY[d];
        // The 2×2 pixels around corner (x, y) decide where the boundary (foreground on the right) goes next.
        const tl = fg(x - 1, y - 1);
        const tr = fg(x, y - 1);
        const bl = fg(x - 1, y);
        const br = fg(x, y);
        let nd: number;
        if (tl === br && tr === bl && tl !== tr) {
          // Diagonal pixels meet here: turning left joins them (8-connected), turning right separates them.
          nd = connectivity === 8 ? (d + 3) & 3 : (d + 1) & 3;
        } else if (br && !tr) nd = 0;
        else if (bl && !br) nd = 1;
        else if (tl && !bl) nd = 2;
        else nd = 3;
        const done = x === sx && y === sy && nd === 0;
        if (nd !== d) points.push(x, y);
        if (done) break;
        d = nd;
      }
      polys.push({ points, hole: signedArea(points) < 0 });
    }
  }
  return polys;
}

/** Signed area of a closed polygon; positive when clockwise on screen (y down). */
export function signedArea(points: readonly number[]): number {
  const n = points.length;
  let s = 0;
  for (let i = 0; i < n; i += 2) {
    const j = i + 2 < n ? i + 2 : 0;
    s += points[i] * points[j + 1] - points[j] * points[i + 1];
  }
  return s / 2;
}

// Squared distance from p to segment a–b.
function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * Douglas–Peucker simplification of a closed polygon (interleaved x, y). Returns the input unchanged (copied) when
 * simplification would leave fewer than 3 vertices.
 */
export function simplifyPolygon(points: readonly number[], tolerance = DEFAULT_TOLERANCE): number[] {
  const n = points.length >> 1;
  if (!(tolerance > 0) || n <= 3) return points.slice();
  const tol2 = tolerance * tolerance;

  // A closed ring has no natural endpoints: split it at vertex 0 and the vertex farthest from it.
  let far = 0;
  let farD = -1;
  for (let i = 1; i < n; i++) {
    const dx = points[2 * i] - points[0];
    const dy = points[2 * i + 1] - points[1];
    const d = dx * dx + dy * dy;
    if (d > farD) {
      farD = d;
      far = i;
    }
  }

  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[far] = 1;
  // Index n stands for vertex 0 again, closing the ring. Explicit stack: contours can have many thousand vertices.
  const stack: number[] = [0, far, far, n];
  while (stack.length > 0) {
    const j = stack.pop() as number;
    const i = stack.pop() as number;
    if (j - i < 2) continue;
    const jj = j === n ? 0 : j;
    const ax = points[2 * i];
    const ay = points[2 * i + 1];
    const bx = points[2 * jj];
    const by = points[2 * jj + 1];
    let best = -1;
    let bestD = tol2;
    for (let k = i + 1; k < j; k++) {
      const d = segDist2(points[2 * k], points[2 * k + 1], ax, ay, bx, by);
      if (d > bestD) {
        bestD = d;
        best = k;
      }
    }
    if (best >= 0) {
      keep[best] = 1;
      stack.push(i, best, best, j);
    }
  }

  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(points[2 * i], points[2 * i + 1]);
  return out.length >= 6 ? out : points.slice();
}

/** Outer boundaries and holes of a binary mask as simplified polygons in pixel-corner coordinates. */
export function maskToPolygons(mask: ArrayLike<number>, w: number, h: number, options: PolygonOptions = {}): Polygon[] {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const polys = traceContours(mask, w, h, options.connectivity ?? 8);
  if (!(tolerance > 0)) return polys;
  return polys.map((p) => ({ points: simplifyPolygon(p.points, tolerance), hole: p.hole }));
}

/** Fills polygons (even-odd rule) into a w×h row-major 0/1 mask, sampling at pixel centres. */
export function rasterizePolygons(polys: readonly Polygon[], w: number, h: number, out?: Uint8Array): Uint8Array {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0) throw new RangeError(`invalid size ${w}x${h}`);
  const mask = out ?? new Uint8Array(w * h);
  if (mask.length !== w * h) throw new RangeError(`out has ${mask.length} values, expected ${w * h}`);
  if (out) mask.fill(0);

  // Rows whose centre y + 0.5 lies in [min(y0, y1), max(y0, y1)): half-open, so shared vertices count once.
  const rowRange = (ya: number, yb: number): [number, number] => {
    const lo = Math.min(ya, yb);
    const hi = Math.max(ya, yb);
    return [Math.max(0, Math.ceil(lo - 0.5)), Math.min(h - 1, Math.ceil(hi - 0.5) - 1)];
  };

  // Two passes (count, then fill) give one flat crossing buffer instead of an array per row.
  const offsets = new Int32Array(h + 1);
  for (const poly of polys) {
    const p = poly.points;
    for (let i = 0, n = p.length; i + 1 < n; i += 2) {
      const j = i + 2 < n ? i + 2 : 0;
      if (p[i + 1] === p[j + 1]) continue;
      const [r0, r1] = rowRange(p[i + 1], p[j + 1]);
      for (let r = r0; r <= r1; r++) offsets[r + 1]++;
    }
  }
  for (let r = 0; r < h; r++) offsets[r + 1] += offsets[r];
  const xs = new Float64Array(offsets[h]);
  const fillAt = offsets.slice(0, h);
  for (const poly of polys) {
    const p = poly.points;
    for (let i = 0, n = p.length; i + 1 < n; i += 2) {
      const j = i + 2 < n ? i + 2 : 0;
      const x0 = p[i];
      const y0 = p[i + 1];
      const x1 = p[j];
      const y1 = p[j + 1];
      if (y0 === y1) continue;
      const slope = (x1 - x0) / (y1 - y0);
      const [r0, r1] = rowRange(y0, y1);
      for (let r = r0; r <= r1; r++) xs[fillAt[r]++] = x0 + (r + 0.5 - y0) * slope;
    }
  }

  for (let r = 0; r < h; r++) {
    const row = xs.subarray(offsets[r], offsets[r + 1]);
    row.sort();
    const base = r * w;
    for (let k = 0; k + 1 < row.length; k += 2) {
      // Pixel x is inside when its centre x + 0.5 lies in [xa, xb).
      const from = Math.max(0, Math.ceil(row[k] - 0.5));
      const to = Math.min(w, Math.ceil(row[k + 1] - 0.5));
      for (let x = from; x < to; x++) mask[base + x] = 1;
    }
  }
  return mask;
}

function fmt(v: number, factor: number): string {
  const r = Math.round(v * factor) / factor;
  return r === 0 ? '0' : String(r);
}

/** SVG path data for polygons (one closed subpath each); draw with fill-rule="evenodd". */
export function toSvgPath(polys: readonly Polygon[], decimals = 2): string {
  const factor = 10 ** decimals;
  const parts: string[] = [];
  for (const { points } of polys) {
    if (points.length < 6) continue;
    let d = `M${fmt(points[0], factor)} ${fmt(points[1], factor)}`;
    for (let i = 2; i + 1 < points.length; i += 2) d += `L${fmt(points[i], factor)} ${fmt(points[i + 1], factor)}`;
    parts.push(d + 'Z');
  }
  return parts.join('');
}

/** Bounding box [x, y, width, height] of the nonzero pixels; [0, 0, 0, 0] for an empty mask. */
export function maskBbox(mask: ArrayLike<number>, w: number, h: number): [number, number, number, number] {
  checkMask(mask, w, h);
  let x0 = w;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const base = y * w;
    let first = -1;
    for (let x = 0; x < w; x++) {
      if (mask[base + x] !== 0) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let last = w - 1;
    while (mask[base + last] === 0) last--;
    if (y0 > y) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Number of nonzero pixels. */
export function maskArea(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0, len = mask.length; i < len; i++) if (mask[i] !== 0) n++;
  return n;
}
