// The bench's raw baseline, in a worker of its own as the element's engine is: the twin's encoder and decoder run
// with plain onnxruntime-web sessions (WASM, one thread), nothing of the SDK around them. The page asks for one raw
// decoder run before each click, so both are timed under the same load without the baseline's garbage and timers
// landing on the page's thread, which the click figures watch.
import * as ort from 'onnxruntime-web';

type Request =
  { kind: 'init'; wasmPaths: string; base: string; pixels: Float32Array; runs: number } | { kind: 'decode'; i: number };

let dec: ort.InferenceSession | null = null;
let feats: ort.InferenceSession.OnnxValueMapType = {};

async function handle(m: Request): Promise<number[]> {
  if (m.kind === 'init') {
    ort.env.wasm.wasmPaths = m.wasmPaths;
    ort.env.wasm.numThreads = 1;
    const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'] };
    const enc = await ort.InferenceSession.create(m.base + 'image_encoder.onnx', opts);
    dec = await ort.InferenceSession.create(m.base + 'mask_decoder.onnx', opts);
    const input = new ort.Tensor('float32', m.pixels, [1, 3, 1024, 1024]);
    const times: number[] = [];
    for (let i = 0; i < m.runs; i++) {
      const t = performance.now();
      feats = await enc.run({ pixel_values: input });
      times.push(performance.now() - t);
    }
    await enc.release();
    return times;
  }
  const i = m.i;
  const t = performance.now();
  await dec!.run({
    image_embed: feats['image_embed']!,
    high_res_feats_0: feats['high_res_feats_0']!,
    high_res_feats_1: feats['high_res_feats_1']!,
    point_coords: new ort.Tensor('float32', Float32Array.of(i % 2 ? 281.6 : 755.2, i % 2 ? 341.3 : 699.7), [1, 1, 2]),
    point_labels: new ort.Tensor('int32', Int32Array.of(1), [1, 1]),
    mask_input: new ort.Tensor('float32', new Float32Array(65536), [1, 1, 256, 256]),
    has_mask_input: new ort.Tensor('float32', Float32Array.of(0), [1]),
  });
  return [performance.now() - t];
}

self.onmessage = (e: MessageEvent<Request>) => {
  handle(e.data).then(
    (times) => self.postMessage({ times }),
    (err: unknown) => self.postMessage({ error: String(err) }),
  );
};
