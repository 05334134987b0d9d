// Recognises a public video export from its files (video-exports.md) and says what to download and how to drive
// it: layout A/B (constants.json with the temporal table, five graphs under onnx/, pointer_tpos among them) or C
// (constants.json, four graphs at the root). The constants are read up front (small): image mode needs the input
// side, mean/std and, for EdgeTAM, the no-memory embedding (constants.json or the preset's sidecar).

import { Sam2Error } from '../../shared/errors.js';
import type { DecodeOutput, ModelAdapter } from '../adapters.js';
import { Embedding } from '../adapters.js';
import { VIDEO_C_CONTRACT, fiveGraphContract, type BundleContract } from '../contracts.js';
import type { DecoderPoints } from '../math/prompts.js';
import type { PixelValues, PreprocessConfig } from '../preprocess.js';
import type { SerialSession } from '../runtime.js';
import { edgeTamLayout } from './edgetam.js';
import {
  isExportConstants,
  parseExportConstants,
  parseNoMemorySidecar,
  type ExportConstants,
} from './export-constants.js';
import { fixedBankLayout } from './fixed-bank.js';
import { disposeTensor, type GraphRunner, type TrackerLayout } from './layout.js';

export type { ExportHint, ExportLayoutKind } from '../../shared/engine-config.js';
import type { ExportHint, ExportLayoutKind } from '../../shared/engine-config.js';

/** How the resolver reaches the network and the cache (bundle.ts supplies it). */
export interface ExportIo {
  /** A JSON file through the model cache; null when the server answers 404. */
  jsonOrNull(url: string, file: string): Promise<Record<string, unknown> | null>;
  /** Whether a file exists, without downloading it. */
  exists(url: string): Promise<boolean>;
}

/** One file to download (the shape of bundle.ts's file entries). */
export interface ExportFile {
  graph: string;
  url: string;
  file: string;
  bytes?: number;
  sha256?: string;
  key?: string;
}

/** A recognised export. */
export interface ResolvedExport {
  kind: ExportLayoutKind;
  /** The graphs compute in fp16 inside (layout B): on WebGPU they need the 'shader-f16' feature. */
  fp16Inside: boolean;
  contract: BundleContract;
  preprocess: PreprocessConfig;
  /** vision_encoder and mask_decoder: image mode and the first half of tracking. */
  imageFiles: ExportFile[];
  /** The memory graphs, fetched on the first track(). */
  videoFiles: ExportFile[];
  adapter(sessions: Readonly<Record<string, SerialSession>>): ModelAdapter;
  layout(image: Readonly<Record<string, SerialSession>>, video: Readonly<Record<string, SerialSession>>): TrackerLayout;
}

const notLoaded = (graph: string): GraphRunner => ({
  run: () => Promise.reject(new Error(`${graph} is loaded with the video tracker`)),
});

/**
 * Recognises an export at `root` (ending in '/'). Without a hint it reads constants.json: null when there is none
 * (the caller tries other layouts); a constants.json that is not an export's, or an export whose graphs are in
 * neither place, fails with `model-contract`.
 */
export async function resolveExport(
  root: string,
  hint: ExportHint | undefined,
  io: ExportIo,
  key: (file: string, version: string) => string,
): Promise<ResolvedExport | null> {
  const json = await io.jsonOrNull(root + 'constants.json', 'constants.json');
  if (!json) {
    if (hint) throw new Sam2Error('model-fetch', `${root}constants.json was not found (HTTP 404)`);
    return null;
  }
  if (!isExportConstants(json)) {
    throw new Sam2Error(
      'model-contract',
      `${root} matches no known layout: constants.json has no "memory_temporal_positional_encoding" (SAM 2.1 / EdgeTAM video exports), and there is no config.json (onnx-community)`,
    );
  }
  const K = parseExportConstants(json);
  let kind = hint?.layout;
  if (!kind) {
    if (await io.exists(root + 'onnx/pointer_tpos.onnx')) kind = 'fixed-bank';
    else if (await io.exists(root + 'vision_encoder.onnx')) kind = 'edgetam';
    else {
      throw new Sam2Error(
        'model-contract',
        `${root} has a video export's constants.json but neither onnx/pointer_tpos.onnx (SAM 2.1 five-graph layout) nor vision_encoder.onnx at the root (EdgeTAM layout)`,
      );
    }
  }
  const file = (graph: string, path: string): ExportFile => {
    const e: ExportFile = { graph, url: root + path, file: path };
    const known = hint?.files?.[path];
    if (known) {
      e.bytes = known.bytes;
      if (known.sha256) e.sha256 = known.sha256;
    }
    e.key = key(path, e.sha256 ? `sha256:${e.sha256}` : 'url');
    return e;
  };
  // diffusionstudio's exporter (layout B, fp16 inside) writes `memory_frames`; layout A and EdgeTAM are fp32.
  const fp16Inside = hint?.fp16 ?? (kind === 'fixed-bank' && 'memory_frames' in json);
  return { ...(kind === 'fixed-bank' ? fixedBank(K, file) : await edgeTam(K, hint, io, file)), fp16Inside };
}

function fixedBank(
  K: ExportConstants,
  file: (graph: string, path: string) => ExportFile,
): Omit<ResolvedExport, 'fp16Inside'> {
  const S = K.imageSize ?? 1024;
  if (S !== 512 && S !== 1024)
    throw new Sam2Error('model-contract', `constants.json image_size ${S} is not supported (512 or 1024)`);
  const contract = fiveGraphContract(S);
  const at = (g: string) => file(g, `onnx/${g}.onnx`);
  const build = (run: (g: string) => GraphRunner): TrackerLayout =>
    fixedBankLayout(
      {
        visionEncoder: run('vision_encoder'),
        maskDecoder: run('mask_decoder'),
        memoryEncoder: run('memory_encoder'),
        memoryAttention: run('memory_attention'),
        pointerTpos: run('pointer_tpos'),
      },
      K,
      S,
      contract.id,
    );
  return {
    kind: 'fixed-bank',
    contract,
    preprocess: { size: S, mean: K.mean, std: K.std, resize: 'stretch' },
    imageFiles: [at('vision_encoder'), at('mask_decoder')],
    videoFiles: [at('memory_encoder'), at('memory_attention'), at('pointer_tpos')],
    adapter: (s) =>
      new ExportImageAdapter(
        contract,
        build((g) => s[g] ?? notLoaded(g)),
        s,
      ),
    layout: (image, video) => build((g) => image[g] ?? video[g]!),
  };
}

async function edgeTam(
  K: ExportConstants,
  hint: ExportHint | undefined,
  io: ExportIo,
  file: (graph: string, path: string) => ExportFile,
): Promise<Omit<ResolvedExport, 'fp16Inside'>> {
  let noMem = K.noMemoryEmbedding;
  if (!noMem && hint?.sidecar) {
    const side = await io.jsonOrNull(hint.sidecar, 'no-memory-embedding sidecar');
    if (!side)
      throw new Sam2Error('model-fetch', `the no-memory-embedding sidecar ${hint.sidecar} was not found (HTTP 404)`);
    if (side['no_memory_embedding'] === null) {
      throw new Sam2Error(
        'model-contract',
        `the no-memory-embedding sidecar ${hint.sidecar} has no values: generate them from the EdgeTAM checkpoint (no_mem_embed, 256 numbers) and point the preset's sidecar at that file (README, "Video models")`,
      );
    }
    noMem = parseNoMemorySidecar(side, hint.sidecar);
  }
  if (!noMem) {
    throw new Sam2Error(
      'model-contract',
      'EdgeTAM export: constants.json has no "no_memory_embedding" and no sidecar was given (use the edgetam-video preset, or host a sidecar file)',
    );
  }
  const embedding = noMem;
  const contract = VIDEO_C_CONTRACT;
  const at = (g: string) => file(g, `${g}.onnx`);
  const build = (run: (g: string) => GraphRunner): TrackerLayout =>
    edgeTamLayout(
      {
        visionEncoder: run('vision_encoder'),
        maskDecoder: run('mask_decoder'),
        memoryEncoder: run('memory_encoder'),
        memoryAttention: run('memory_attention'),
      },
      K,
      embedding,
      contract.id,
    );
  return {
    kind: 'edgetam',
    contract,
    preprocess: { size: 1024, mean: K.mean, std: K.std, resize: 'stretch' },
    imageFiles: [at('vision_encoder'), at('mask_decoder')],
    videoFiles: [at('memory_encoder'), at('memory_attention')],
    adapter: (s) =>
      new ExportImageAdapter(
        contract,
        build((g) => s[g] ?? notLoaded(g)),
        s,
      ),
    layout: (image, video) => build((g) => image[g] ?? video[g]!),
  };
}

/**
 * Image mode on an export: the layout's initial-frame decode (no memory). Its decoder returns one mask, selected in
 * the graph (A/B) or by IoU (C), and gated by the object score in the graph (A/B): an absent object's mask is empty.
 */
class ExportImageAdapter implements ModelAdapter {
  readonly hasMaskInput = false;
  readonly preprocess: PreprocessConfig;

  constructor(
    readonly contract: BundleContract,
    private readonly layout: TrackerLayout,
    private readonly sessions: Readonly<Record<string, SerialSession>>,
  ) {
    this.preprocess = layout.preprocess;
  }

  async encode(px: PixelValues): Promise<Embedding> {
    return new Embedding({ ...(await this.layout.encode(px)) });
  }

  async decode(emb: Embedding, points: DecoderPoints): Promise<DecodeOutput> {
    const d = await this.layout.decode(emb.tensors, { kind: 'initial' }, points, null);
    disposeTensor(d.memoryMask);
    return { masks: [d.gated], iou: [d.score], objectScore: d.objectScore, hasSingleMaskToken: false };
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}
