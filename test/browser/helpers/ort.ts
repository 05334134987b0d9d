// One place that configures onnxruntime-web for the browser tests.
//
// Which build: the one the SDK's worker ships (src/engine/runtime.ts), 'onnxruntime-web/webgpu': ORT's native
// WebGPU EP (asyncify build, ort-wasm-simd-threaded.asyncify.wasm), which registers both the 'wasm' (cpu) and the
// 'webgpu' backends.
import * as ort from 'onnxruntime-web/webgpu';
import type { TestBackend } from './backend.js';

// The dev server serves the repo root, so ORT's runtime files are reachable under /node_modules.
// A string prefix makes ORT load both the .wasm and its emscripten glue (.mjs) from there instead of
// the glue embedded in the bundle, i.e. the same way the SDK's worker loads them; serving that glue
// through the dev server needs tools/ort-dev-server-plugin.mjs. A wrong path fails with a clear 404.
ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
// Multi-threaded wasm needs SharedArrayBuffer, which only exists on cross-origin-isolated pages;
// asking for threads without it makes ORT warn and fall back, so say what we mean.
ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
// Keep test logs readable; ORT is chatty at 'warning' about harmless CPU fallbacks.
ort.env.logLevel = 'error';

export { ort };

export interface CreateSessionOptions {
  /** Keep outputs on the GPU (webgpu only): lets a test prove the GPU EP produced them. */
  outputsOnGpu?: boolean;
}

/**
 * Creates an InferenceSession restricted to exactly one execution provider. Listing a single EP
 * matters: with a list like ['webgpu', 'wasm'] ORT silently falls back to wasm when WebGPU fails,
 * and the webgpu group would pass without ever touching the GPU.
 */
export async function createSession(
  model: Uint8Array | string | URL,
  backend: TestBackend,
  options: CreateSessionOptions = {},
): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    // 3 = error. At the default (warning) every webgpu session logs that shape ops were placed on
    // the CPU, which is expected and buries real failures in the test output.
    logSeverityLevel: 3,
  };
  if (options.outputsOnGpu) {
    if (backend !== 'webgpu') throw new Error('outputsOnGpu needs the webgpu backend');
    sessionOptions.preferredOutputLocation = 'gpu-buffer';
  }
  const create = (): Promise<ort.InferenceSession> =>
    model instanceof Uint8Array
      ? ort.InferenceSession.create(model, sessionOptions)
      : ort.InferenceSession.create(String(model), sessionOptions);
  // onnxruntime-web's WebGPU build refuses to create a WebGPU session while another is being created.
  const next = creating.then(create, create);
  creating = next.catch(() => undefined);
  return next;
}

let creating: Promise<unknown> = Promise.resolve();
