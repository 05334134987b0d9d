// Presets of the public SAM 2.1 / EdgeTAM video exports (shared/design/video-exports.md), pinned to the revisions
// the consumers of those exports load, with the byte sizes and sha256 digests the design note records (every
// download is checked against them), and the twins of each layout that ship in the package.

import type { ExportHint } from '../shared/engine-config.js';

import type { VideoPresetName } from '../shared/types.js';

export type { VideoPresetName };

/** One video-export preset. */
export interface VideoPreset {
  label: string;
  /** Repository base URL (pinned revision), ending in '/'. */
  url: string;
  /** Layout, file sizes/digests, and (EdgeTAM) the no-memory-embedding sidecar. */
  hint: ExportHint;
  /** Model input side. */
  imageSize: 512 | 1024;
  /** Precision of the weights (I/O is float32 in every layout). */
  precision: 'fp32' | 'fp16';
  license: string;
  /** What the preset is for. */
  purpose: string;
  /** Bytes image mode downloads (vision encoder + mask decoder); null where a size is not known. */
  imageBytes: number | null;
  /** Bytes of every file tracking downloads (graphs + constants.json); null where a size is not known. */
  totalBytes: number | null;
}

const hf = (repo: string, revision: string): string => `https://huggingface.co/${repo}/resolve/${revision}/`;
// Literal URLs, one per shipped folder or file: the build rewrites them to their place in dist/ (rollup.config.mjs).
const TWIN_A_URL = new URL('../../demo/models/sam2.1-video-twin-a/', import.meta.url).href;
const TWIN_B512_URL = new URL('../../demo/models/sam2.1-video-twin-b512/', import.meta.url).href;
const TWIN_C_URL = new URL('../../demo/models/edgetam-video-twin-c/', import.meta.url).href;
const TWIN_C_SIDECAR_URL = new URL('../../demo/models/sidecars/edgetam-video-twin-c.json', import.meta.url).href;
const EDGETAM_SIDECAR_URL = new URL('../../demo/models/sidecars/edgetam-video.json', import.meta.url).href;

type Files = Record<string, { bytes: number; sha256?: string }>;

function sizes(files: Files, image: readonly string[]): { imageBytes: number; totalBytes: number } {
  const sum = (paths: readonly string[]) => paths.reduce((a, p) => a + files[p]!.bytes, 0);
  return { imageBytes: sum(image), totalBytes: sum(Object.keys(files)) };
}

const FIVE_IMAGE = ['onnx/vision_encoder.onnx', 'onnx/mask_decoder.onnx'] as const;

/** diffusionstudio fp16 exports: sizes from the design note (no digests recorded there). */
function diffusionstudio(
  size: string,
  revision: string,
  S: 512 | 1024,
  b: readonly [number, number, number, number, number, number],
  purpose: string,
  label: string,
): VideoPreset {
  const files: Files = {
    'onnx/vision_encoder.onnx': { bytes: b[0] },
    'onnx/mask_decoder.onnx': { bytes: b[1] },
    'onnx/memory_encoder.onnx': { bytes: b[2] },
    'onnx/memory_attention.onnx': { bytes: b[3] },
    'onnx/pointer_tpos.onnx': { bytes: b[4] },
    'constants.json': { bytes: b[5] },
  };
  return {
    label,
    url: hf(`diffusionstudio/sam2.1-${size}-video-onnx-fp16`, revision),
    hint: { layout: 'fixed-bank', files, fp16: true },
    imageSize: S,
    precision: 'fp16',
    license: 'Apache-2.0',
    purpose,
    ...sizes(files, FIVE_IMAGE),
  };
}

const SQUARE_ZERO_FILES: Files = {
  'constants.json': { bytes: 9922, sha256: '172edc70e892aab0aef6caedf97b8e4091fbf6c5d26dac5fd9ea69d093d927d3' },
  'onnx/vision_encoder.onnx': {
    bytes: 134335567,
    sha256: 'aa7a8542942f042e235a993a1ab0ccf5f049918500577802a7f10ec1b39bb873',
  },
  'onnx/mask_decoder.onnx': {
    bytes: 17794355,
    sha256: '0461896de3db00936fe1643506f129d71cb6d5d2ae15754811756b7ea1b070c6',
  },
  'onnx/memory_encoder.onnx': {
    bytes: 5616496,
    sha256: '580d246c109de88838f600ba7c1c0d03d1fe267f7641b06f8c88c5f0dc5834cd',
  },
  'onnx/memory_attention.onnx': {
    bytes: 32259165,
    sha256: '791e648ce8f5ef91ad00ba06e83066ff261ae5a645f0b042b4f46a89fd054baf',
  },
  'onnx/pointer_tpos.onnx': {
    bytes: 67289,
    sha256: '7e71df1d75dba09bc18dd4ae745c2a2cceebdd14d84eadea2fe65d0205f101fc',
  },
};

/** EdgeTAM's graphs (constants.json's size is not recorded). */
const EDGETAM_FILES: Files = {
  'vision_encoder.onnx': {
    bytes: 19826101,
    sha256: '57fe1a2b3d500813fe4987c4209b856920f187ab0b7723d81586b607ea2cffc1',
  },
  'mask_decoder.onnx': { bytes: 17800677, sha256: 'ee24ee1cae6ecc71889912c1893e08b09f645bb63875108ccd180f7218a3647d' },
  'memory_attention.onnx': {
    bytes: 20914958,
    sha256: '6477d775639905945949508c08a2c652d01e5933c0eb00a02225ae5f6aa1602c',
  },
  'memory_encoder.onnx': { bytes: 6692568, sha256: '035b30f8fb1f7c99211ada6eb9d72f0819de819ef94310b14e8147dc97f120ec' },
};

const TWIN_NOTE =
  'bundled twin (colour-and-position segmenter with the exact tensor contract): tests and offline demos';

/** The video-export presets. */
export const VIDEO_PRESETS: Readonly<Record<VideoPresetName, VideoPreset>> = {
  'sam2.1-tiny-video': diffusionstudio(
    'tiny',
    '66673b5db39371b7dd7847f4d3bc0d4f4179b79e',
    512,
    [58385353, 8898805, 2807753, 13029470, 34228, 9781],
    'recommended default for tracking: smallest download (about 83 MB), 512 input',
    'SAM 2.1 Tiny video (fp16, 512)',
  ),
  'sam2.1-small-video': diffusionstudio(
    'small',
    '927ecec6e6ae2727d0af7720eefdb07f2efe4689',
    1024,
    [83679474, 8910345, 2807884, 16175204, 34228, 9820],
    'better masks than tiny at 1024 input',
    'SAM 2.1 Small video (fp16, 1024)',
  ),
  'sam2.1-base-plus-video': diffusionstudio(
    'base-plus',
    '386b83e09a774fe2782d86fd1b8cb5aaf718aa9d',
    1024,
    [155490079, 8910345, 2807648, 16169156, 34228, 9857],
    'higher quality, larger encoder',
    'SAM 2.1 Base+ video (fp16, 1024)',
  ),
  'sam2.1-large-video': diffusionstudio(
    'large',
    '98dbd222d9b3f75d15fe63a5c2a22b0b0029eea1',
    1024,
    [447430045, 8910364, 2807886, 16175204, 34228, 9752],
    'best quality; large download, desktop GPUs',
    'SAM 2.1 Large video (fp16, 1024)',
  ),
  'sam2.1-tiny-video-fp32': {
    label: 'SAM 2.1 Tiny video (fp32, 1024)',
    url: hf('square-zero-labs/sam2.1-tiny-video-onnx', '3b2984dd865f6e9d2cc6aed0be6a5a5c2eb352ce'),
    hint: { layout: 'fixed-bank', files: SQUARE_ZERO_FILES },
    imageSize: 1024,
    precision: 'fp32',
    license: 'Apache-2.0',
    purpose: 'full precision (WASM without fp16 kernels, parity checks against the PyTorch predictor)',
    ...sizes(SQUARE_ZERO_FILES, FIVE_IMAGE),
  },
  'edgetam-video': {
    label: 'EdgeTAM video (fp32, 1024)',
    url: hf('jax-image-tools/edgetam-video-onnx', '8ca3d3e4169938e65b552cdf14542fde25e8badb'),
    // The repository lacks the no-memory embedding; the sidecar ships as the file format only: its values must be
    // generated from the EdgeTAM checkpoint (README, "Video models"). Until then this preset fails with
    // model-contract saying so.
    hint: { layout: 'edgetam', files: EDGETAM_FILES, sidecar: EDGETAM_SIDECAR_URL },
    imageSize: 1024,
    precision: 'fp32',
    license: 'Apache-2.0',
    purpose: 'speed tier: a small encoder and 512-token memories; needs a no-memory-embedding sidecar with real values',
    imageBytes: EDGETAM_FILES['vision_encoder.onnx']!.bytes + EDGETAM_FILES['mask_decoder.onnx']!.bytes,
    totalBytes: null,
  },
  'sam2.1-video-twin-a': twin('SAM 2.1 video twin, layout A (fp32, 1024)', TWIN_A_URL, 'fixed-bank', 1024, 'fp32'),
  'sam2.1-video-twin-b512': twin(
    'SAM 2.1 video twin, layout B (fp16 inside, 512)',
    TWIN_B512_URL,
    'fixed-bank',
    512,
    'fp16',
  ),
  'edgetam-video-twin-c': twin('EdgeTAM video twin, layout C', TWIN_C_URL, 'edgetam', 1024, 'fp32'),
};

function twin(
  label: string,
  url: string,
  layout: ExportHint['layout'],
  S: 512 | 1024,
  precision: 'fp32' | 'fp16',
): VideoPreset {
  const hint: ExportHint = { layout, fp16: precision === 'fp16' };
  if (layout === 'edgetam') hint.sidecar = TWIN_C_SIDECAR_URL;
  return {
    label,
    url,
    hint,
    imageSize: S,
    precision,
    license: 'Apache-2.0',
    purpose: TWIN_NOTE,
    imageBytes: null,
    totalBytes: null,
  };
}

/** True when `name` names a video-export preset. */
export function isVideoPresetName(name: unknown): name is VideoPresetName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(VIDEO_PRESETS, name);
}
