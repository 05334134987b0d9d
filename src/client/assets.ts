// Page-wide asset locations: where models, onnxruntime-web's runtime files and the worker script come from when an
// element or `createSegmenter` names none. Hosts that mirror assets (their own CDN, a self-hosted copy of the
// onnx-community repositories, an intranet without huggingface.co) set them once, before anything loads.
//
// Precedence, per asset: the element attribute / `createSegmenter` option, then these overrides, then the package
// default. The defaults are relative to the package's own files (dist/ puts the worker, ORT's .wasm/.mjs and the twin
// beside the bundle), so loading the package from a CDN URL with a version pins them to that version; the real-model
// presets default to their public onnx-community repositories (MODEL_PRESETS).

import type { PresetName } from '../shared/types.js';

/** Page-wide overrides of where assets come from; every field is optional and absent means the package default. */
export interface AssetLocations {
  /**
   * Mirror URLs per preset name: for `twin`, a canonical bundle's manifest URL; for `tiny`, `small`, `base-plus` and
   * `large`, an onnx-community repository base URL (the folder with `config.json` and `onnx/`). Relative URLs resolve
   * against the document.
   */
  models?: Partial<Record<PresetName, string | URL>>;
  /**
   * Mirror URLs of our no-memory-embedding sidecar files per EdgeTAM preset (`edgetam-video`): a JSON file
   * `{"format": "sam2-segmenter/no-memory-embedding@1", "no_memory_embedding": [256 numbers]}`.
   */
  sidecars?: Partial<Record<PresetName, string | URL>>;
  /** URL prefix (a folder, ending in `/`) of onnxruntime-web's `.wasm` and `.mjs` files. */
  wasmPaths?: string | URL;
  /** URL of the worker script (`sam2.worker.js` in dist/). Without `wasmPaths`, ORT's files are looked for beside it. */
  workerUrl?: string | URL;
}

/** The overrides in effect, as absolute URLs. */
export interface ResolvedAssetLocations {
  models: Partial<Record<PresetName, string>>;
  sidecars: Partial<Record<PresetName, string>>;
  wasmPaths?: string;
  workerUrl?: string;
}

let current: ResolvedAssetLocations = { models: {}, sidecars: {} };

function absolute(url: string | URL): string {
  return new URL(String(url), globalThis.location?.href).href;
}

/**
 * Sets page-wide asset locations, replacing any set before (`setAssetLocations({})` restores the package defaults).
 * Call it before elements load: segmenters already created keep the locations they started with.
 *
 * @example
 * setAssetLocations({
 *   models: { tiny: 'https://cdn.example.com/sam2.1-hiera-tiny-ONNX/' },
 *   wasmPaths: 'https://cdn.example.com/ort/1.30.0/',
 * });
 */
export function setAssetLocations(locations: AssetLocations): void {
  const next: ResolvedAssetLocations = { models: {}, sidecars: {} };
  for (const [name, url] of Object.entries(locations.models ?? {}) as [PresetName, string | URL | undefined][]) {
    if (url !== undefined && url !== '') next.models[name] = absolute(url);
  }
  for (const [name, url] of Object.entries(locations.sidecars ?? {}) as [PresetName, string | URL | undefined][]) {
    if (url !== undefined && url !== '') next.sidecars[name] = absolute(url);
  }
  if (locations.wasmPaths !== undefined && locations.wasmPaths !== '') next.wasmPaths = absolute(locations.wasmPaths);
  if (locations.workerUrl !== undefined && locations.workerUrl !== '') next.workerUrl = absolute(locations.workerUrl);
  current = next;
}

/** The page-wide asset locations in effect (absolute URLs; absent fields use the package defaults). */
export function getAssetLocations(): ResolvedAssetLocations {
  return { ...current, models: { ...current.models }, sidecars: { ...current.sidecars } };
}
