// constants.json of a canonical four-graph bundle (sam2-reference.md §4.4): host-side scalars and the small
// tensors the video tracker needs (little-endian float32, base64, with their shape). Pure: no I/O except
// `loadConstants`, which only fetches the file.

import { Sam2Error } from '../../shared/errors.js';

/** One constant tensor, row-major. */
export interface ConstTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The parsed constants of a video bundle. */
export interface VideoConstants {
  readonly modelVersion: '2.0' | '2.1';
  readonly imageSize: number;
  readonly maskThreshold: number;
  /** −1024: every low-res logit of a frame where the object is absent (§2.5). */
  readonly noObjScore: number;
  /** 7: one conditioning row + 6 recent frames (§3.6). */
  readonly numMaskmem: number;
  /** 16: object pointers in memory attention (§3.6). */
  readonly maxObjPtrs: number;
  readonly memDim: number;
  readonly hiddenDim: number;
  /** −1 = all conditioning frames are attended to; otherwise a cap (select_closest_cond_frames). */
  readonly maxCondFramesInAttn: number;
  readonly stabilityDelta: number;
  readonly stabilityThresh: number;
  /** 8 px of the 256² map (§2.6). */
  readonly fillHoleArea: number;
  /** ±32 for previous logits fed back as a mask prompt (§2.2.6). */
  readonly maskPromptClamp: number;
  /** All tensors by name, as in the file. */
  readonly tensors: Readonly<Record<string, ConstTensor>>;
  /** `no_obj_ptr` [256]: the pointer of a frame where the object is absent. */
  readonly noObjPtr: Float32Array;
  /** `maskmem_tpos_enc` [7,64], row-major: row r at r·64. */
  readonly maskmemTposEnc: Float32Array;
  /** 2.1: `obj_ptr_tpos_proj` Linear 256→64 (weight [64,256], bias [64]); null for 2.0 (pointer PE is zeros). */
  readonly objPtrTposProj: { readonly weight: Float32Array; readonly bias: Float32Array } | null;
}

function bad(message: string): Sam2Error {
  return new Sam2Error('model-contract', `constants.json: ${message}`);
}

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Decodes one `{shape, dtype?, data}` entry (base64 little-endian float32). */
export function decodeTensor(name: string, entry: unknown): ConstTensor {
  if (entry === null || typeof entry !== 'object') throw bad(`tensor "${name}" is not an object`);
  const { shape, dtype, data } = entry as { shape?: unknown; dtype?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw bad(`tensor "${name}" has no valid shape`);
  }
  if (dtype !== undefined && dtype !== 'float32')
    throw bad(`tensor "${name}" has dtype ${String(dtype)}, expected float32`);
  if (typeof data !== 'string') throw bad(`tensor "${name}" has no base64 data`);
  let bytes: Uint8Array;
  try {
    bytes = base64Bytes(data);
  } catch {
    throw bad(`tensor "${name}" data is not valid base64`);
  }
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (bytes.length !== n * 4)
    throw bad(`tensor "${name}" has ${bytes.length} bytes, shape [${shape.join(',')}] needs ${n * 4}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return { shape: shape as number[], data: out };
}

function num(json: Record<string, unknown>, key: string, fallback?: number): number {
  const v = json[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw bad(`"${key}" must be a number, got ${JSON.stringify(v)}`);
}

function need(tensors: Record<string, ConstTensor>, name: string, shape: readonly number[]): Float32Array {
  const t = tensors[name];
  if (!t) throw bad(`missing tensor "${name}"`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw bad(`tensor "${name}" has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  return t.data;
}

/** Parses constants.json (already JSON-decoded). Missing optional scalars take the SAM 2 defaults of §1.1. */
export function parseConstants(json: unknown): VideoConstants {
  if (json === null || typeof json !== 'object') throw bad('not a JSON object');
  const j = json as Record<string, unknown>;
  const version = j['modelVersion'];
  if (version !== '2.0' && version !== '2.1')
    throw bad(`modelVersion must be "2.0" or "2.1", got ${JSON.stringify(version)}`);
  const raw = j['tensors'];
  if (raw === null || typeof raw !== 'object') throw bad('no "tensors" object');
  const tensors: Record<string, ConstTensor> = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) tensors[name] = decodeTensor(name, entry);

  const numMaskmem = num(j, 'numMaskmem', 7);
  const memDim = num(j, 'memDim', 64);
  const hiddenDim = num(j, 'hiddenDim', 256);
  const maskmemTposEnc = need(tensors, 'maskmem_tpos_enc', [numMaskmem, memDim]);
  const noObjPtr = need(tensors, 'no_obj_ptr', [hiddenDim]);
  // 2.0 has add_tpos_enc_to_obj_ptrs = false: the pointer PE is all zeros (§1.2).
  const objPtrTposProj =
    version === '2.1'
      ? {
          weight: need(tensors, 'obj_ptr_tpos_proj.weight', [memDim, hiddenDim]),
          bias: need(tensors, 'obj_ptr_tpos_proj.bias', [memDim]),
        }
      : null;
  return {
    modelVersion: version,
    imageSize: num(j, 'imageSize', 1024),
    maskThreshold: num(j, 'maskThreshold', 0),
    noObjScore: num(j, 'noObjScore', -1024),
    numMaskmem,
    maxObjPtrs: num(j, 'maxObjPtrs', 16),
    memDim,
    hiddenDim,
    maxCondFramesInAttn: num(j, 'maxCondFramesInAttn', -1),
    stabilityDelta: num(j, 'stabilityDelta', 0.05),
    stabilityThresh: num(j, 'stabilityThresh', 0.98),
    fillHoleArea: num(j, 'fillHoleArea', 8),
    maskPromptClamp: num(j, 'maskPromptClamp', 32),
    tensors,
    noObjPtr,
    maskmemTposEnc,
    objPtrTposProj,
  };
}

/** Fetches and parses a bundle's constants.json. */
export async function loadConstants(url: string): Promise<VideoConstants> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Sam2Error('model-fetch', `could not fetch constants.json (${url}): ${String(e)}`, { cause: e });
  }
  if (!res.ok) throw new Sam2Error('model-fetch', `could not fetch constants.json (${url}): HTTP ${res.status}`);
  return parseConstants(await res.json());
}
