// Sam2Mask, the user-facing mask object: ImageData, PNG, cut-outs, COCO RLE, polygons and SVG, checked in a real
// browser (canvas encoding/decoding is the part that a Node test cannot cover). No model runs here.
import { expect } from '@open-wc/testing';
import { Sam2Mask, type Sam2MaskSource } from '../../src/client/mask.js';
import { decodeRle, rleArea, rleToBbox } from '../../src/shared/rle.js';
import { maskArea, maskBbox, rasterizePolygons } from '../../src/shared/polygons.js';
import type { MaskData } from '../../src/shared/types.js';
import { Sam2Error, isSam2Error } from '../../src/shared/errors.js';
import { testBackend } from './helpers/backend.js';
import { area, drawScene, iou, type Shape } from './helpers/scenes.js';

const backend = testBackend();

// Non-square, odd sizes so row/column mix-ups and stride errors show.
const W = 101;
const H = 67;

interface NamedMask {
  name: string;
  data: Uint8Array;
  width: number;
  height: number;
  /** Outer boundaries and holes the mask has. */
  outers: number;
  holes: number;
}

function union(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] | b[i];
  return out;
}

function shapeMasks(): NamedMask[] {
  const white = '#ffffff';
  const disc = drawScene(W, H, '#000', [{ kind: 'circle', cx: 45.3, cy: 30.7, r: 22, color: white }]).truth(0);
  // A ring: the inner disc is painted over the outer one, so shape 0's visible pixels have a hole.
  const ring = drawScene(W, H, '#000', [
    { kind: 'circle', cx: 50, cy: 33.5, r: 29, color: white },
    { kind: 'circle', cx: 50, cy: 33.5, r: 12, color: '#000' },
  ]).truth(0);
  const blobsScene = drawScene(W, H, '#000', [
    { kind: 'circle', cx: 22, cy: 20, r: 14, color: white },
    { kind: 'circle', cx: 74, cy: 44, r: 17, color: white },
  ]);
  const lScene = drawScene(W, H, '#000', [
    { kind: 'rect', x: 10, y: 6, w: 18, h: 52, color: white },
    { kind: 'rect', x: 10, y: 40, w: 72, h: 18, color: white },
  ]);
  const blobs = union(blobsScene.truth(0), blobsScene.truth(1));
  return [
    { name: 'disc', data: disc, width: W, height: H, outers: 1, holes: 0 },
    { name: 'ring', data: ring, width: W, height: H, outers: 1, holes: 1 },
    { name: 'two blobs', data: blobs, width: W, height: H, outers: 2, holes: 0 },
    { name: 'L shape', data: union(lScene.truth(0), lScene.truth(1)), width: W, height: H, outers: 1, holes: 0 },
  ];
}

function maskData(data: Uint8Array, width: number, height: number): MaskData {
  return { width, height, data, bbox: maskBbox(data, width, height), area: maskArea(data) };
}

function sam2Mask(m: { data: Uint8Array; width: number; height: number }, source?: Sam2MaskSource): Sam2Mask {
  return new Sam2Mask(maskData(m.data, m.width, m.height), source);
}

/** Row-major mask from a picture: '#' foreground, '.' background, one row per line. */
function picture(text: string): { data: Uint8Array; width: number; height: number } {
  const rows = text
    .trim()
    .split('\n')
    .map((r) => r.trim());
  const width = rows[0].length;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x++) data[y * width + x] = row[x] === '#' ? 1 : 0;
  });
  return { data, width, height: rows.length };
}

/** A source whose every pixel has a colour derived from its position, so any offset error shows. */
function positionCodedCanvas(width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const image = new ImageData(width, height);
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 4) {
      image.data[o] = (x * 2 + 1) & 255;
      image.data[o + 1] = (y * 3 + 7) & 255;
      image.data[o + 2] = (x * 5 + y * 11) & 255;
      image.data[o + 3] = 255;
    }
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}

function pixelsOf(canvas: HTMLCanvasElement): Uint8ClampedArray {
  return canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
}

/** Decodes a PNG blob back to unpremultiplied RGBA through the browser's own decoder. */
async function decodePng(blob: Blob): Promise<ImageData> {
  expect(blob.type).to.equal('image/png');
  const head = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
  expect(Array.from(head), 'PNG signature').to.deep.equal([137, 80, 78, 71, 13, 10, 26, 10]);
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** Alpha channel as a 0/1 mask (alpha must be exactly 0 or 255). */
function alphaMask(image: ImageData): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  let odd = 0;
  for (let i = 0; i < out.length; i++) {
    const a = image.data[4 * i + 3];
    if (a !== 0 && a !== 255) odd++;
    out[i] = a === 255 ? 1 : 0;
  }
  expect(odd, 'alpha values other than 0 and 255').to.equal(0);
  return out;
}

/** Index of the first difference of two masks, or -1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Checks a cut-out against its source: inside = source RGBA at the offset, outside alpha 0. */
function checkCutout(
  image: ImageData,
  mask: Uint8Array,
  maskWidth: number,
  source: Uint8ClampedArray,
  ox: number,
  oy: number,
): void {
  let insideWrong = 0;
  let outsideWrong = 0;
  let inside = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = 4 * (y * image.width + x);
      const m = (y + oy) * maskWidth + (x + ox);
      if (mask[m]) {
        inside++;
        const s = 4 * m;
        for (let c = 0; c < 4; c++) if (image.data[o + c] !== source[s + c]) insideWrong++;
      } else if (image.data[o + 3] !== 0) outsideWrong++;
    }
  }
  expect(insideWrong, 'inside channels differing from the source').to.equal(0);
  expect(outsideWrong, 'outside pixels with alpha > 0').to.equal(0);
  expect(inside, 'inside pixels in the image').to.equal(area(mask));
}

describe(`Sam2Mask [${backend}]`, () => {
  const shapes = shapeMasks();

  it('builds the test shapes it claims to', () => {
    for (const s of shapes) expect(area(s.data), s.name).to.be.greaterThan(500);
  });

  it('exposes size, bbox, area and data from MaskData', () => {
    const [disc] = shapes;
    const md = maskData(disc.data, W, H);
    const mask = new Sam2Mask(md);
    expect(mask.width).to.equal(W);
    expect(mask.height).to.equal(H);
    expect(mask.bbox).to.deep.equal(md.bbox);
    expect(mask.bbox).to.not.equal(md.bbox);
    expect(mask.area).to.equal(md.area);
    expect(mask.data).to.equal(disc.data);
  });

  it('rejects data of the wrong length', () => {
    expect(() => new Sam2Mask({ width: 3, height: 2, data: new Uint8Array(5), bbox: [0, 0, 0, 0], area: 0 })).to.throw(
      RangeError,
    );
  });

  describe('toImageData', () => {
    for (const s of shapes) {
      it(`alpha equals the mask, rgb white inside (${s.name})`, () => {
        const image = sam2Mask(s).toImageData();
        expect([image.width, image.height]).to.deep.equal([W, H]);
        expect(firstDiff(alphaMask(image), s.data)).to.equal(-1);
        let wrong = 0;
        for (let i = 0; i < s.data.length; i++) {
          const v = s.data[i] ? 255 : 0;
          for (let c = 0; c < 3; c++) if (image.data[4 * i + c] !== v) wrong++;
        }
        expect(wrong, 'rgb channels not white inside / zero outside').to.equal(0);
      });
    }

    it('uses the given colour inside', () => {
      const ring = shapes[1];
      const image = sam2Mask(ring).toImageData([255, 0, 128]);
      expect(firstDiff(alphaMask(image), ring.data)).to.equal(-1);
      let wrong = 0;
      for (let i = 0; i < ring.data.length; i++) {
        const px = Array.from(image.data.subarray(4 * i, 4 * i + 4));
        const want = ring.data[i] ? [255, 0, 128, 255] : [0, 0, 0, 0];
        if (firstDiff(px, want) !== -1) wrong++;
      }
      expect(wrong).to.equal(0);
    });
  });

  describe('toBlob', () => {
    for (const s of shapes) {
      for (const depth of [1, 8] as const) {
        it(`grey PNG (${depth}-bit) decodes back to the identical mask (${s.name})`, async () => {
          const blob = await sam2Mask(s).toBlob({ depth });
          const image = await decodePng(blob);
          expect([image.width, image.height]).to.deep.equal([W, H]);
          const grey = new Uint8Array(W * H);
          let wrong = 0;
          for (let i = 0; i < grey.length; i++) {
            const [r, g, b, a] = image.data.subarray(4 * i, 4 * i + 4);
            if (a !== 255 || r !== g || g !== b || (r !== 0 && r !== 255)) wrong++;
            grey[i] = r === 255 ? 1 : 0;
          }
          expect(wrong, 'pixels that are not opaque black or white').to.equal(0);
          expect(firstDiff(grey, s.data)).to.equal(-1);
          // IHDR: bit depth at byte 24, colour type 0 (greyscale) at byte 25.
          const ihdr = new Uint8Array(await blob.slice(24, 26).arrayBuffer());
          expect(Array.from(ihdr)).to.deep.equal([depth, 0]);
        });
      }
    }

    it("rejects a depth other than 1 or 8 with 'invalid-option'", async () => {
      let error: unknown;
      try {
        await sam2Mask(shapes[0]).toBlob({ depth: 4 as 1 });
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string }).code).to.equal('invalid-option');
    });
  });

  describe('toCutout', () => {
    const source = positionCodedCanvas(W, H);
    const sourcePixels = pixelsOf(source);

    for (const s of shapes) {
      it(`full size: source pixels inside, transparent outside (${s.name})`, async () => {
        const image = await decodePng(await sam2Mask(s, source).toCutout());
        expect([image.width, image.height]).to.deep.equal([W, H]);
        checkCutout(image, s.data, W, sourcePixels, 0, 0);
      });

      it(`crop: bbox size, source pixels at the bbox offset (${s.name})`, async () => {
        const mask = sam2Mask(s, source);
        const [bx, by, bw, bh] = mask.bbox;
        const image = await decodePng(await mask.toCutout({ crop: true }));
        expect([image.width, image.height]).to.deep.equal([bw, bh]);
        checkCutout(image, s.data, W, sourcePixels, bx, by);
      });
    }

    it('takes an ImageBitmap of a drawn scene as source', async () => {
      const shapesDrawn: Shape[] = [
        { kind: 'rect', x: 5, y: 4, w: 40, h: 30, color: '#1e90ff' },
        { kind: 'circle', cx: 60, cy: 40, r: 18, color: '#e0301a' },
      ];
      const scene = drawScene(W, H, '#20a040', shapesDrawn);
      const bitmap = await createImageBitmap(scene.canvas);
      try {
        const disc = scene.truth(1);
        const mask = sam2Mask({ data: disc, width: W, height: H }, bitmap);
        const image = await decodePng(await mask.toCutout({ crop: true }));
        const [bx, by, bw, bh] = mask.bbox;
        expect([image.width, image.height]).to.deep.equal([bw, bh]);
        checkCutout(image, disc, W, pixelsOf(scene.canvas), bx, by);
        // The disc's centre is the colour it was drawn with.
        const o = 4 * ((40 - by) * bw + (60 - bx));
        expect(Array.from(image.data.subarray(o, o + 4))).to.deep.equal([0xe0, 0x30, 0x1a, 255]);
      } finally {
        bitmap.close();
      }
    });

    it("rejects with code 'not-ready' without a source", async () => {
      let error: unknown;
      try {
        await sam2Mask(shapes[0]).toCutout();
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(Sam2Error);
      expect(isSam2Error(error, 'not-ready')).to.equal(true);
    });

    it('gives a 1×1 transparent PNG when cropping an empty mask', async () => {
      const empty = new Uint8Array(W * H);
      const mask = sam2Mask({ data: empty, width: W, height: H }, source);
      expect(mask.bbox).to.deep.equal([0, 0, 0, 0]);
      const image = await decodePng(await mask.toCutout({ crop: true }));
      expect([image.width, image.height]).to.deep.equal([1, 1]);
      expect(image.data[3]).to.equal(0);
    });
  });

  describe('toRLE', () => {
    // Derived by hand with pycocotools' algorithm (maskApi.c rleEncode + rleToString): runs column by column
    // starting with zeros; from the 4th run on the value is runs[i] − runs[i − 2]; 5-bit groups low first,
    // 0x20 = more, char = 48 + group. Each was also confirmed with pycocotools 2.0.11 `mask.encode`.
    const cases: { name: string; text: string; runs: string; counts: string }[] = [
      // Columns (1,1) (0,1) (0,0) → 1 1 0 1 0 0 → runs 0,2,1,1,2; i3: 1−2 = −1 → 31 → 'O'; i4: 2−1 = 1.
      { name: '3×2 corner', text: '#..\n##.', runs: '0,2,1,1,2', counts: '021O1' },
      // Columns (0,0) (1,1) (1,0) → 0 0 1 1 1 0 → runs 2,3,1.
      { name: '3×2 bar', text: '.##\n.#.', runs: '2,3,1', counts: '231' },
      { name: '3×2 full', text: '###\n###', runs: '0,6', counts: '06' },
      { name: '3×2 empty', text: '...\n...', runs: '6', counts: '6' },
      // Last pixel only: runs 19,1; 19 has bit 4 set, so it takes two groups: 19|32 → 'c', then 0 → '0'.
      { name: '5×4 last pixel', text: '.....\n.....\n.....\n....#', runs: '19,1', counts: 'c01' },
      // 2×20: column 0 full, column 1 rows 1–2 → runs 0,20,1,2,17. 20 → 'd0'; i3: 2−20 = −18 → 14|32 '^',
      // then −1 → 31 'O'; i4: 17−1 = 16 → 16|32 '`', then '0'.
      {
        name: '2×20 column and notch',
        text: ['#.', '##', '##', ...Array(17).fill('#.')].join('\n'),
        runs: '0,20,1,2,17',
        counts: '0d01^O`0',
      },
    ];

    for (const c of cases) {
      it(`matches pycocotools for ${c.name} (runs ${c.runs})`, () => {
        const m = picture(c.text);
        const rle = sam2Mask(m).toRLE();
        expect(rle.size).to.deep.equal([m.height, m.width]);
        expect(rle.counts).to.equal(c.counts);
      });
    }

    it('matches pycocotools on a 13×9 disc and ring', () => {
      // Output of pycocotools 2.0.11 mask.encode on these masks (inside: (2x+1−12)² + (2y+1−8)² ≤ 64, the ring
      // also > 9).
      const w = 13;
      const h = 9;
      const disc = new Uint8Array(w * h);
      const ring = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const d = (2 * x + 1 - 12) ** 2 + (2 * y + 1 - 8) ** 2;
          disc[y * w + x] = d <= 64 ? 1 : 0;
          ring[y * w + x] = d <= 64 && d > 9 ? 1 : 0;
        }
      }
      const discRle = sam2Mask({ data: disc, width: w, height: h }).toRLE();
      expect(discRle).to.deep.equal({ size: [9, 13], counts: 'd0442N2O000001N2Nj0' });
      expect(rleArea(discRle)).to.equal(52);
      expect(rleToBbox(discRle)).to.deep.equal([2, 0, 8, 8]);
      const ringRle = sam2Mask({ data: ring, width: w, height: h }).toRLE();
      expect(ringRle).to.deep.equal({ size: [9, 13], counts: 'd0442N2OK10O010O51N2Nj0' });
      expect(rleArea(ringRle)).to.equal(48);
    });

    for (const s of shapes) {
      it(`decodeRle round-trips (${s.name})`, () => {
        const mask = sam2Mask(s);
        const rle = mask.toRLE();
        expect(rle.size).to.deep.equal([H, W]);
        expect(firstDiff(decodeRle(rle), s.data)).to.equal(-1);
        expect(rleArea(rle)).to.equal(mask.area);
        expect(rleToBbox(rle)).to.deep.equal(mask.bbox);
      });
    }
  });

  describe('toPolygons / toSvgPath', () => {
    for (const s of shapes) {
      it(`rasterises back with IoU ≥ 0.95 and the right contours (${s.name})`, () => {
        const mask = sam2Mask(s);
        const polys = mask.toPolygons();
        const back = rasterizePolygons(polys, W, H);
        expect(iou(back, s.data), 'IoU').to.be.at.least(0.95);
        expect(polys.filter((p) => p.hole).length, 'holes').to.equal(s.holes);
        expect(polys.filter((p) => !p.hole).length, 'outer boundaries').to.equal(s.outers);
        // Unsimplified contours are exact; simplification never adds vertices.
        const exact = mask.toPolygons({ tolerance: 0 });
        expect(firstDiff(rasterizePolygons(exact, W, H), s.data), 'tolerance 0 is exact').to.equal(-1);
        const vertices = (ps: { points: number[] }[]) => ps.reduce((n, p) => n + p.points.length / 2, 0);
        expect(vertices(polys)).to.be.at.most(vertices(exact));
      });

      it(`toSvgPath gives one closed subpath per contour (${s.name})`, () => {
        const mask = sam2Mask(s);
        const d = mask.toSvgPath();
        expect(d).to.match(/^M/);
        expect(d.split('M').length - 1).to.equal(s.outers + s.holes);
        expect(d.split('Z').length - 1).to.equal(s.outers + s.holes);
      });
    }

    it('gives no polygons and an empty path for an empty mask', () => {
      const mask = sam2Mask({ data: new Uint8Array(12), width: 4, height: 3 });
      expect(mask.toPolygons()).to.deep.equal([]);
      expect(mask.toSvgPath()).to.equal('');
    });
  });
});
