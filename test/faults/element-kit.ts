// The element as the fault cases build it: created in script (not by fixture), on WASM, with the source worker.
import '../../src/components/sam2-segmenter.js';
import type { Sam2SegmenterElement } from '../../src/components/sam2-segmenter.js';

export const WASM_PATHS = '/node_modules/onnxruntime-web/dist/';
export const WORKER_URL = new URL('/src/workers/sam2.worker.ts', location.href).href;

/** A `<sam2-segmenter>` not yet in the document, on WASM, with `workerUrl` (default: the source worker). */
export function element(workerUrl = WORKER_URL): Sam2SegmenterElement {
  const el = document.createElement('sam2-segmenter') as Sam2SegmenterElement;
  el.device = 'wasm';
  el.wasmPaths = WASM_PATHS;
  el.workerUrl = workerUrl;
  return el;
}
