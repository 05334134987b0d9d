// Synthetic scenes with known ground truth: flat-coloured shapes on a contrasting background, drawn on a
// canvas at any resolution. Ground truth is computed analytically at pixel centres, later shapes on top.

export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; color: string }
  | { kind: 'circle'; cx: number; cy: number; r: number; color: string };

export interface Scene {
  canvas: HTMLCanvasElement;
  width: number;
  height: number;
  /** Visible pixels of shape i (row-major, 1 = inside and not covered by a later shape). */
  truth(i: number): Uint8Array;
}

function inside(s: Shape, x: number, y: number): boolean {
  if (s.kind === 'rect') return x >= s.x && x < s.x + s.w && y >= s.y && y < s.y + s.h;
  const dx = x - s.cx;
  const dy = y - s.cy;
  return dx * dx + dy * dy <= s.r * s.r;
}

export function drawScene(width: number, height: number, background: string, shapes: readonly Shape[]): Scene {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  for (const s of shapes) {
    ctx.fillStyle = s.color;
    if (s.kind === 'rect') ctx.fillRect(s.x, s.y, s.w, s.h);
    else {
      ctx.beginPath();
      ctx.arc(s.cx, s.cy, s.r, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  return {
    canvas,
    width,
    height,
    truth(i: number): Uint8Array {
      const m = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const px = x + 0.5;
          const py = y + 0.5;
          let top = -1;
          shapes.forEach((s, k) => {
            if (inside(s, px, py)) top = k;
          });
          if (top === i) m[y * width + x] = 1;
        }
      }
      return m;
    },
  };
}

export function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! > 0;
    const y = b[i]! > 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

export function area(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  return n;
}

/** Fraction of `inner`'s pixels that are also in `outer`. */
export function containment(inner: Uint8Array, outer: Uint8Array): number {
  let n = 0;
  let k = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i]) {
      n++;
      if (outer[i]) k++;
    }
  }
  return n === 0 ? 1 : k / n;
}

export const RED = '#d81e1e';
export const BLUE = '#1e3cd8';
export const GREEN = '#1ea03c';

/** Three distinct objects on white (a rectangle, a disc, a wide rectangle) laid out relative to the image size. */
export function objectsScene(w: number, h: number): { scene: Scene; centres: [number, number][] } {
  const shapes: Shape[] = [
    { kind: 'rect', x: 0.08 * w, y: 0.1 * h, w: 0.3 * w, h: 0.35 * h, color: RED },
    { kind: 'circle', cx: 0.7 * w, cy: 0.3 * h, r: 0.15 * Math.min(w, h), color: BLUE },
    { kind: 'rect', x: 0.45 * w, y: 0.6 * h, w: 0.4 * w, h: 0.25 * h, color: GREEN },
  ];
  const centres: [number, number][] = [
    [0.23 * w, 0.275 * h],
    [0.7 * w, 0.3 * h],
    [0.65 * w, 0.725 * h],
  ];
  return { scene: drawScene(w, h, '#ffffff', shapes), centres };
}

/** Reflects p into [0, max] (a bouncing coordinate): a step of v moves at most |v|. */
export function bounce(p: number, max: number): number {
  const q = ((p % (2 * max)) + 2 * max) % (2 * max);
  return q <= max ? q : 2 * max - q;
}

/**
 * Top-left corners of a square of side `side` moving up to 24 px per frame in a width×height frame: right, down, then
 * diagonally, every 60 frames, bouncing off the edges.
 */
export function squarePath(n: number, width: number, height: number, side: number): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  let x = 10;
  let y = 20;
  for (let t = 0; t < n; t++) {
    out.push({ x: bounce(x, width - side), y: bounce(y, height - side) });
    const phase = t % 60;
    const [vx, vy] = phase < 20 ? [24, 0] : phase < 40 ? [0, 24] : [-16, -17];
    x += vx;
    y += vy;
  }
  return out;
}
