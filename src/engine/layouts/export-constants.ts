// constants.json of the public video exports (video-exports.md): plain JSON numbers, no base64. Layout A
// (square-zero-labs) and B (diffusionstudio) carry `memory_temporal_positional_encoding` [7][64], `image_mean`,
// `image_std`, and B also `image_size`, `memory_frames` (and `model` in some revisions); A's shape keys are not
// established (`image_size`, `num_maskmem`, `max_object_pointers` are read when present). Layout C (EdgeTAM) requires
// the temporal table, and `no_memory_embedding` [256] is optional and often absent: a preset then carries it as a
// sidecar file of ours (`NoMemoryEmbeddingSidecar`).

import { Sam2Error } from '../../shared/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../preprocess.js';

/** What the tracker needs from a public export's constants.json. */
export interface ExportConstants {
  /** Model input side S (512 or 1024); null when the file does not say (then the graphs do). */
  imageSize: number | null;
  /** Spatial memories (num_maskmem / memory_frames): 7. */
  numMaskmem: number;
  maxObjPtrs: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** [numMaskmem, 64], row-major. */
  tpos: Float32Array;
  /** [256], or null when the file lacks it. */
  noMemoryEmbedding: Float32Array | null;
}

const bad = (file: string, message: string): Sam2Error => new Sam2Error('model-contract', `${file}: ${message}`);

function flatNumbers(v: unknown): number[] | null {
  if (!Array.isArray(v)) return null;
  const out: number[] = [];
  const walk = (x: unknown): boolean => {
    if (typeof x === 'number' && Number.isFinite(x)) {
      out.push(x);
      return true;
    }
    return Array.isArray(x) && x.every(walk);
  };
  return walk(v) ? out : null;
}

function triple(v: unknown, fallback: readonly [number, number, number]): readonly [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')
    ? (v as [number, number, number])
    : fallback;
}

function int(
  j: Record<string, unknown>,
  keys: readonly string[],
  fallback: number | null,
  file: string,
): number | null {
  for (const k of keys) {
    const v = j[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw bad(file, `"${k}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }
  return fallback;
}

/** True when a JSON object looks like a public video export's constants.json. */
export function isExportConstants(json: unknown): boolean {
  return json !== null && typeof json === 'object' && 'memory_temporal_positional_encoding' in (json as object);
}

/** Parses a public export's constants.json; a missing or malformed required key fails with `model-contract`. */
export function parseExportConstants(json: unknown, file = 'constants.json'): ExportConstants {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad(file, 'not a JSON object');
  const j = json as Record<string, unknown>;
  const numMaskmem = int(j, ['num_maskmem', 'memory_frames'], 7, file)!;
  const tpos = flatNumbers(j['memory_temporal_positional_encoding']);
  if (!tpos) throw bad(file, 'no "memory_temporal_positional_encoding" table');
  if (tpos.length !== numMaskmem * 64) {
    throw bad(file, `"memory_temporal_positional_encoding" has ${tpos.length} values, expected ${numMaskmem}×64`);
  }
  const imageSize = int(j, ['image_size'], null, file);
  if (imageSize !== null && imageSize % 16 !== 0) throw bad(file, `"image_size" ${imageSize} is not a multiple of 16`);
  let noMem: Float32Array | null = null;
  if (j['no_memory_embedding'] !== undefined) {
    const v = flatNumbers(j['no_memory_embedding']);
    if (!v || v.length !== 256) throw bad(file, '"no_memory_embedding" must hold 256 numbers');
    noMem = Float32Array.from(v);
  }
  return {
    imageSize,
    numMaskmem,
    maxObjPtrs: int(j, ['max_object_pointers', 'max_obj_ptrs'], 16, file)!,
    mean: triple(j['image_mean'], IMAGENET_MEAN),
    std: triple(j['image_std'], IMAGENET_STD),
    tpos: Float32Array.from(tpos),
    noMemoryEmbedding: noMem,
  };
}

/**
 * Our sidecar for exports that lack the no-memory embedding: `{"format": "sam2-segmenter/no-memory-embedding@1",
 * "model": "<repository@revision it belongs to>", "no_memory_embedding": [256 numbers]}`.
 */
export const SIDECAR_FORMAT = 'sam2-segmenter/no-memory-embedding@1';

/** Reads a no-memory-embedding sidecar; a wrong format or length fails with `model-contract`. */
export function parseNoMemorySidecar(json: unknown, file: string): Float32Array {
  const j = (json ?? {}) as Record<string, unknown>;
  if (j['format'] !== SIDECAR_FORMAT)
    throw bad(file, `format must be "${SIDECAR_FORMAT}", got ${JSON.stringify(j['format'])}`);
  const v = flatNumbers(j['no_memory_embedding']);
  if (!v || v.length !== 256) throw bad(file, '"no_memory_embedding" must hold 256 numbers');
  return Float32Array.from(v);
}
