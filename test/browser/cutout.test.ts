// Cut-outs shops can use and the small grey mask PNG, decoded back in a real browser: feather measured as an alpha
// ramp of the requested width, invert, each background (colour, blur, image), padding, WebP, bad options; and the
// same pixels whether the segmenter's worker or the page makes them.
import { expect } from '@open-wc/testing';
import {
  Sam2Mask,
  localMaskCodec,
  type CutoutOptions,
  type MaskCodec,
  type Sam2MaskSource,
} from '../../src/client/mask.js';
import { createSegmenter, type Segmenter } from '../../src/client/segmenter.js';
import { maskArea, maskBbox } from '../../src/shared/polygons.js';
import { testBackend } from './helpers/backend.js';
import { drawScene } from './helpers/scenes.js';

const backend = testBackend();

function mask(data: Uint8Array, width: number, height: number, source?: Sam2MaskSource, codec?: MaskCodec): Sam2Mask {
  return new Sam2Mask(
    { width, height, data, bbox: maskBbox(data, width, height), area: maskArea(data) },
    source,
    codec,
  );
}

/** Decodes PNG or WebP to unpremultiplied RGBA with the browser's own decoder. */
async function decode(blob: Blob): Promise<ImageData> {
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

function px(image: ImageData, x: number, y: number): number[] {
  const o = 4 * (y * image.width + x);
  return Array.from(image.data.subarray(o, o + 4));
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `uncoded ${String(e)}`;
  }
  return undefined;
}

// A 160×60 scene: green backdrop, a red rectangle on the left half-plane x < 80 (the mask), stripes on the right.
const W = 160;
const H = 60;
const scene = drawScene(W, H, '#20a040', [
  { kind: 'rect', x: 0, y: 0, w: 80, h: 60, color: '#e0301a' },
  ...Array.from({ length: 10 }, (_, i) => ({
    kind: 'rect' as const,
    x: 84 + i * 8,
    y: 0,
    w: 4,
    h: 60,
    color: '#f0f0f0',
  })),
]);
const half = scene.truth(0);

describe(`cut-outs [${backend}]`, () => {
  describe('feather', () => {
    for (const feather of [4, 8, 20]) {
      it(`is a linear alpha ramp ${feather} px wide centred on the edge`, async () => {
        const image = await decode(await mask(half, W, H, scene.canvas).toCutout({ feather }));
        for (const y of [0, 30, 59]) {
          const row = Array.from({ length: W }, (_, x) => px(image, x, y)[3]);
          const soft = row.filter((a) => a > 0 && a < 255).length;
          expect(Math.abs(soft - feather), `row ${y}: ${soft} soft pixels`).to.be.at.most(1);
          // Monotonic, and half-way at the mask's edge (between pixels 79 and 80).
          for (let x = 1; x < W; x++) expect(row[x]).to.be.at.most(row[x - 1]);
          expect((row[79] + row[80]) / 2).to.be.closeTo(127.5, 2);
          // Linear: equal steps across the ramp.
          const step = row[78] - row[79];
          expect(step).to.be.closeTo(255 / feather, 1.5);
        }
        // Inside the ramp the colour is still the object's.
        expect(px(image, 70, 30).slice(0, 3)).to.deep.equal([0xe0, 0x30, 0x1a]);
      });
    }

    it('is as wide across a diagonal edge (Euclidean, not city-block)', async () => {
      const n = 120;
      const diag = new Uint8Array(n * n);
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) diag[y * n + x] = x + y < n ? 1 : 0;
      const canvas = drawScene(n, n, '#888', []).canvas;
      const image = await decode(await mask(diag, n, n, canvas).toCutout({ feather: 10 }));
      // Along the line y = x, crossing the edge at right angles: the ramp spans 10 px of distance, ~7 diagonal steps.
      let soft = 0;
      for (let i = 0; i < n; i++) {
        const a = px(image, i, i)[3];
        if (a > 0 && a < 255) soft++;
      }
      expect(soft * Math.SQRT2).to.be.closeTo(10, 1.5);
    });

    it('0 keeps hard edges: alpha is exactly the mask', async () => {
      const image = await decode(await mask(half, W, H, scene.canvas).toCutout({ feather: 0 }));
      for (let i = 0; i < W * H; i++) if (image.data[4 * i + 3] !== (half[i] ? 255 : 0)) throw new Error(`pixel ${i}`);
    });
  });

  it('invert keeps what the mask leaves out', async () => {
    const image = await decode(await mask(half, W, H, scene.canvas).toCutout({ invert: true }));
    expect(px(image, 10, 10)[3]).to.equal(0);
    expect(px(image, 82, 10)).to.deep.equal([0x20, 0xa0, 0x40, 255]);
    let wrong = 0;
    for (let i = 0; i < W * H; i++) if (image.data[4 * i + 3] !== (half[i] ? 0 : 255)) wrong++;
    expect(wrong).to.equal(0);
    // With a feather, the inverted ramp mirrors the plain one.
    const plain = await decode(await mask(half, W, H, scene.canvas).toCutout({ feather: 8 }));
    const inv = await decode(await mask(half, W, H, scene.canvas).toCutout({ feather: 8, invert: true }));
    for (let x = 70; x < 90; x++) expect(px(inv, x, 5)[3] + px(plain, x, 5)[3]).to.be.closeTo(255, 1);
  });

  describe('background', () => {
    it('a CSS colour fills what the mask leaves out, opaque', async () => {
      const image = await decode(await mask(half, W, H, scene.canvas).toCutout({ background: '#ff8800' }));
      expect(px(image, 10, 10)).to.deep.equal([0xe0, 0x30, 0x1a, 255]);
      expect(px(image, 150, 10)).to.deep.equal([255, 0x88, 0, 255]);
    });

    it('an [r, g, b, a] colour keeps its alpha, and blends with a feathered edge', async () => {
      const image = await decode(await mask(half, W, H, scene.canvas).toCutout({ background: [0, 0, 255, 128] }));
      expect(px(image, 150, 10)).to.deep.equal([0, 0, 255, 128]);
      const soft = await decode(await mask(half, W, H, scene.canvas).toCutout({ background: [0, 0, 255], feather: 8 }));
      // Last pixel inside the edge: opaque, a little over half object red, the rest backdrop blue.
      const [r, g, b, a] = px(soft, 79, 10);
      expect(a).to.equal(255);
      expect(r).to.be.closeTo(0xe0 * 0.5625, 3);
      expect(b).to.be.closeTo(0x1a * 0.5625 + 255 * 0.4375, 3);
      expect(g).to.be.closeTo(0x30 * 0.5625, 3);
    });

    it("'blur' blurs the backdrop without the object bleeding into it", async () => {
      const image = await decode(await mask(half, W, H, scene.canvas).toCutout({ background: 'blur', blurRadius: 12 }));
      // Inside: the object, untouched.
      expect(px(image, 40, 30)).to.deep.equal([0xe0, 0x30, 0x1a, 255]);
      // Right next to the object: only backdrop colours (green and the white stripes), no red.
      const [r, g, b, a] = px(image, 81, 30);
      expect(a).to.equal(255);
      expect(g - r, 'no red from the object').to.be.above(20);
      expect(Math.abs(r - b)).to.be.below(30);
      // The stripes are blurred: across them the contrast drops from 200+ to a fraction.
      const lum = (x: number): number => px(image, x, 30)[1];
      const values = Array.from({ length: 40 }, (_, i) => lum(100 + i));
      const sharp = Array.from(
        { length: 40 },
        (_, i) => scene.canvas.getContext('2d')!.getImageData(100 + i, 30, 1, 1).data[0],
      );
      const spread = (v: number[]): number => Math.max(...v) - Math.min(...v);
      expect(spread(sharp)).to.be.above(150);
      expect(spread(values)).to.be.below(spread(sharp) / 4);
    });

    it('an image covers the output, centred, behind the object', async () => {
      // 2:1 picture, yellow left half, blue right half, over a 160×60 (8:3) output: scaled to cover (×… in height),
      // so the far left is yellow and the far right blue.
      const picture = drawScene(40, 20, '#ffff00', [
        { kind: 'rect', x: 20, y: 0, w: 20, h: 20, color: '#0000ff' },
      ]).canvas;
      const inverse = new Uint8Array(half.length).map((_, i) => (half[i] ? 0 : 1));
      const image = await decode(await mask(inverse, W, H, scene.canvas).toCutout({ background: picture }));
      expect(px(image, 2, 30)).to.deep.equal([255, 255, 0, 255]);
      expect(px(image, 146, 30).slice(0, 3)).to.deep.equal([0x20, 0xa0, 0x40]);
      const blob = await new Promise<Blob>((r) => picture.toBlob((b) => r(b!), 'image/png'));
      const fromBlob = await decode(await mask(half, W, H, scene.canvas).toCutout({ background: blob }));
      expect(px(fromBlob, 158, 30)).to.deep.equal([0, 0, 255, 255]);
      expect(px(fromBlob, 10, 30)).to.deep.equal([0xe0, 0x30, 0x1a, 255]);
    });
  });

  describe('padding and crop', () => {
    const disc = drawScene(W, H, '#000', [{ kind: 'circle', cx: 50, cy: 30, r: 15, color: '#fff' }]).truth(0);

    it('crop + padding: the bbox grown by the padding on every side, transparent there', async () => {
      const m = mask(disc, W, H, scene.canvas);
      const [, , bw, bh] = m.bbox;
      const image = await decode(await m.toCutout({ crop: true, padding: 10 }));
      expect([image.width, image.height]).to.deep.equal([bw + 20, bh + 20]);
      for (const [x, y] of [
        [0, 0],
        [5, 20],
        [image.width - 1, image.height - 1],
      ])
        expect(px(image, x, y)[3]).to.equal(0);
      expect(px(image, 10 + (bw >> 1), 10 + (bh >> 1))).to.deep.equal([0xe0, 0x30, 0x1a, 255]);
    });

    it('padding without crop grows the full image, filled with the background colour', async () => {
      const image = await decode(await mask(disc, W, H, scene.canvas).toCutout({ padding: 6, background: '#fff' }));
      expect([image.width, image.height]).to.deep.equal([W + 12, H + 12]);
      expect(px(image, 0, 0)).to.deep.equal([255, 255, 255, 255]);
      expect(px(image, 6 + 50, 6 + 30)).to.deep.equal([0xe0, 0x30, 0x1a, 255]);
    });

    it('crop includes the feathered fringe outside the mask', async () => {
      const m = mask(disc, W, H, scene.canvas);
      const image = await decode(await m.toCutout({ crop: true, feather: 10 }));
      expect(image.width).to.be.within(m.bbox[2] + 8, m.bbox[2] + 12);
    });
  });

  describe('webp', () => {
    it('encodes WebP, smaller at a lower quality', async () => {
      const m = mask(half, W, H, scene.canvas);
      const hi = await m.toCutout({ format: 'webp', quality: 0.95, background: '#fff' });
      const lo = await m.toCutout({ format: 'webp', quality: 0.2, background: '#fff' });
      expect(hi.type).to.equal('image/webp');
      const head = new Uint8Array(await hi.slice(0, 12).arrayBuffer());
      expect(String.fromCharCode(...head.subarray(0, 4)) + String.fromCharCode(...head.subarray(8, 12))).to.equal(
        'RIFFWEBP',
      );
      expect(lo.size).to.be.below(hi.size);
      const image = await decode(hi);
      expect([image.width, image.height]).to.deep.equal([W, H]);
      const [r, g, b] = px(image, 40, 30);
      expect(Math.abs(r - 0xe0) + Math.abs(g - 0x30) + Math.abs(b - 0x1a)).to.be.below(30);
      // Lossy WebP keeps alpha: a transparent cut-out stays transparent outside.
      const clear = await decode(await m.toCutout({ format: 'webp', quality: 0.8 }));
      expect(px(clear, 150, 30)[3]).to.equal(0);
      expect(px(clear, 40, 30)[3]).to.equal(255);
    });
  });

  it("rejects bad options with 'invalid-option' and leaves the mask usable", async () => {
    const m = mask(half, W, H, scene.canvas);
    const bad: CutoutOptions[] = [
      { feather: -1 },
      { feather: Number.NaN },
      { padding: 1.5 },
      { padding: -2 },
      { format: 'gif' as 'png' },
      { quality: 2 },
      { background: 'not-a-colour' },
      { background: [1, 2] as unknown as [number, number, number] },
      { background: {} as unknown as string },
      { background: 'blur', blurRadius: 0 },
    ];
    for (const options of bad)
      expect(await code(m.toCutout(options)), JSON.stringify(options)).to.equal('invalid-option');
    expect((await m.toCutout()).type).to.equal('image/png');
  });

  describe('grey mask PNG', () => {
    it('an 800×600 mask is a few hundred bytes, not 12,978', async () => {
      const big = drawScene(800, 600, '#000', [
        { kind: 'circle', cx: 300, cy: 280, r: 170, color: '#fff' },
        { kind: 'rect', x: 520, y: 120, w: 200, h: 330, color: '#fff' },
      ]);
      const rect = big.truth(1);
      const data = big.truth(0).map((v, i) => v | rect[i]);
      const m = mask(data, 800, 600);
      const one = await m.toBlob();
      const eight = await m.toBlob({ depth: 8 });
      expect(one.size, `1-bit: ${one.size} bytes`).to.be.below(1500);
      expect(eight.size, `8-bit: ${eight.size} bytes`).to.be.below(3000);
    });
  });

  describe('in the worker', () => {
    let seg: Segmenter;
    before(() => {
      seg = createSegmenter({
        device: backend,
        wasmPaths: '/node_modules/onnxruntime-web/dist/',
        workerUrl: new URL('/src/workers/sam2.worker.ts', location.href),
      });
    });
    after(() => seg.dispose());

    it('makes the same cut-outs and PNGs as the page, and leaves the source open', async () => {
      const bitmap = await createImageBitmap(scene.canvas);
      const viaWorker = mask(half, W, H, bitmap, seg.maskCodec);
      const onPage = mask(half, W, H, bitmap, localMaskCodec);
      for (const options of [
        { feather: 6, background: 'blur' },
        { crop: true, padding: 4, invert: true },
      ] as CutoutOptions[]) {
        const a = await decode(await viaWorker.toCutout(options));
        const b = await decode(await onPage.toCutout(options));
        expect([a.width, a.height]).to.deep.equal([b.width, b.height]);
        let diff = 0;
        for (let i = 0; i < a.data.length; i++) diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
        expect(diff, JSON.stringify(options)).to.be.at.most(1);
      }
      const timed = await viaWorker.cutout({ feather: 4 });
      expect(timed.timings.pixels).to.be.above(0);
      expect(new Uint8Array(await (await viaWorker.toBlob()).arrayBuffer())).to.deep.equal(
        new Uint8Array(await (await onPage.toBlob()).arrayBuffer()),
      );
      expect(bitmap.width, 'the mask keeps its source').to.equal(W);
      bitmap.close();
    });

    it('falls back to the page once the segmenter is disposed', async () => {
      const other = createSegmenter({
        device: backend,
        wasmPaths: '/node_modules/onnxruntime-web/dist/',
        workerUrl: new URL('/src/workers/sam2.worker.ts', location.href),
      });
      const m = mask(half, W, H, scene.canvas, other.maskCodec);
      other.dispose();
      expect((await decode(await m.toCutout())).width).to.equal(W);
    });
  });
});
