// Model presets: the twin bundle that ships in the package (the offline default) and the real SAM 2.1 sizes in their
// public onnx-community repositories (sam2-reference.md §4.1). `resolveModel` turns what a host passes as `model`
// (a preset name, a repository base URL or a manifest URL) into the absolute URL and dtype the worker loads.

import { getAssetLocations } from './assets.js';
import { Sam2Error } from '../shared/errors.js';
import type { ExportHint } from '../shared/engine-config.js';
import { VIDEO_PRESETS, isVideoPresetName } from './video-presets.js';

import type { PresetName } from '../shared/types.js';

export type { PresetName };
export { VIDEO_PRESETS, type VideoPreset, type VideoPresetName } from './video-presets.js';

/** One preset. */
export interface ModelPreset {
  /** Human-readable name. */
  label: string;
  /** `manifest`: a canonical bundle manifest; `repository`: an onnx-community repository base URL. */
  kind: 'manifest' | 'repository';
  /** Absolute URL. */
  url: string;
  /** dtypes known to be published (repository presets); others may exist, and a missing one fails with `model-fetch`. */
  dtypes: readonly string[];
  /** dtype used when the host names none. */
  defaultDtype?: string;
  /** Bytes image mode downloads, per dtype; null where not known. */
  bytes: Readonly<Record<string, number | null>>;
  /** Where the manifest's files are when a host bundler has renamed them (the bundled twin), by manifest name. */
  files?: Readonly<Record<string, string>>;
}

const hf = (size: string): string => `https://huggingface.co/onnx-community/sam2.1-hiera-${size}-ONNX/resolve/main/`;

// Byte sizes of the real repositories are not pinned here: we have not verified them, and the repositories (at
// `main`) can change. The repositories keep fp32/fp16 weights in `.onnx_data` external-data files, which the loader
// fetches beside each graph (external-data.ts).
function repository(label: string, size: string): ModelPreset {
  return {
    label,
    kind: 'repository',
    url: hf(size),
    dtypes: ['fp32', 'fp16'],
    defaultDtype: 'fp32',
    bytes: { fp32: null, fp16: null },
  };
}

/** The image-and-canonical presets; `twin` is the default. The video-export presets are in `VIDEO_PRESETS`. */
export const MODEL_PRESETS: Readonly<Record<'twin' | 'tiny' | 'small' | 'base-plus' | 'large', ModelPreset>> = {
  twin: {
    label: 'SAM 2 twin (bundled test model)',
    kind: 'manifest',
    // One literal URL per file, so that host bundlers (Vite, webpack, esbuild) emit every file, not only the
    // manifest, and the engine finds them under the names the bundler gave them.
    url: new URL('../../demo/models/sam2-twin/manifest.json', import.meta.url).href,
    files: {
      'image_encoder.onnx': new URL('../../demo/models/sam2-twin/image_encoder.onnx', import.meta.url).href,
      'mask_decoder.onnx': new URL('../../demo/models/sam2-twin/mask_decoder.onnx', import.meta.url).href,
      'memory_encoder.onnx': new URL('../../demo/models/sam2-twin/memory_encoder.onnx', import.meta.url).href,
      'memory_attention.onnx': new URL('../../demo/models/sam2-twin/memory_attention.onnx', import.meta.url).href,
      'constants.json': new URL('../../demo/models/sam2-twin/constants.json', import.meta.url).href,
    },
    dtypes: ['fp32'],
    // image_encoder.onnx + mask_decoder.onnx, from its manifest.
    bytes: { fp32: 2491 + 21232 },
  },
  tiny: repository('SAM 2.1 Hiera Tiny', 'tiny'),
  small: repository('SAM 2.1 Hiera Small', 'small'),
  'base-plus': repository('SAM 2.1 Hiera Base+', 'base-plus'),
  large: repository('SAM 2.1 Hiera Large', 'large'),
};

/** The preset used when no model is named. */
export const DEFAULT_PRESET: PresetName = 'twin';

/** True when `name` is a preset name. */
export function isPresetName(name: unknown): name is PresetName {
  return (
    typeof name === 'string' && (Object.prototype.hasOwnProperty.call(MODEL_PRESETS, name) || isVideoPresetName(name))
  );
}

/** What the worker loads. */
export interface ResolvedModel {
  /** Absolute manifest or repository URL. */
  url: string;
  /** dtype for repository layouts; undefined for manifests or when the host named none. */
  dtype?: string;
  /** The preset, when `model` named one. */
  preset?: PresetName;
  /** Renamed manifest files (the bundled twin, when not mirrored). */
  files?: Readonly<Record<string, string>>;
  /** A video-export preset's layout, file sizes/digests and sidecar (the worker then needs no probing). */
  videoExport?: ExportHint;
}

/**
 * Resolves `model` (a preset name, a repository base URL or a manifest URL; relative URLs against `base`, the
 * document by default) and `dtype` (a preset's default when omitted). A preset name resolves to its mirror from
 * `setAssetLocations({models})` when one is set, else to the preset's own URL.
 */
export function resolveModel(
  model?: string | URL,
  dtype?: string,
  base: string | URL | undefined = globalThis.location?.href,
): ResolvedModel {
  const name = model === undefined || model === '' ? DEFAULT_PRESET : model;
  if (isVideoPresetName(name)) {
    const p = VIDEO_PRESETS[name];
    const locations = getAssetLocations();
    const url = locations.models[name] ?? p.url;
    const hint: ExportHint = { ...p.hint };
    // A mirror of the repository keeps the preset's sizes and digests; a mirror of our sidecar replaces its URL.
    const sidecar = locations.sidecars[name] ?? p.hint.sidecar;
    if (sidecar !== undefined) hint.sidecar = sidecar;
    return { url, preset: name, videoExport: hint };
  }
  if (isPresetName(name)) {
    const p = MODEL_PRESETS[name as keyof typeof MODEL_PRESETS];
    const mirror = getAssetLocations().models[name];
    const d = dtype ?? p.defaultDtype;
    const out: ResolvedModel = { url: mirror ?? p.url, preset: name };
    if (d !== undefined) out.dtype = d;
    if (mirror === undefined && p.files) out.files = p.files;
    return out;
  }
  let url: string;
  try {
    url = new URL(String(name), base).href;
  } catch (e) {
    const names = [...Object.keys(MODEL_PRESETS), ...Object.keys(VIDEO_PRESETS)].join(', ');
    throw new Sam2Error(
      'model-fetch',
      `model ${JSON.stringify(String(name))} is neither a preset (${names}) nor a URL`,
      { cause: e },
    );
  }
  return dtype === undefined ? { url } : { url, dtype };
}
