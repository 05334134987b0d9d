// Smoke test for the browser test infrastructure itself: proves that each web-test-runner group
// really loads onnxruntime-web and runs a model on the backend it claims to target. If this fails,
// every other browser test result is suspect.
import { expect } from '@open-wc/testing';
import { testBackend } from './helpers/backend.js';
import { createSession, ort } from './helpers/ort.js';
import { addSelfModel } from './helpers/tiny-onnx.js';

// lib.dom in TypeScript 5.9 has no WebGPU types and @webgpu/types is not a dependency.
interface MinimalGpu {
  requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null>;
}

const backend = testBackend();

describe(`test infrastructure [${backend}]`, () => {
  it('knows its backend', () => {
    expect(['wasm', 'webgpu']).to.include(backend);
  });

  if (backend === 'webgpu') {
    it('has a WebGPU adapter', async () => {
      const gpu = (navigator as Navigator & { gpu?: MinimalGpu }).gpu;
      // Fail, never skip: a webgpu group without WebGPU would silently re-test wasm.
      expect(gpu, 'navigator.gpu (is --enable-unsafe-webgpu set and the page a secure context?)').to.exist;
      const adapter = await gpu!.requestAdapter();
      expect(adapter, 'navigator.gpu.requestAdapter()').to.not.equal(null);
    });
  }

  it(`runs Y = Add(X, X) on ${backend}`, async () => {
    const session = await createSession(addSelfModel([2]), backend, { outputsOnGpu: backend === 'webgpu' });
    try {
      expect(session.inputNames).to.deep.equal(['X']);
      expect(session.outputNames).to.deep.equal(['Y']);
      const x = new ort.Tensor('float32', Float32Array.from([1.5, -3]), [2]);
      const { Y } = await session.run({ X: x });
      expect(Y, 'output Y').to.exist;
      // A gpu-buffer output can only come from the WebGPU EP, so this proves the GPU did the work.
      expect(Y!.location).to.equal(backend === 'webgpu' ? 'gpu-buffer' : 'cpu');
      expect(Y!.dims).to.deep.equal([2]);
      const data = (await Y!.getData(true)) as Float32Array;
      expect(Array.from(data)).to.deep.equal([3, -6]);
    } finally {
      await session.release();
    }
  });
});
