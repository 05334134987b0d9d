// The load config the page sends to the worker: plain data, so the client can re-send it to a restarted worker.
import type { StorageFault } from './cache.js';
import type { DeviceOption } from './types.js';

/** The two public video-export layouts (shared/design/video-exports.md): A/B fixed bank, C EdgeTAM. */
export type ExportLayoutKind = 'fixed-bank' | 'edgetam';

/** What a preset knows about an export: its layout (no probing), its files' sizes and digests, the sidecar. */
export interface ExportHint {
  layout: ExportLayoutKind;
  /** URL of our no-memory-embedding sidecar (EdgeTAM exports without the constant). */
  sidecar?: string;
  /** The graphs compute in fp16 (layout B): WebGPU needs 'shader-f16'. */
  fp16?: boolean;
  /** Per file path (relative to the repository root): byte size and sha256 where known. */
  files?: Readonly<Record<string, { bytes: number; sha256?: string }>>;
}

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
  /** A public video export named by a preset: its layout, file sizes/digests and sidecar (no probing). */
  videoExport?: ExportHint;
}
