// The load config the page sends to the worker: plain data, so the client can re-send it to a restarted worker.
import type { StorageFault } from './cache.js';
import type { DeviceOption } from './types.js';

/** What the worker needs to load a model; plain data so it can be re-sent to a restarted worker. */
export interface EngineConfig {
  /** Manifest URL (canonical bundle) or repository base URL (onnx-community layout), absolute. */
  model: string;
  device: DeviceOption;
  /** onnx-community dtype: a file suffix ('', '_fp16', '_quantized', ...) or its name ('fp32', 'fp16', 'q8', ...). */
  dtype?: string;
  /** URL prefix of onnxruntime-web's runtime files. */
  wasmPaths?: string;
  /**
   * Where a manifest's files are, by the name the manifest gives them, when a host bundler has moved and renamed them
   * (the bundled twin); the others resolve against the manifest URL.
   */
  files?: Record<string, string>;
  /** Keep downloads (model files and ORT's .wasm) in IndexedDB; default true. */
  cache?: boolean;
  /** Test hook: simulate a storage failure. */
  storageFault?: StorageFault;
}
