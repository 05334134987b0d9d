// Shared helpers for the src/engine/math tests.

/** Deterministic PRNG (mulberry32) so random cases are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row-major mask from a picture: '#' or '1' = foreground, anything else background; rows separated by newlines. */
export function maskFrom(picture: string): { mask: Uint8Array; w: number; h: number } {
  const rows = picture
    .trim()
    .split('\n')
    .map((r) => r.trim());
  const h = rows.length;
  const w = rows[0].length;
  const mask = new Uint8Array(w * h);
  rows.forEach((row, y) => {
    if (row.length !== w) throw new Error('ragged picture');
    for (let x = 0; x < w; x++) mask[y * w + x] = row[x] === '#' || row[x] === '1' ? 1 : 0;
  });
  return { mask, w, h };
}

/** Intersection over union of two binary masks (1 when both are empty). */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
