// What the video tracker needs from a bundle layout. The tracker (tracker/video-tracker.ts) owns SAM 2's rules: which
// frames condition which, temporal rows, pointers, gating decisions on the host, hole filling, eviction. A layout owns
// how its graphs are fed and read: tensor names, memory packing (packing.ts), and its decoder's semantics (selection
// and gating in the graph or on the host). One layout per contract: canonical "sam2-video-4g/1", the public exports
// A/B (fixed bank) and C (EdgeTAM, dynamic). See shared/design/video-exports.md.

import { Sam2Error } from '../../shared/errors.js';
import type { DecoderPoints } from '../math/prompts.js';
import type { PixelValues, PreprocessConfig } from '../preprocess.js';
import type { ort } from '../runtime.js';
import type { MemoryPlan, StoredMemory } from '../tracker/memory-bank.js';
import { readFloatSlice as readTensorSlice, readFloats as readTensorFloats } from '../tensors.js';

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = Readonly<Record<string, ort.Tensor>>;

/** Anything that runs a graph: an ort.InferenceSession, a SerialSession, or a test wrapper around one. */
export interface GraphRunner {
  /** `fetches`: the outputs wanted, where a graph has large ones the tracker never reads (default all). */
  run(feeds: Feeds, fetches?: readonly string[]): Promise<Outputs>;
}

/** The tracker's four steps, each timed and counted under its name (a layout may run more than one graph in one). */
export type TrackerStep = 'imageEncoder' | 'maskDecoder' | 'memoryEncoder' | 'memoryAttention';

/** The settings of SAM 2's rules that a bundle fixes (constants.json or the layout's own). */
export interface LayoutSettings {
  /** 7: one conditioning row + 6 recent frames. */
  numMaskmem: number;
  /** 16 object pointers. */
  maxObjPtrs: number;
  /** −1: every conditioning frame is attended to. */
  maxCondFramesInAttn: number;
  /** −1024: the logits of a frame where the object is absent. */
  noObjScore: number;
  /** 8 px of the 256² map. */
  fillHoleArea: number;
  /** ±32 for previous logits fed back as a mask prompt. */
  maskPromptClamp: number;
}

/** How a decode is conditioned. */
export type DecodeCondition =
  /** An initial conditioning frame: no memory (the frame's features + the no-memory embedding). */
  | { kind: 'initial' }
  /** A tracked frame or a correction: the memory-conditioned features returned by `attend`. */
  | { kind: 'memory'; features: ort.Tensor };

/** One decode, selected and gated (SAM 2 §2.4, §2.5), before hole filling. */
export interface LayoutDecoded {
  /** 256×256 logits of the selected mask, noObjScore everywhere when the object is absent. */
  gated: Float32Array;
  /** Gated object pointer [256]. */
  objPtr: Float32Array;
  /** Object score logit: > 0 means the object is there. */
  objectScore: number;
  /** Predicted IoU of the selected mask. */
  score: number;
  /** The layout's own high-resolution mask for the memory encoder of a tracked frame, when its decoder gives one. */
  memoryMask?: ort.Tensor;
}

/** One memory as stored: fp16 bits on the CPU, or float32 kept on the GPU (WebGPU, where the layout packs there). */
export interface LayoutMemory {
  tokens: StoredMemory;
  /** Per-memory positions, for layouts whose memory encoder returns them per frame (on the GPU where tokens are). */
  pos?: StoredMemory;
}

/** A bundle layout as the tracker drives it. */
export interface TrackerLayout {
  /** Contract id, e.g. "sam2-video-4g/1" or "sam2.1-video-fixed-bank". */
  readonly id: string;
  readonly settings: LayoutSettings;
  /** Frame preparation (input side, mean/std). */
  readonly preprocess: PreprocessConfig;
  /** The decoder accepts the previous logits as a mask prompt (corrections and refinements keep their mask). */
  readonly hasMaskInput: boolean;
  /** The no-object pointer, where the host gates pointers (tests); null where the decoder gates in-graph. */
  readonly noObjPtr: Float32Array | null;
  /** Encodes one frame; the outputs are cached by the tracker and passed back to the other steps. */
  encode(px: PixelValues): Promise<Outputs>;
  /** Memory-conditioned features of the current frame for one object (memory attention). */
  attend(frame: Outputs, plan: MemoryPlan, f: number): Promise<ort.Tensor>;
  /** Decodes, selects and gates. `points` are in 1024-space; `maskInput` only where `hasMaskInput`. */
  decode(
    frame: Outputs,
    cond: DecodeCondition,
    points: DecoderPoints,
    maskInput: Float32Array | null,
  ): Promise<LayoutDecoded>;
  /**
   * Memory-encodes a mask: `tracked` gives the decode of a tracked frame (sigmoid of the gated mask before hole
   * filling), `prompted` the stored hole-filled logits of a prompted frame (binarised).
   */
  memoryEncode(
    frame: Outputs,
    mask: { tracked: LayoutDecoded } | { prompted: Float32Array },
    score: number,
  ): Promise<LayoutMemory>;
}

/** Reads a float32 output on the CPU (downloading it from the GPU when needed). */
export async function readFloats(t: ort.Tensor | undefined, graph: string, name: string): Promise<Float32Array> {
  if (!t) throw new Sam2Error('model-contract', `${graph} has no output "${name}"`);
  // Counted as a readback when it comes from the GPU (tensors.ts).
  const data = await readTensorFloats(t);
  if (!data) throw new Sam2Error('model-contract', `${graph} output "${name}" is not float32`);
  return data;
}

/**
 * `length` floats of a float32 output from `offset` (in floats): on the GPU only that slice is read back (one
 * candidate mask of four); on the CPU a view without a copy.
 */
export async function readFloatSlice(
  t: ort.Tensor | undefined,
  graph: string,
  name: string,
  offset: number,
  length: number,
): Promise<Float32Array> {
  if (!t) throw new Sam2Error('model-contract', `${graph} has no output "${name}"`);
  const data = await readTensorSlice(t, offset, length);
  if (!data) throw new Sam2Error('model-contract', `${graph} output "${name}" is not float32`);
  return data;
}

/** Frees a GPU tensor; CPU tensors are left to the garbage collector. */
export function disposeTensor(t: ort.Tensor | undefined): void {
  if (t?.location === 'gpu-buffer') t.dispose();
}

/** [C, N] channel-major (NCHW without batch) → [N, C] token-major, and back. */
export function channelsToTokens(
  src: Float32Array,
  channels: number,
  tokens: number,
  out = new Float32Array(channels * tokens),
): Float32Array {
  for (let c = 0; c < channels; c++) {
    const o = c * tokens;
    for (let n = 0; n < tokens; n++) out[n * channels + c] = src[o + n]!;
  }
  return out;
}

export function tokensToChannels(
  src: Float32Array,
  channels: number,
  tokens: number,
  out = new Float32Array(channels * tokens),
): Float32Array {
  for (let n = 0; n < tokens; n++) {
    const o = n * channels;
    for (let c = 0; c < channels; c++) out[c * tokens + n] = src[o + c]!;
  }
  return out;
}
