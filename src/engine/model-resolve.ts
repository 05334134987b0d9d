// Model resolution: which layout and contract a `model` URL names, read from its manifest or config files, and the
// list of files to download. Runs in the worker; loading them is model-load.ts.
//
// Two layouts:
//  - a manifest (URL ending in .json, or a data:/blob: URL): our canonical bundle (sam2-reference.md §4.4), with
//    per-graph url, bytes and sha256;
//  - a repository base URL in the onnx-community layout (§4.1): config.json, preprocessor_config.json and
//    onnx/<graph><dtype suffix>.onnx, with no sizes or digests to check, and weights possibly in external data files
//    beside each graph (onnx/<graph><suffix>.onnx_data[_N], see external-data.ts).

import { CONTRACTS, HF_SAM2_CONTRACT, VIDEO_4G_CONTRACT, type BundleContract } from './contracts.js';
import { Sam2Error } from '../shared/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD, SAM2_PREPROCESS, type PreprocessConfig } from './preprocess.js';
import { declaredExternalData } from './external-data.js';
import { cacheKey, type ModelCache } from '../shared/cache.js';
import { fetchJsonFile } from './model-store.js';
import type { DeviceOption } from '../shared/types.js';
import { resolveExport, type ExportHint, type ResolvedExport } from './layouts/resolve.js';

/** One file to download. */
export interface FileEntry {
  /** Graph name in the contract. */
  graph: string;
  url: string;
  /** Display name for progress. */
  file: string;
  bytes?: number;
  sha256?: string;
  key?: string;
  /** Set on an external data file of `graph`: the location string the graph records for it. */
  externalPath?: string;
}

export interface ResolvedBundle {
  kind: 'canonical' | 'hf' | 'export';
  contract: BundleContract;
  preprocess: PreprocessConfig;
  files: FileEntry[];
  /** Memory graphs and constants.json, resolved and fetched on the first track(); null for image-only bundles. */
  video: (() => FileEntry[]) | null;
  /** A public video export (layouts/resolve.ts): its adapter and tracker layout. */
  export?: ResolvedExport;
}

/** onnx-community dtype names and their file suffixes (transformers.js utils/dtypes.js). */
const DTYPE_SUFFIX: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

function dtypeSuffix(dtype: string | undefined): string {
  if (!dtype) return '';
  if (dtype.startsWith('_')) return dtype;
  const s = DTYPE_SUFFIX[dtype];
  if (s === undefined) {
    throw new Sam2Error('model-fetch', `unknown dtype "${dtype}"; use one of ${Object.keys(DTYPE_SUFFIX).join(', ')}`);
  }
  return s;
}

function isManifestUrl(url: URL): boolean {
  return url.protocol === 'data:' || url.protocol === 'blob:' || url.pathname.endsWith('.json');
}

/** Delivery of one load: where files come from, and the JSON files to cache once the whole bundle has loaded. */
export interface Delivery {
  cache: ModelCache;
  signal?: AbortSignal;
  /** Manifest/config files fetched from the network, cached only after the bundle loads, so a bundle that fails
   * integrity or contract checks leaves nothing behind that a later load would trust. */
  pendingJson: { key: string; bytes: Uint8Array; url: string; etag: string | null }[];
}

/** Fetches a JSON file through the cache, keyed by its URL (bundle identity), revalidated with the server (model-store). */
async function fetchJson(url: string, file: string, d: Delivery): Promise<Record<string, unknown>> {
  const key = cacheKey(url, file, 'json');
  const { json, store } = await fetchJsonFile(
    { url, file, key },
    { cache: d.cache, ...(d.signal ? { signal: d.signal } : {}) },
  );
  if (store) d.pendingJson.push({ key, url, ...store });
  return json;
}

/** Like fetchJson, but null when the server answers 404 (a file a layout may or may not have). */
async function fetchJsonOrNull(url: string, file: string, d: Delivery): Promise<Record<string, unknown> | null> {
  const key = cacheKey(url, file, 'json');
  let bytes = await d.cache.get(key);
  if (!bytes) {
    let res: Response;
    try {
      res = await fetch(url, d.signal ? { signal: d.signal } : {});
    } catch (e) {
      if (d.signal?.aborted) throw new Sam2Error('aborted', 'the load was aborted', { cause: e });
      throw new Sam2Error('model-fetch', `could not fetch ${file} (${url}): ${String(e)}`, { cause: e });
    }
    if (res.status === 404) return null;
    if (!res.ok) throw new Sam2Error('model-fetch', `could not fetch ${file} (${url}): HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
    d.pendingJson.push({ key, bytes, url, etag: res.headers.get('ETag') });
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (e) {
    throw new Sam2Error('model-fetch', `${file} (${url}) is not valid JSON`, { cause: e });
  }
}

/** Whether a file exists (HEAD, never a download); anything but 200 or 404 fails with model-fetch. */
async function fileExists(url: string, d: Delivery): Promise<boolean> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', ...(d.signal ? { signal: d.signal } : {}) });
  } catch (e) {
    throw new Sam2Error('model-fetch', `could not reach ${url}: ${String(e)}`, { cause: e });
  }
  if (res.status === 404) return false;
  if (!res.ok) throw new Sam2Error('model-fetch', `could not reach ${url}: HTTP ${res.status}`);
  return true;
}

/** A public video export at `root`, or null when the folder has no export constants.json (layouts/resolve.ts). */
async function resolveExportBundle(
  root: string,
  hint: ExportHint | undefined,
  d: Delivery,
): Promise<ResolvedBundle | null> {
  const io = {
    jsonOrNull: (url: string, file: string) => fetchJsonOrNull(url, file, d),
    exists: (url: string) => fileExists(url, d),
  };
  const exp = await resolveExport(root, hint, io, (file, version) => cacheKey(root, file, version));
  if (!exp) return null;
  return {
    kind: 'export',
    contract: exp.contract,
    preprocess: exp.preprocess,
    files: exp.imageFiles,
    video: () => exp.videoFiles,
    export: exp,
  };
}

interface ManifestGraph {
  url: string;
  bytes?: number;
  sha256?: string;
}

/** Graphs image mode needs from a canonical bundle; the memory graphs load with the video tracker. */
const CANONICAL_IMAGE_GRAPHS = ['image_encoder', 'mask_decoder'] as const;
const CANONICAL_VIDEO_GRAPHS = ['memory_encoder', 'memory_attention'] as const;

async function resolveManifest(
  url: URL,
  d: Delivery,
  moved: Readonly<Record<string, string>> = {},
): Promise<ResolvedBundle> {
  const manifest = await fetchJson(url.href, 'manifest.json', d);
  const contractId = manifest['contract'];
  const contract = typeof contractId === 'string' ? CONTRACTS[contractId] : undefined;
  if (contract !== VIDEO_4G_CONTRACT) {
    throw new Sam2Error(
      'model-contract',
      `manifest contract ${JSON.stringify(contractId)} is not supported (expected "${VIDEO_4G_CONTRACT.id}")`,
    );
  }
  const graphs = (manifest['graphs'] ?? {}) as Record<string, ManifestGraph | undefined>;
  const entry = (graph: string, g: ManifestGraph | undefined): FileEntry => {
    if (!g || typeof g.url !== 'string')
      throw new Sam2Error('model-contract', `manifest has no "${graph}" ${graph === 'constants' ? 'file' : 'graph'}`);
    const e: FileEntry = { graph, url: new URL(moved[g.url] ?? g.url, url).href, file: g.url };
    if (typeof g.bytes === 'number') e.bytes = g.bytes;
    if (typeof g.sha256 === 'string') e.sha256 = g.sha256.toLowerCase();
    // Keyed by the manifest URL (bundle identity), the file and its digest: a new version has a new key.
    const version = e.sha256 ? `sha256:${e.sha256}` : `v:${String(manifest['version'] ?? '')}:bytes:${e.bytes ?? '?'}`;
    e.key = cacheKey(url.href, g.url, version);
    return e;
  };
  const files = CANONICAL_IMAGE_GRAPHS.map((graph) => entry(graph, graphs[graph]));
  const caps = manifest['capabilities'];
  const canTrack = !Array.isArray(caps) || caps.includes('video');
  // Resolved only when tracking starts: an image host must not fail on the video half of a manifest.
  const video = canTrack
    ? (): FileEntry[] => {
        try {
          return [
            ...CANONICAL_VIDEO_GRAPHS.map((graph) => entry(graph, graphs[graph])),
            entry('constants', manifest['constants'] as ManifestGraph | undefined),
          ];
        } catch (e) {
          if (e instanceof Sam2Error) throw e;
          throw new Sam2Error('model-fetch', `the manifest's video files cannot be located: ${String(e)}`, {
            cause: e,
          });
        }
      }
    : null;
  return { kind: 'canonical', contract, preprocess: SAM2_PREPROCESS, files, video };
}

function triple(v: unknown, fallback: readonly [number, number, number]): readonly [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')
    ? (v as [number, number, number])
    : fallback;
}

/** Reads an onnx-community preprocessor_config.json: a height/width size stretches, a longest_edge size letterboxes. */
export function hfPreprocess(pre: Record<string, unknown>): PreprocessConfig {
  const size = (pre['size'] ?? {}) as Record<string, unknown>;
  const doNormalize = pre['do_normalize'] !== false;
  const mean = doNormalize ? triple(pre['image_mean'], IMAGENET_MEAN) : ([0, 0, 0] as const);
  const std = doNormalize ? triple(pre['image_std'], IMAGENET_STD) : ([1, 1, 1] as const);
  if (typeof size['longest_edge'] === 'number') {
    return { size: size['longest_edge'], mean, std, resize: 'longest-edge' };
  }
  const h = size['height'];
  const w = size['width'];
  if (typeof h === 'number' && h === w) return { size: h, mean, std, resize: 'stretch' };
  throw new Sam2Error('model-contract', `preprocessor_config.json size ${JSON.stringify(size)} is not supported`);
}

async function resolveRepository(
  base: URL,
  dtype: string | undefined,
  device: DeviceOption,
  d: Delivery,
  hint?: ExportHint,
): Promise<ResolvedBundle> {
  const root = base.href.endsWith('/') ? base.href : `${base.href}/`;
  if (hint) return (await resolveExportBundle(root, hint, d))!;
  // onnx-community image repositories have config.json; the public video exports have constants.json instead.
  const config = await fetchJsonOrNull(root + 'config.json', 'config.json', d);
  if (!config) {
    const exp = await resolveExportBundle(root, undefined, d);
    if (exp) return exp;
    throw new Sam2Error(
      'model-fetch',
      `${root} has neither config.json (onnx-community) nor constants.json (video exports): not a model folder, or not reachable (HTTP 404)`,
    );
  }
  const suffix = dtypeSuffix(dtype);
  const pre = await fetchJson(root + 'preprocessor_config.json', 'preprocessor_config.json', d);
  if (
    config['model_type'] !== 'sam2' &&
    config['model_type'] !== 'edgetam' &&
    config['model_type'] !== 'sam3_tracker'
  ) {
    throw new Sam2Error(
      'model-contract',
      `config.json model_type ${JSON.stringify(config['model_type'])} is not a SAM 2 model`,
    );
  }
  // No digests in this layout: the repository URL (which may name a revision) and the file name (which names the
  // dtype) are the identity. Declared external data files download in parallel with the graphs.
  const entry = (graph: string, file: string): FileEntry => ({
    graph,
    url: root + file,
    file,
    key: cacheKey(root, file, 'url'),
  });
  const files = Object.keys(HF_SAM2_CONTRACT.graphs).flatMap((graph): FileEntry[] => {
    const name = `${graph}${suffix}.onnx`;
    const data = declaredExternalData(config, graph, name, device === 'auto' ? undefined : device);
    return [
      entry(graph, `onnx/${name}`),
      ...data.map((path) => ({ ...entry(graph, `onnx/${path}`), externalPath: path })),
    ];
  });
  return { kind: 'hf', contract: HF_SAM2_CONTRACT, preprocess: hfPreprocess(pre), files, video: null };
}

/** Resolves `url` (absolute) into its layout, contract, preprocessing and files, reading its manifest or config. */
export function resolveBundle(
  url: URL,
  dtype: string | undefined,
  device: DeviceOption,
  d: Delivery,
  files?: Readonly<Record<string, string>>,
  hint?: ExportHint,
): Promise<ResolvedBundle> {
  return isManifestUrl(url) ? resolveManifest(url, d, files) : resolveRepository(url, dtype, device, d, hint);
}
