// onnxruntime-web sessions for one bundle on one backend. Runs in the worker.
//
// 'onnxruntime-web/webgpu' (ORT's native WebGPU EP, asyncify build) registers both the 'webgpu' and the 'wasm'
// backends. It is the smallest build with both: 26.8 MB of .wasm (6.58 MB gzip) and 118 KB of JS, against the JSEP
// build's 28.3 MB (6.62 MB gzip) and 413 KB; the JSPI build (16.8 MB) needs JSPI, which Safari lacks, and the
// wasm-only build (14.2 MB) has no WebGPU. Sessions are created with exactly one execution provider each: an EP list
// falls back only on unsupported ops, not on a model that fails to load, and ['webgpu', 'wasm'] breaks in
// Safari/Firefox workers (sam2-reference.md §5.6).

import * as ort from 'onnxruntime-web/webgpu';
import { Sam2Error } from '../shared/errors.js';
import type { DeviceOption } from '../shared/types.js';

/** A backend that actually runs a session. */
export type Backend = 'webgpu' | 'wasm';

/** How the runtime was configured. */
export interface RuntimeInfo {
  threads: number;
}

let configured: RuntimeInfo | null = null;

/** ORT's runtime binary and its emscripten glue, the files this build loads. */
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.asyncify.wasm';
const ORT_MJS_FILE = 'ort-wasm-simd-threaded.asyncify.mjs';

/** Absolute URLs of ORT's runtime files. */
export interface OrtFileUrls {
  wasm: string;
  mjs: string;
}

/**
 * Where ORT's runtime files are: under `prefix` (a host's `wasmPaths`) when given, else beside this module. The two
 * literal URLs are what host bundlers (Vite, webpack, esbuild) see: they emit the files and rewrite the URLs.
 * dist/ puts the files beside the worker; the dev server maps them to node_modules.
 */
export function ortFileUrls(prefix?: string): OrtFileUrls {
  if (prefix) return { wasm: new URL(ORT_WASM_FILE, prefix).href, mjs: new URL(ORT_MJS_FILE, prefix).href };
  return {
    wasm: new URL('./ort-wasm-simd-threaded.asyncify.wasm', import.meta.url).href,
    mjs: new URL('./ort-wasm-simd-threaded.asyncify.mjs', import.meta.url).href,
  };
}

/** Configures ORT's global settings once per worker; `wasmPaths` is the URL prefix of ORT's .wasm/.mjs files. */
export function configureRuntime(wasmPaths: string | undefined): RuntimeInfo {
  if (configured) return configured;
  // The object form names each file, so hashed names that a bundler gave them still resolve.
  ort.env.wasm.wasmPaths = ortFileUrls(wasmPaths);
  // Threads need SharedArrayBuffer, which only cross-origin-isolated pages have; asking without it makes ORT
  // warn and fall back silently (§5.7), so ask for one thread and report it.
  const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  ort.env.wasm.numThreads = threads;
  // ORT logs harmless CPU fallbacks at 'warning'; real failures still reject.
  ort.env.logLevel = 'error';
  configured = { threads };
  return configured;
}

/** True when this context can create a WebGPU adapter. */
export async function webgpuAvailable(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** True when this context's WebGPU adapter can run fp16 shaders ('shader-f16'). */
export async function webgpuHasF16(): Promise<boolean> {
  const gpu = (
    navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ features: ReadonlySet<string> } | null> } }
  ).gpu;
  try {
    return (await gpu?.requestAdapter())?.features.has('shader-f16') ?? false;
  } catch {
    return false;
  }
}

type Feeds = Record<string, ort.Tensor>;
type Outputs = ort.InferenceSession.OnnxValueMapType;

/**
 * Runs of every session in this worker, one after another: the last guard below the engine core's command queue (which
 * already runs one session command at a time). ORT-web rejects concurrent runs on one session, and its
 * WebGPU backend also rejects a run of one session while another session's run is in flight ("Session already
 * started"), as happens when the image engine encodes a frame while the video tracker runs its memory graphs.
 */
let runTail: Promise<unknown> = Promise.resolve();

/** An InferenceSession whose `run` calls never overlap with any other session's (see `runTail`). */
export class SerialSession {
  constructor(
    /** The graph's name in its bundle. */
    readonly name: string,
    /** The wrapped session. */
    readonly session: ort.InferenceSession,
  ) {}

  /** Inputs the graph declares. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Runs after every earlier run of any session has settled; `fetches` names the outputs wanted (default all). */
  run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs> {
    const result = runTail.then(() => (fetches ? this.session.run(feeds, [...fetches]) : this.session.run(feeds)));
    runTail = result.catch(() => undefined);
    return result;
  }

  /** Frees the session once pending runs are done. */
  async release(): Promise<void> {
    await runTail;
    await this.session.release();
  }
}

/** What one graph needs from the runtime. */
export interface GraphSpec {
  name: string;
  bytes: Uint8Array;
  /** Keep outputs on the GPU (WebGPU only): encoder features go straight to the decoder without a readback. */
  outputsOnDevice?: boolean;
  /** Weights stored outside the graph; each `path` is the location string the graph records for that file. */
  externalData?: readonly { path: string; data: Uint8Array }[];
}

async function createOn(backend: Backend, graphs: readonly GraphSpec[]): Promise<Record<string, SerialSession>> {
  const sessions: Record<string, SerialSession> = {};
  try {
    for (const g of graphs) {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [backend],
        graphOptimizationLevel: 'all',
      };
      if (backend === 'webgpu' && g.outputsOnDevice) options.preferredOutputLocation = 'gpu-buffer';
      if (g.externalData) options.externalData = [...g.externalData];
      sessions[g.name] = new SerialSession(g.name, await ort.InferenceSession.create(g.bytes, options));
    }
    return sessions;
  } catch (e) {
    await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
    throw e;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Turns a session-creation failure into a coded error: a missing backend, or a graph ORT cannot load. */
function creationError(backend: Backend, e: unknown): Sam2Error {
  const msg = describe(e);
  if (/no available backend|backend not found|failed to fetch|webgpu is not supported/i.test(msg)) {
    return new Sam2Error('backend-unavailable', `${backend} backend could not start: ${msg}`, { cause: e });
  }
  return new Sam2Error('model-contract', `onnxruntime could not load the model on ${backend}: ${msg}`, { cause: e });
}

/**
 * Creates one session per graph, all on the same backend. `auto` tries WebGPU (when an adapter exists) and, if any
 * graph fails there, starts over on WASM with fresh session creations.
 */
export async function createSessions(
  graphs: readonly GraphSpec[],
  device: DeviceOption,
): Promise<{ backend: Backend; sessions: Record<string, SerialSession> }> {
  if (device === 'webgpu' || device === 'auto') {
    const hasGpu = await webgpuAvailable();
    if (device === 'webgpu' && !hasGpu) {
      throw new Sam2Error('backend-unavailable', 'device "webgpu" was requested but no WebGPU adapter is available');
    }
    if (hasGpu) {
      try {
        return { backend: 'webgpu', sessions: await createOn('webgpu', graphs) };
      } catch (e) {
        if (device === 'webgpu') throw creationError('webgpu', e);
        console.warn(`sam2-segmenter: WebGPU session creation failed, using WASM: ${describe(e)}`);
      }
    }
  }
  try {
    return { backend: 'wasm', sessions: await createOn('wasm', graphs) };
  } catch (e) {
    throw creationError('wasm', e);
  }
}

export { ort };
