// Model bundles: resolve what a `model` URL names, download its graphs with byte progress, verify them, create the
// sessions and check each graph against its contract. Runs in the worker.
//
// Two layouts:
//  - a manifest (URL ending in .json, or a data:/blob: URL): our canonical bundle (sam2-reference.md §4.4), with
//    per-graph url, bytes and sha256;
//  - a repository base URL in the onnx-community layout (§4.1): config.json, preprocessor_config.json and
//    onnx/<graph><dtype suffix>.onnx, with no sizes or digests to check.

import { CanonicalAdapter, HfAdapter, type ModelAdapter } from './adapters.js';
import { CONTRACTS, HF_SAM2_CONTRACT, VIDEO_4G_CONTRACT, checkGraph, type BundleContract } from './contracts.js';
import { Sam2Error } from './errors.js';
import { IMAGENET_MEAN, IMAGENET_STD, SAM2_PREPROCESS, type PreprocessConfig } from './preprocess.js';
import { configureRuntime, createSessions, type GraphSpec } from './runtime.js';
import type { DeviceOption, ModelProgress, ReadyInfo } from './types.js';

/** What the worker needs to load a model; plain data so it can be re-sent to a restarted worker. */
export interface EngineConfig {
  /** Manifest URL (canonical bundle) or repository base URL (onnx-community layout), absolute. */
  model: string;
  device: DeviceOption;
  /** onnx-community dtype: a file suffix ('', '_fp16', '_quantized', ...) or its name ('fp32', 'fp16', 'q8', ...). */
  dtype?: string;
  /** URL prefix of onnxruntime-web's runtime files. */
  wasmPaths?: string;
}

/** Progress callback, one stable shape for every phase. */
export type ProgressCallback = (p: ModelProgress) => void;

/** One file to download. */
interface FileEntry {
  /** Graph name in the contract. */
  graph: string;
  url: string;
  /** Display name for progress. */
  file: string;
  bytes?: number;
  sha256?: string;
}

interface ResolvedBundle {
  kind: 'canonical' | 'hf';
  contract: BundleContract;
  preprocess: PreprocessConfig;
  files: FileEntry[];
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

async function fetchOk(url: string, file: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Sam2Error('model-fetch', `could not fetch ${file} (${url}): ${String(e)}`, { cause: e });
  }
  if (!res.ok) throw new Sam2Error('model-fetch', `could not fetch ${file} (${url}): HTTP ${res.status}`);
  return res;
}

async function fetchJson(url: string, file: string): Promise<Record<string, unknown>> {
  const res = await fetchOk(url, file);
  try {
    return (await res.json()) as Record<string, unknown>;
  } catch (e) {
    throw new Sam2Error('model-fetch', `${file} (${url}) is not valid JSON`, { cause: e });
  }
}

interface ManifestGraph {
  url: string;
  bytes?: number;
  sha256?: string;
}

/** Graphs image mode needs from a canonical bundle; the memory graphs load with the video tracker. */
const CANONICAL_IMAGE_GRAPHS = ['image_encoder', 'mask_decoder'] as const;

async function resolveManifest(url: URL): Promise<ResolvedBundle> {
  const manifest = await fetchJson(url.href, 'manifest.json');
  const contractId = manifest['contract'];
  const contract = typeof contractId === 'string' ? CONTRACTS[contractId] : undefined;
  if (contract !== VIDEO_4G_CONTRACT) {
    throw new Sam2Error('model-contract', `manifest contract ${JSON.stringify(contractId)} is not supported (expected "${VIDEO_4G_CONTRACT.id}")`);
  }
  const graphs = (manifest['graphs'] ?? {}) as Record<string, ManifestGraph | undefined>;
  const files = CANONICAL_IMAGE_GRAPHS.map((graph): FileEntry => {
    const g = graphs[graph];
    if (!g || typeof g.url !== 'string') throw new Sam2Error('model-contract', `manifest has no "${graph}" graph`);
    const entry: FileEntry = { graph, url: new URL(g.url, url).href, file: g.url };
    if (typeof g.bytes === 'number') entry.bytes = g.bytes;
    if (typeof g.sha256 === 'string') entry.sha256 = g.sha256.toLowerCase();
    return entry;
  });
  return { kind: 'canonical', contract, preprocess: SAM2_PREPROCESS, files };
}

function triple(v: unknown, fallback: readonly [number, number, number]): readonly [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? (v as [number, number, number]) : fallback;
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

async function resolveRepository(base: URL, dtype: string | undefined): Promise<ResolvedBundle> {
  const root = base.href.endsWith('/') ? base.href : `${base.href}/`;
  const suffix = dtypeSuffix(dtype);
  const [config, pre] = await Promise.all([
    fetchJson(root + 'config.json', 'config.json'),
    fetchJson(root + 'preprocessor_config.json', 'preprocessor_config.json'),
  ]);
  if (config['model_type'] !== 'sam2' && config['model_type'] !== 'edgetam' && config['model_type'] !== 'sam3_tracker') {
    throw new Sam2Error('model-contract', `config.json model_type ${JSON.stringify(config['model_type'])} is not a SAM 2 model`);
  }
  const files = Object.keys(HF_SAM2_CONTRACT.graphs).map((graph): FileEntry => {
    const file = `onnx/${graph}${suffix}.onnx`;
    return { graph, url: root + file, file };
  });
  return { kind: 'hf', contract: HF_SAM2_CONTRACT, preprocess: hfPreprocess(pre), files };
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  // crypto.subtle exists only in secure contexts; an http:// page can still load models, unverified.
  if (!globalThis.crypto?.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Downloads one file, streaming byte progress, and checks its size and digest when known. */
async function download(entry: FileEntry, onProgress?: ProgressCallback): Promise<Uint8Array> {
  const res = await fetchOk(entry.url, entry.file);
  // Content-Length counts encoded bytes when the server compresses; trust it only without Content-Encoding.
  const header = res.headers.get('content-encoding') ? null : res.headers.get('content-length');
  const total = entry.bytes ?? (header ? Number(header) : 0);
  const report = (loaded: number): void => onProgress?.({ phase: 'download', file: entry.file, loaded, total });
  let bytes: Uint8Array;
  try {
    if (!res.body) {
      bytes = new Uint8Array(await res.arrayBuffer());
    } else {
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      let lastReported = 0;
      report(0);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        // One message per percent at most: each callback is a postMessage to the main thread.
        if (total === 0 || loaded - lastReported >= total / 100) {
          report(loaded);
          lastReported = loaded;
        }
      }
      bytes = new Uint8Array(loaded);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.byteLength;
      }
    }
  } catch (e) {
    throw new Sam2Error('model-fetch', `download of ${entry.file} failed: ${String(e)}`, { cause: e });
  }
  report(bytes.byteLength);
  if (entry.bytes !== undefined && bytes.byteLength !== entry.bytes) {
    throw new Sam2Error('model-integrity', `${entry.file}: got ${bytes.byteLength} bytes, manifest says ${entry.bytes}`);
  }
  if (entry.sha256) {
    const digest = await sha256Hex(bytes);
    if (digest !== null && digest !== entry.sha256) {
      throw new Sam2Error('model-integrity', `${entry.file}: sha256 ${digest} does not match the manifest (${entry.sha256})`);
    }
  }
  return bytes;
}

/** A loaded model: the adapter the image engine drives and what `ready` reports. */
export interface LoadedModel {
  adapter: ModelAdapter;
  info: ReadyInfo;
}

/** Resolves, downloads, verifies and opens a bundle, then checks every graph against its contract. */
export async function loadModel(config: EngineConfig, onProgress?: ProgressCallback): Promise<LoadedModel> {
  const runtime = configureRuntime(config.wasmPaths);
  let url: URL;
  try {
    url = new URL(config.model);
  } catch (e) {
    throw new Sam2Error('model-fetch', `model ${JSON.stringify(config.model)} is not an absolute URL`, { cause: e });
  }
  const bundle = isManifestUrl(url) ? await resolveManifest(url) : await resolveRepository(url, config.dtype);
  const bytes = await Promise.all(bundle.files.map((f) => download(f, onProgress)));

  const specs: GraphSpec[] = bundle.files.map((f, i) => ({
    name: f.graph,
    bytes: bytes[i]!,
    // Encoder features stay on the GPU for the decoder; decoder outputs are read on the CPU anyway.
    outputsOnDevice: f.graph === 'image_encoder' || f.graph === 'vision_encoder',
  }));
  bundle.files.forEach((f) => onProgress?.({ phase: 'compile', file: f.file, loaded: 0, total: 1 }));
  const { backend, sessions } = await createSessions(specs, config.device);
  bundle.files.forEach((f) => onProgress?.({ phase: 'compile', file: f.file, loaded: 1, total: 1 }));

  const problems = bundle.files.flatMap((f) => {
    const s = sessions[f.graph]!.session;
    return checkGraph(f.graph, bundle.contract.graphs[f.graph]!, { inputs: s.inputMetadata, outputs: s.outputMetadata });
  });
  if (problems.length > 0) {
    await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
    throw new Sam2Error('model-contract', `model does not match contract "${bundle.contract.id}": ${problems.join('; ')}`);
  }

  const adapter =
    bundle.kind === 'canonical' ? new CanonicalAdapter(sessions, bundle.preprocess) : new HfAdapter(sessions, bundle.preprocess);
  return {
    adapter,
    info: { backend, threads: runtime.threads, contract: bundle.contract.id, capabilities: bundle.contract.capabilities },
  };
}
