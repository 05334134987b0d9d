// Model loading: download a resolved bundle's files with byte progress through the cache, verify them, create the
// sessions and check each graph against its contract; the memory graphs load on the first tracker. Runs in the worker.

import { CanonicalAdapter, HfAdapter, type ModelAdapter } from './adapters.js';
import { checkGraph, type BundleContract } from './contracts.js';
import { Sam2Error } from '../shared/errors.js';
import {
  configureRuntime,
  createSessions,
  ort,
  ortFileUrls,
  ORT_WASM_FILE,
  webgpuHasF16,
  type GraphSpec,
  type SerialSession,
} from './runtime.js';
import { externalDataLocations } from './external-data.js';
import { ModelCache, cacheKey } from '../shared/cache.js';
import { fetchFile, fetchFiles, type ProgressCallback } from './model-store.js';
import type { DeviceOption, ReadyInfo } from '../shared/types.js';
import type { EngineConfig } from '../shared/engine-config.js';
import { parseConstants, type VideoConstants } from './tracker/constants.js';
import { canonicalLayout } from './layouts/canonical.js';
import type { ResolvedExport } from './layouts/resolve.js';
import type { TrackerLayout } from './layouts/layout.js';
import { resolveBundle, type Delivery, type FileEntry } from './model-resolve.js';

export type { EngineConfig };

/** Options of one load. */
export interface LoadOptions {
  /** Aborting stops the downloads and rejects with code `aborted`. */
  signal?: AbortSignal;
  /** Non-fatal problems, e.g. code `storage` when the cache is unavailable. */
  onWarning?: (warning: Sam2Error) => void;
}

export type { ProgressCallback };

/** Failures of a load that a fresh download may cure: the bytes, not the network or the host. */
const RECOVERABLE = new Set<string>(['model-contract', 'model-integrity']);

/** What the video tracker runs on: a bundle layout over its graphs (the image graphs shared with image mode). */
export interface VideoModel {
  layout: TrackerLayout;
  /** The sessions' backend: WebGPU frames are prepared on the GPU. */
  backend: 'webgpu' | 'wasm';
}

/** A loaded model: the adapter the image engine drives and what `ready` reports. */
export interface LoadedModel {
  adapter: ModelAdapter;
  info: ReadyInfo;
  /**
   * Loads the memory graphs and constants on first use (image-only hosts never download them); later calls share the
   * result, and a failed load is retried by the next call. Null when the bundle cannot track.
   */
  loadVideo: (() => Promise<VideoModel>) | null;
}

/** Resolves, downloads, verifies and opens a bundle, then checks every graph against its contract. */
export async function loadModel(
  config: EngineConfig,
  onProgress?: ProgressCallback,
  options: LoadOptions = {},
): Promise<LoadedModel> {
  const runtime = configureRuntime(config.wasmPaths);
  let url: URL;
  try {
    url = new URL(config.model);
  } catch (e) {
    throw new Sam2Error('model-fetch', `model ${JSON.stringify(config.model)} is not an absolute URL`, { cause: e });
  }
  const cacheOptions: ConstructorParameters<typeof ModelCache>[0] = { enabled: config.cache !== false };
  if (options.onWarning) cacheOptions.onWarning = options.onWarning;
  if (config.storageFault) cacheOptions.fault = config.storageFault;
  const cache = new ModelCache(cacheOptions);
  const delivery: Delivery = { cache, pendingJson: [] };
  if (options.signal) delivery.signal = options.signal;
  const fetchOptions = {
    cache,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  };

  // ORT's .wasm (tens of MB) comes through the same store, in parallel with the model. It is not reported as
  // progress: `model-progress` describes the model's files, and hosts size their bars by them.
  const wasm = loadWasmBinary(config.wasmPaths, { cache, ...(options.signal ? { signal: options.signal } : {}) });
  wasm.catch(() => undefined);
  const open = async () => {
    delivery.pendingJson = [];
    const bundle = await resolveBundle(url, config.dtype, config.device, delivery, config.files, config.videoExport);
    const bytes = await fetchFiles(bundle.files, fetchOptions);
    await wasm;

    const graphs = bundle.files.filter((f) => f.externalPath === undefined);
    const specs: GraphSpec[] = await Promise.all(
      graphs.map(async (f): Promise<GraphSpec> => {
        const model = bytes[bundle.files.indexOf(f)]!;
        const spec: GraphSpec = {
          name: f.graph,
          bytes: model,
          outputsOnDevice: outputsOnDevice(f.graph, bundle.kind === 'canonical'),
        };
        const externalData = await graphExternalData(f, model, bundle.files, bytes, fetchOptions);
        if (externalData.length > 0) spec.externalData = externalData;
        return spec;
      }),
    );
    const device = bundle.export?.fp16Inside ? await fp16Device(config.device) : config.device;
    const { backend, sessions } = await openGraphs(
      graphs,
      specs,
      device,
      bundle.contract,
      'model does not match',
      onProgress,
    );
    return { bundle, backend, sessions };
  };
  let opened: Awaited<ReturnType<typeof open>>;
  try {
    opened = await open();
  } catch (e) {
    // A file that was stored and now fails to load (a graph that onnxruntime rejects, a contract mismatch) may have
    // been damaged in transit once, on a layout without digests: forget what the cache served and fetch it again.
    const stale = [...cache.served].filter((k) => !k.includes(`|${ORT_WASM_FILE}|`));
    if (!(e instanceof Sam2Error) || !RECOVERABLE.has(e.code) || stale.length === 0) throw e;
    await Promise.all(stale.map((k) => cache.delete(k)));
    opened = await open();
  }
  const { bundle, backend, sessions } = opened;

  // The bundle loaded: its manifest/config can now be trusted on the next visit.
  for (const j of delivery.pendingJson) await cache.put(j.key, j.bytes, j.url, j.etag);

  const adapter = bundle.export
    ? bundle.export.adapter(sessions)
    : bundle.kind === 'canonical'
      ? new CanonicalAdapter(sessions, bundle.preprocess)
      : new HfAdapter(sessions, bundle.preprocess);
  const videoFiles = bundle.video;
  let video: Promise<VideoModel> | null = null;
  const loadVideo = videoFiles
    ? (): Promise<VideoModel> => {
        video ??= Promise.resolve().then(() =>
          loadVideoModel(
            videoFiles(),
            sessions,
            backend,
            bundle.contract,
            { cache, ...(onProgress ? { onProgress } : {}) },
            bundle.export,
          ),
        );
        video.catch(() => {
          video = null;
        });
        return video;
      }
    : null;
  return {
    adapter,
    info: {
      backend,
      threads: runtime.threads,
      contract: bundle.contract.id,
      capabilities: videoFiles
        ? bundle.contract.capabilities
        : bundle.contract.capabilities.filter((c) => c !== 'video'),
    },
    loadVideo,
  };
}

/**
 * fp16 graphs on WebGPU need 'shader-f16' (sam2-reference.md §5.2): without it `auto` runs them on WASM, and an
 * explicit `webgpu` fails with `backend-unavailable` rather than returning wrong masks.
 */
async function fp16Device(device: DeviceOption): Promise<DeviceOption> {
  if (device === 'wasm' || (await webgpuHasF16())) return device;
  if (device === 'webgpu') {
    throw new Sam2Error(
      'backend-unavailable',
      'this model computes in fp16 and the WebGPU adapter has no "shader-f16" feature: use device "auto" or "wasm"',
    );
  }
  return 'wasm';
}

/**
 * Outputs that stay on the GPU on WebGPU (WASM ignores this); every other output comes back to the CPU. Every bundle:
 * the encoder's features go straight to the decoder and the memory graphs, and the memory encoder's features (and
 * EdgeTAM's per-memory positions) stay for the bank, which packs them there (gpu-ops.ts). Memory attention's conditioned features go straight to the
 * decoder, and of the candidate masks only the selected one is copied back. The canonical bundle reads its IoU
 * scores through onnxruntime (which submits the run); the exports' mask decoder keeps the high-res mask that their
 * memory encoder takes. Names a graph lacks are ignored, so the exports' graphs share one list.
 */
function outputsOnDevice(graph: string, canonical: boolean): boolean | string[] {
  if (graph === 'image_encoder' || graph === 'vision_encoder') return true;
  if (canonical) {
    if (graph === 'memory_attention') return ['pix_feat_with_mem'];
    if (graph === 'mask_decoder') return ['low_res_masks', 'iou_scores'];
    if (graph === 'memory_encoder') return ['maskmem_features'];
    return false;
  }
  if (graph === 'memory_attention') return ['conditioned_feats', 'conditioned_features'];
  if (graph === 'mask_decoder') return ['high_res_mask', 'pred_masks'];
  if (graph === 'memory_encoder') return ['memory_tokens', 'memory_pos_enc'];
  return false;
}

/**
 * Creates the sessions with `compile` progress and checks every graph against its contract; a mismatch releases them
 * and rejects with `model-contract`, naming the graph and tensor.
 */
async function openGraphs(
  files: readonly FileEntry[],
  specs: readonly GraphSpec[],
  device: DeviceOption,
  contract: BundleContract,
  /** Start of the error message, e.g. "model does not match". */
  mismatch: string,
  onProgress: ProgressCallback | undefined,
): Promise<{ backend: 'webgpu' | 'wasm'; sessions: Record<string, SerialSession> }> {
  files.forEach((f) => onProgress?.({ phase: 'compile', file: f.file, loaded: 0, total: 1 }));
  const opened = await createSessions(specs, device);
  files.forEach((f) => onProgress?.({ phase: 'compile', file: f.file, loaded: 1, total: 1 }));
  const problems = files.flatMap((f) => {
    const s = opened.sessions[f.graph]!.session;
    return checkGraph(f.graph, contract.graphs[f.graph]!, { inputs: s.inputMetadata, outputs: s.outputMetadata });
  });
  if (problems.length > 0) {
    await Promise.allSettled(Object.values(opened.sessions).map((s) => s.release()));
    throw new Sam2Error('model-contract', `${mismatch} contract "${contract.id}": ${problems.join('; ')}`);
  }
  return opened;
}

/** Fetches the memory graphs and constants.json through the same store, opens them on the image graphs' backend. */
async function loadVideoModel(
  files: readonly FileEntry[],
  image: Readonly<Record<string, SerialSession>>,
  backend: 'webgpu' | 'wasm',
  contract: BundleContract,
  fetchOptions: { cache: ModelCache; onProgress?: ProgressCallback },
  exported?: ResolvedExport,
): Promise<VideoModel> {
  const bytes = await fetchFiles(files, fetchOptions);
  if (exported) {
    const specs: GraphSpec[] = files.map((f, i) => ({
      name: f.graph,
      bytes: bytes[i]!,
      outputsOnDevice: outputsOnDevice(f.graph, false),
    }));
    const { sessions } = await openGraphs(
      files,
      specs,
      backend,
      contract,
      'video graphs do not match',
      fetchOptions.onProgress,
    );
    return { layout: exported.layout(image, sessions), backend };
  }
  const graphFiles = files.filter((f) => f.graph !== 'constants');
  const constIndex = files.findIndex((f) => f.graph === 'constants');
  let constants: VideoConstants;
  try {
    constants = parseConstants(JSON.parse(new TextDecoder().decode(bytes[constIndex]!)));
  } catch (e) {
    if (e instanceof Sam2Error) throw e;
    throw new Sam2Error('model-contract', `constants.json is not valid JSON: ${String(e)}`, { cause: e });
  }
  const specs: GraphSpec[] = graphFiles.map((f) => ({
    name: f.graph,
    bytes: bytes[files.indexOf(f)]!,
    outputsOnDevice: outputsOnDevice(f.graph, true),
  }));
  const { sessions } = await openGraphs(
    graphFiles,
    specs,
    backend,
    contract,
    'video graphs do not match',
    fetchOptions.onProgress,
  );
  const graphs = {
    imageEncoder: image['image_encoder']!,
    maskDecoder: image['mask_decoder']!,
    memoryEncoder: sessions['memory_encoder']!,
    memoryAttention: sessions['memory_attention']!,
  };
  return { layout: canonicalLayout(graphs, constants), backend };
}

/**
 * The external data a graph needs, by the location strings it records: the declared files already downloaded, plus
 * any location the repository did not declare (fetched now, beside the graph, and cached the same way). A location
 * that cannot be fetched fails the load with `model-fetch` rather than leaving onnxruntime to fail obscurely.
 */
async function graphExternalData(
  graph: FileEntry,
  model: Uint8Array,
  files: readonly FileEntry[],
  bytes: readonly Uint8Array[],
  fetchOptions: Parameters<typeof fetchFiles>[1],
): Promise<{ path: string; data: Uint8Array }[]> {
  let locations: string[];
  try {
    locations = externalDataLocations(model);
  } catch (e) {
    throw new Sam2Error('model-contract', `${graph.file} is not a valid ONNX model: ${String(e)}`, { cause: e });
  }
  const have = new Map<string, Uint8Array>();
  files.forEach((f, i) => {
    if (f.graph === graph.graph && f.externalPath !== undefined) have.set(f.externalPath, bytes[i]!);
  });
  const missing = locations.filter((l) => !have.has(l));
  if (missing.length > 0) {
    const folder = graph.file.slice(0, graph.file.lastIndexOf('/') + 1);
    const root = graph.url.slice(0, graph.url.length - graph.file.length);
    const extra = missing.map((path): FileEntry => {
      const file = folder + path;
      return {
        graph: graph.graph,
        url: new URL(path, graph.url).href,
        file,
        key: cacheKey(root, file, 'url'),
        externalPath: path,
      };
    });
    const fetched = await fetchFiles(extra, fetchOptions);
    missing.forEach((path, i) => have.set(path, fetched[i]!));
  }
  return locations.map((path) => ({ path, data: have.get(path)! }));
}

export { ORT_WASM_FILE };

/**
 * Fetches ORT's .wasm through the model store and hands it to ORT as `env.wasm.wasmBinary`, so a cached load makes no
 * .wasm request. ORT still imports its .mjs glue from `wasmPaths` (small; the HTTP cache serves it). A failure other
 * than an abort leaves ORT to fetch the binary itself.
 */
/** ORT's .wasm download of this worker, shared by every load. */
let wasmDownload: { url: string; promise: Promise<void> } | null = null;

async function loadWasmBinary(
  wasmPaths: string | undefined,
  options: { cache: ModelCache; signal?: AbortSignal },
): Promise<void> {
  if (ort.env.wasm.wasmBinary) return;
  const url = ortFileUrls(wasmPaths).wasm;
  // One download per worker: a load that failed for another reason leaves it running, and a retry shares it.
  if (wasmDownload?.url !== url) {
    const promise = fetchFile(
      { url, file: ORT_WASM_FILE, key: cacheKey(url, ORT_WASM_FILE, `ort-web@${ort.env.versions.web}`) },
      options,
    ).then((bytes) => {
      ort.env.wasm.wasmBinary = bytes;
    });
    wasmDownload = { url, promise };
    promise.catch(() => {
      if (wasmDownload?.promise === promise) wasmDownload = null;
    });
  }
  try {
    await wasmDownload.promise;
  } catch (e) {
    if (e instanceof Sam2Error && e.code === 'aborted') throw e;
    console.warn(`sam2-segmenter: could not fetch ${url}, onnxruntime will fetch it: ${String(e)}`);
  }
}
