import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TOLERANCE,
  maskArea,
  maskBbox,
  maskToPolygons,
  rasterizePolygons,
  signedArea,
  simplifyPolygon,
  toSvgPath,
  traceContours,
  type Polygon,
} from '../../src/shared/polygons.js';
import { iou, maskFrom, rng } from './math-helpers.js';

function draw(w: number, h: number, inside: (x: number, y: number) => boolean): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = inside(x + 0.5, y + 0.5) ? 1 : 0;
  return m;
}

const disc = (cx: number, cy: number, r: number) => (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 < r * r;

const SHAPES: Record<string, { w: number; h: number; mask: Uint8Array; outer: number; holes: number }> = {
  disc: { w: 80, h: 60, mask: draw(80, 60, disc(40, 30, 22)), outer: 1, holes: 0 },
  ring: {
    w: 80,
    h: 80,
    mask: draw(80, 80, (x, y) => disc(40, 40, 30)(x, y) && !disc(40, 40, 14)(x, y)),
    outer: 1,
    holes: 1,
  },
  twoBlobs: {
    w: 100,
    h: 50,
    mask: draw(100, 50, (x, y) => disc(25, 25, 15)(x, y) || disc(72, 22, 18)(x, y)),
    outer: 2,
    holes: 0,
  },
  lShape: {
    w: 40,
    h: 40,
    mask: draw(40, 40, (x, y) => (x > 5 && x < 15 && y > 5 && y < 35) || (x > 5 && x < 32 && y > 25 && y < 35)),
    outer: 1,
    holes: 0,
  },
};

// Canonical form of a ring of vertices (start at the smallest (y, x)) for order-insensitive comparison.
function canonical(points: number[]): string {
  let best = 0;
  for (let i = 2; i < points.length; i += 2) {
    const [y, x, by, bx] = [points[i + 1], points[i], points[best + 1], points[best]];
    if (y < by || (y === by && x < bx)) best = i;
  }
  return [...points.slice(best), ...points.slice(0, best)].join(',');
}

test('a single pixel is the unit square at its corners', () => {
  const w = 5;
  const h = 4;
  const mask = new Uint8Array(w * h);
  mask[2 * w + 3] = 1;
  const polys = traceContours(mask, w, h);
  assert.equal(polys.length, 1);
  assert.equal(polys[0].hole, false);
  assert.equal(canonical(polys[0].points), '3,2,4,2,4,3,3,3');
  // Nothing to simplify below 3 vertices: the square survives the default tolerance.
  assert.equal(canonical(maskToPolygons(mask, w, h)[0].points), '3,2,4,2,4,3,3,3');
  assert.equal(signedArea(polys[0].points), 1);
});

test('empty and full masks', () => {
  assert.deepEqual(traceContours(new Uint8Array(12), 4, 3), []);
  const full = traceContours(new Uint8Array(12).fill(1), 4, 3);
  assert.equal(full.length, 1);
  assert.equal(canonical(full[0].points), '0,0,4,0,4,3,0,3');
  assert.deepEqual(traceContours(new Uint8Array(0), 0, 0), []);
});

test('outer boundaries are clockwise on screen, holes counter-clockwise and tagged', () => {
  const { mask, w, h } = maskFrom(`
    #####
    #...#
    #...#
    #####
  `);
  const polys = traceContours(mask, w, h);
  assert.equal(polys.length, 2);
  const outer = polys.find((p) => !p.hole);
  const hole = polys.find((p) => p.hole);
  assert.ok(outer && hole);
  assert.equal(signedArea(outer.points), 20);
  assert.equal(signedArea(hole.points), -6);
  assert.equal(canonical(hole.points), '1,1,1,3,4,3,4,1');
});

test('diagonal neighbours: one polygon with 8-connectivity, two with 4', () => {
  const { mask, w, h } = maskFrom(`
    #..
    .#.
    ..#
  `);
  const p8 = traceContours(mask, w, h, 8);
  assert.equal(p8.length, 1);
  assert.equal(signedArea(p8[0].points), 3);
  const p4 = traceContours(mask, w, h, 4);
  assert.equal(p4.length, 3);
  assert.ok(p4.every((p) => !p.hole && signedArea(p.points) === 1));
  // Both rasterise back to the same pixels.
  assert.deepEqual([...rasterizePolygons(p8, w, h)], [...mask]);
  assert.deepEqual([...rasterizePolygons(p4, w, h)], [...mask]);
});

test('a background pixel touching the outside only diagonally is a hole iff foreground is 8-connected', () => {
  const { mask, w, h } = maskFrom(`
    ##.
    #.#
    ###
  `);
  // 8-connected foreground ⇒ 4-connected background: (1,1) is enclosed.
  const p8 = traceContours(mask, w, h, 8);
  assert.deepEqual(p8.map((p) => p.hole).sort(), [false, true]);
  // 4-connected foreground ⇒ (1,1) reaches the outside through (2,0): one outer boundary, pinched at (2,1).
  const p4 = traceContours(mask, w, h, 4);
  assert.deepEqual(
    p4.map((p) => p.hole),
    [false],
  );
  assert.equal(signedArea(p4[0].points), 7);
  for (const polys of [p8, p4]) assert.deepEqual([...rasterizePolygons(polys, w, h)], [...mask]);
});

test('unsimplified contours rasterise back exactly (random masks, both connectivities)', () => {
  const r = rng(5);
  for (let t = 0; t < 60; t++) {
    const w = 1 + Math.floor(r() * 30);
    const h = 1 + Math.floor(r() * 30);
    const p = r();
    const mask = new Uint8Array(w * h);
    for (let i = 0; i < mask.length; i++) mask[i] = r() < p ? 1 : 0;
    for (const c of [4, 8] as const) {
      const polys = maskToPolygons(mask, w, h, { tolerance: 0, connectivity: c });
      assert.deepEqual([...rasterizePolygons(polys, w, h)], [...mask], `case ${t} conn ${c}`);
      // Signed areas add up to the pixel count.
      const total = polys.reduce((s, q) => s + signedArea(q.points), 0);
      assert.equal(total, maskArea(mask));
    }
  }
});

for (const [name, s] of Object.entries(SHAPES)) {
  test(`${name}: simplified polygons rasterise back with IoU ≥ 0.95`, () => {
    const polys = maskToPolygons(s.mask, s.w, s.h);
    assert.equal(polys.filter((p) => !p.hole).length, s.outer);
    assert.equal(polys.filter((p) => p.hole).length, s.holes);
    const back = rasterizePolygons(polys, s.w, s.h);
    const score = iou(back, s.mask);
    assert.ok(score >= 0.95, `IoU ${score.toFixed(4)}`);
    // Simplification actually removes the staircase.
    const raw = traceContours(s.mask, s.w, s.h);
    const before = raw.reduce((n, p) => n + p.points.length, 0);
    const after = polys.reduce((n, p) => n + p.points.length, 0);
    if (name !== 'lShape') assert.ok(after < before / 2, `${after} vs ${before} coordinates`);
  });
}

test('L shape keeps its six corners', () => {
  const s = SHAPES.lShape;
  const polys = maskToPolygons(s.mask, s.w, s.h);
  assert.equal(polys.length, 1);
  assert.equal(polys[0].points.length, 12);
  assert.deepEqual([...rasterizePolygons(polys, s.w, s.h)], [...s.mask]);
});

// Blobs of at least ~10 px radius; on smaller ones a 1-px tolerance is a large relative change (use tolerance 0).
test('random blobs: IoU ≥ 0.95 after simplification', () => {
  const r = rng(77);
  for (let t = 0; t < 20; t++) {
    const w = 120 + Math.floor(r() * 80);
    const h = 90 + Math.floor(r() * 60);
    const discs = Array.from({ length: 2 + Math.floor(r() * 5) }, () => ({
      cx: r() * w,
      cy: r() * h,
      rad: 10 + r() * 25,
      neg: r() < 0.25,
    }));
    const mask = draw(w, h, (x, y) => {
      let inside = false;
      for (const d of discs) {
        const hit = (x - d.cx) ** 2 + (y - d.cy) ** 2 < d.rad ** 2;
        if (hit) inside = !d.neg;
      }
      return inside;
    });
    if (maskArea(mask) < 300) continue;
    const back = rasterizePolygons(maskToPolygons(mask, w, h), w, h);
    const score = iou(back, mask);
    assert.ok(score >= 0.95, `blob ${t}: IoU ${score.toFixed(4)}`);
  }
});

test('simplifyPolygon: collinear points go, corners stay, tiny rings are kept', () => {
  const square = [0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 5, 10, 0, 10, 0, 5];
  assert.equal(canonical(simplifyPolygon(square, 0.5)), '0,0,10,0,10,10,0,10');
  assert.deepEqual(simplifyPolygon(square, 0), square);
  const tri = [0, 0, 1, 0, 0, 1];
  assert.deepEqual(simplifyPolygon(tri, 5), tri);
  // A unit square would collapse to a segment: returned unchanged instead.
  assert.deepEqual(simplifyPolygon([0, 0, 1, 0, 1, 1, 0, 1], 1), [0, 0, 1, 0, 1, 1, 0, 1]);
  // A 45° staircase collapses to its diagonal at tolerance 1.
  const stairs = [0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 3, 2, 3, 3, 0, 3];
  assert.ok(simplifyPolygon(stairs, DEFAULT_TOLERANCE).length < stairs.length);
});

test('rasterizePolygons: even-odd fill at pixel centres', () => {
  // A square from 0.6 to 2.4 contains only the centre (1.5, 1.5).
  const sq: Polygon = { points: [0.6, 0.6, 2.4, 0.6, 2.4, 2.4, 0.6, 2.4], hole: false };
  assert.deepEqual([...rasterizePolygons([sq], 3, 3)], [0, 0, 0, 0, 1, 0, 0, 0, 0]);
  // Outer square with an inner square: even-odd leaves the centre empty whatever the winding.
  const outer: Polygon = { points: [0, 0, 3, 0, 3, 3, 0, 3], hole: false };
  const inner: Polygon = { points: [1, 1, 2, 1, 2, 2, 1, 2], hole: true };
  assert.deepEqual([...rasterizePolygons([outer, inner], 3, 3)], [1, 1, 1, 1, 0, 1, 1, 1, 1]);
  // Triangle: centres on or right of the diagonal edge x = y are inside, others not.
  const tri: Polygon = { points: [0, 0, 4, 0, 4, 4], hole: false };
  const m = rasterizePolygons([tri], 4, 4);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) assert.equal(m[y * 4 + x], x >= y ? 1 : 0, `${x},${y}`);
  // Clipped to the canvas.
  const big: Polygon = { points: [-5, -5, 50, -5, 50, 50, -5, 50], hole: false };
  assert.ok(rasterizePolygons([big], 4, 3).every((v) => v === 1));
  const out = new Uint8Array(9).fill(1);
  assert.equal(rasterizePolygons([], 3, 3, out), out);
  assert.ok(out.every((v) => v === 0));
});

test('toSvgPath writes one closed subpath per polygon', () => {
  const polys: Polygon[] = [
    { points: [0, 0, 4, 0, 4, 3, 0, 3], hole: false },
    { points: [1, 1, 1, 2, 2.3456, 2], hole: true },
  ];
  assert.equal(toSvgPath(polys), 'M0 0L4 0L4 3L0 3ZM1 1L1 2L2.35 2Z');
  assert.equal(toSvgPath(polys, 0), 'M0 0L4 0L4 3L0 3ZM1 1L1 2L2 2Z');
  assert.equal(toSvgPath([]), '');
  assert.equal(toSvgPath([{ points: [-0.001, 0, 1, 0, 1, 1], hole: false }]), 'M0 0L1 0L1 1Z');
});

test('maskBbox and maskArea', () => {
  const { mask, w, h } = maskFrom(`
    ......
    ..#...
    ...##.
    ......
  `);
  assert.deepEqual(maskBbox(mask, w, h), [2, 1, 3, 2]);
  assert.equal(maskArea(mask), 3);
  assert.deepEqual(maskBbox(new Uint8Array(6), 3, 2), [0, 0, 0, 0]);
  assert.deepEqual(maskBbox(new Uint8Array(6).fill(1), 3, 2), [0, 0, 3, 2]);
  assert.equal(maskArea(Uint8Array.of(0, 2, 255, 0)), 2);
  assert.throws(() => maskBbox(new Uint8Array(5), 3, 2), RangeError);
});

test('1920×1080 mask: contours and rasterisation round-trip (a disc with a hole)', () => {
  const w = 1920;
  const h = 1080;
  const mask = draw(w, h, (x, y) => disc(900, 500, 400)(x, y) && !disc(950, 450, 120)(x, y));
  const polys = maskToPolygons(mask, w, h);
  const back = rasterizePolygons(polys, w, h);
  assert.equal(polys.length, 2);
  assert.ok(iou(back, mask) > 0.99);
});
