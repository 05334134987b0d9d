// `npm run twins` writes both twin bundles; `npm run twins -- --check` verifies the committed files are
// byte-identical to what the generator produces (used by the tests).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as twin from './twin-graphs.js';
import * as exp from './export-twins.js';
import { SIDECAR_FORMAT } from '../../src/engine/layouts/export-constants.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HF_DIR = 'demo/models/sam2-twin-hf';
/**
 * The onnx-community twin also comes in a variant with its weights in external data files, as the real fp32/fp16
 * repositories ship them: dtype suffix `_ext` (not a precision: the same fp32 weights, moved out of the graphs), the
 * vision encoder with one `.onnx_data` file and the decoder with two (`.onnx_data`, `.onnx_data_1`), declared in
 * config.json under `transformers.js_config.use_external_data_format` the way transformers.js reads it.
 */
export const HF_EXTERNAL_SUFFIX = '_ext';
const VIDEO_DIR = 'demo/models/sam2-twin';
/** Twins of the public video exports (shared/design/video-exports.md), one folder per layout. */
export const TWIN_A_DIR = 'demo/models/sam2.1-video-twin-a';
export const TWIN_B512_DIR = 'demo/models/sam2.1-video-twin-b512';
export const TWIN_C_DIR = 'demo/models/edgetam-video-twin-c';
/** No-memory-embedding sidecars (our file format) for EdgeTAM exports that lack the constant. */
export const SIDECAR_DIR = 'demo/models/sidecars';

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function base64F32(data: Float32Array): string {
  const bytes = new Uint8Array(data.length * 4);
  const dv = new DataView(bytes.buffer);
  data.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return Buffer.from(bytes).toString('base64');
}

/** Every file of both bundles, path relative to the repository root -> bytes. */
export function buildTwinFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();

  // onnx-community repository layout (e.g. onnx-community/sam2.1-hiera-tiny-ONNX), same keys and meaning.
  files.set(
    `${HF_DIR}/config.json`,
    json({
      architectures: ['Sam2Model'],
      model_type: 'sam2',
      initializer_range: 0.02,
      vision_config: {
        model_type: 'sam2_vision_model',
        num_feature_levels: 3,
        backbone_feature_sizes: [
          [256, 256],
          [128, 128],
          [64, 64],
        ],
        fpn_hidden_size: 256,
        fpn_kernel_size: 1,
        fpn_stride: 1,
        fpn_padding: 0,
        fpn_top_down_levels: [2, 3],
      },
      prompt_encoder_config: {
        model_type: '',
        hidden_size: 256,
        image_size: 1024,
        patch_size: 16,
        mask_input_channels: 16,
        num_point_embeddings: 4,
      },
      mask_decoder_config: {
        model_type: '',
        hidden_size: 256,
        num_multimask_outputs: 3,
        iou_head_depth: 3,
        iou_head_hidden_dim: 256,
        dynamic_multimask_via_stability: true,
        dynamic_multimask_stability_delta: 0.05,
        dynamic_multimask_stability_thresh: 0.98,
      },
      torch_dtype: 'float32',
      transformers_version: '4.56.0',
      'transformers.js_config': {
        use_external_data_format: {
          [`vision_encoder${HF_EXTERNAL_SUFFIX}.onnx`]: true,
          [`prompt_encoder_mask_decoder${HF_EXTERNAL_SUFFIX}.onnx`]: 2,
        },
      },
    }),
  );
  files.set(
    `${HF_DIR}/preprocessor_config.json`,
    json({
      crop_size: null,
      data_format: 'channels_first',
      default_to_square: true,
      do_convert_rgb: true,
      do_normalize: true,
      do_pad: false,
      do_rescale: true,
      do_resize: true,
      image_mean: [0.485, 0.456, 0.406],
      image_processor_type: 'Sam2ImageProcessorFast',
      image_std: [0.229, 0.224, 0.225],
      mask_size: { height: 256, width: 256 },
      processor_class: 'Sam2Processor',
      resample: 2,
      rescale_factor: 0.00392156862745098,
      size: { height: 1024, width: 1024 },
    }),
  );
  files.set(`${HF_DIR}/onnx/vision_encoder.onnx`, twin.hfVisionEncoder());
  files.set(`${HF_DIR}/onnx/prompt_encoder_mask_decoder.onnx`, twin.hfPromptEncoderMaskDecoder());
  // Locations are bare file names, relative to the graph's folder: what the onnx exporter writes, and the `path`
  // the loader gives onnxruntime-web for each data file.
  const external = [
    ['vision_encoder', twin.hfVisionEncoderExternal, 1],
    ['prompt_encoder_mask_decoder', twin.hfPromptEncoderMaskDecoderExternal, 2],
  ] as const;
  for (const [graph, build, chunks] of external) {
    const base = `${graph}${HF_EXTERNAL_SUFFIX}.onnx`;
    const names = Array.from({ length: chunks }, (_, i) => `${base}_data${i === 0 ? '' : `_${i}`}`);
    const { model, data } = build({ files: names, minBytes: 64, align: 64 });
    files.set(`${HF_DIR}/onnx/${base}`, model);
    for (const [name, bytes] of data) files.set(`${HF_DIR}/onnx/${name}`, bytes);
  }
  files.set(
    `${HF_DIR}/README.md`,
    new TextEncoder().encode(
      '# sam2-twin-hf\n\nA **twin** of an onnx-community SAM 2.1 repository, generated by `npm run twins`: the same\n' +
        'files, tensor names, dtypes and shapes, but a colour-and-position segmenter instead of SAM 2. For tests and\n' +
        'offline demos only. See the project README, section "Models".\n',
    ),
  );

  // Canonical four-graph bundle.
  const graphs: Record<string, Uint8Array> = {
    image_encoder: twin.imageEncoder(),
    mask_decoder: twin.maskDecoder(),
    memory_encoder: twin.memoryEncoder(),
    memory_attention: twin.memoryAttention(),
  };
  const tensors = twin.twinConstantTensors();
  const constants = json({
    modelVersion: '2.1',
    imageSize: 1024,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    maskThreshold: 0,
    noObjScore: -1024,
    numMaskmem: 7,
    maxObjPtrs: 16,
    memDim: 64,
    hiddenDim: 256,
    maxCondFramesInAttn: -1,
    sigmoidScaleForMemEnc: 20,
    sigmoidBiasForMemEnc: -10,
    multimaskMinPts: 0,
    multimaskMaxPts: 1,
    stabilityDelta: 0.05,
    stabilityThresh: 0.98,
    fillHoleArea: 8,
    maskPromptClamp: 32,
    tensors: Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, dtype: 'float32', data: base64F32(t.data) }]),
    ),
  });
  const graphEntries: Record<string, { url: string; bytes: number; sha256: string; dtype: string }> = {};
  for (const [name, bytes] of Object.entries(graphs)) {
    files.set(`${VIDEO_DIR}/${name}.onnx`, bytes);
    graphEntries[name] = { url: `${name}.onnx`, bytes: bytes.length, sha256: sha256(bytes), dtype: 'fp32' };
  }
  files.set(`${VIDEO_DIR}/constants.json`, constants);
  files.set(
    `${VIDEO_DIR}/manifest.json`,
    json({
      name: 'sam2-twin',
      contract: 'sam2-video-4g/1',
      modelVersion: '2.1',
      size: 'twin',
      twin: true,
      version: '1',
      description: 'Twin bundle: SAM 2 tensor contracts, colour-and-position behaviour. For tests and offline demos.',
      capabilities: ['image', 'video'],
      maxMemorySlots: 7,
      graphs: graphEntries,
      constants: { url: 'constants.json', bytes: constants.length, sha256: sha256(constants) },
    }),
  );
  buildExportTwins(files);
  return files;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const twinReadme = (name: string, what: string): Uint8Array =>
  text(
    `# ${name}\n\nA **twin** of ${what}, generated by \`npm run twins\`: the same file names, tensor names, dtypes and fixed\n` +
      'shapes, but a colour-and-position segmenter instead of SAM 2 inside. For tests and offline demos only. See the\n' +
      'project README, section "Models", and shared/design/video-exports.md.\n',
  );

/** The three layout twins and the sidecars. */
function buildExportTwins(files: Map<string, Uint8Array>): void {
  const five = (dir: string, S: number, fp16: boolean) => {
    files.set(`${dir}/onnx/vision_encoder.onnx`, exp.fiveVisionEncoder(S, fp16));
    files.set(`${dir}/onnx/mask_decoder.onnx`, exp.fiveMaskDecoder(S, fp16));
    files.set(`${dir}/onnx/memory_encoder.onnx`, exp.fiveMemoryEncoder(S, fp16));
    files.set(`${dir}/onnx/memory_attention.onnx`, exp.fiveMemoryAttention(S, fp16));
    files.set(`${dir}/onnx/pointer_tpos.onnx`, exp.fivePointerTpos(fp16));
  };
  // Layout A: square-zero-labs/sam2.1-tiny-video-onnx (fp32, S = 1024). Its shape keys are not established; the
  // twin writes the ones the loader reads when present.
  five(TWIN_A_DIR, 1024, false);
  files.set(
    `${TWIN_A_DIR}/constants.json`,
    json({
      image_size: 1024,
      num_maskmem: 7,
      max_object_pointers: 16,
      image_mean: MEAN,
      image_std: STD,
      memory_temporal_positional_encoding: exp.twinTemporalTable(64),
    }),
  );
  files.set(
    `${TWIN_A_DIR}/README.md`,
    twinReadme('sam2.1-video-twin-a', 'square-zero-labs/sam2.1-tiny-video-onnx (layout A: fp32, S = 1024)'),
  );
  // Layout B: diffusionstudio/sam2.1-tiny-video-onnx-fp16 (fp16 inside, fp32 I/O, S = 512).
  five(TWIN_B512_DIR, 512, true);
  files.set(
    `${TWIN_B512_DIR}/constants.json`,
    json({
      model: 'sam2.1-video-twin-b512',
      image_size: 512,
      memory_frames: 7,
      image_mean: MEAN,
      image_std: STD,
      memory_temporal_positional_encoding: exp.twinTemporalTable(32),
    }),
  );
  files.set(
    `${TWIN_B512_DIR}/README.md`,
    twinReadme(
      'sam2.1-video-twin-b512',
      'diffusionstudio/sam2.1-tiny-video-onnx-fp16 (layout B: fp16 inside, fp32 I/O, S = 512)',
    ),
  );
  // Layout C: jax-image-tools/edgetam-video-onnx (four graphs at the root; no no_memory_embedding in constants.json).
  files.set(`${TWIN_C_DIR}/vision_encoder.onnx`, exp.edgeVisionEncoder());
  files.set(`${TWIN_C_DIR}/mask_decoder.onnx`, exp.edgeMaskDecoder());
  files.set(`${TWIN_C_DIR}/memory_attention.onnx`, exp.edgeMemoryAttention());
  files.set(`${TWIN_C_DIR}/memory_encoder.onnx`, exp.edgeMemoryEncoder());
  files.set(
    `${TWIN_C_DIR}/constants.json`,
    json({ image_mean: MEAN, image_std: STD, memory_temporal_positional_encoding: exp.twinTemporalTable(64) }),
  );
  files.set(
    `${TWIN_C_DIR}/README.md`,
    twinReadme('edgetam-video-twin-c', 'jax-image-tools/edgetam-video-onnx (layout C)'),
  );
  files.set(
    `${SIDECAR_DIR}/edgetam-video-twin-c.json`,
    json({
      format: SIDECAR_FORMAT,
      model: 'edgetam-video-twin-c',
      no_memory_embedding: Array.from(exp.twinNoMemoryEmbedding()),
    }),
  );
  // The real EdgeTAM sidecar: the file format, without values. They must be generated from the real checkpoint
  // (EdgeTAM's no_mem_embed, 256 numbers); a load that reaches this file fails with model-contract saying so.
  files.set(
    `${SIDECAR_DIR}/edgetam-video.json`,
    json({
      format: SIDECAR_FORMAT,
      model: 'jax-image-tools/edgetam-video-onnx@8ca3d3e4169938e65b552cdf14542fde25e8badb',
      no_memory_embedding: null,
      note: 'Values not included: generate them from the EdgeTAM checkpoint (no_mem_embed, 256 numbers) and host this file with them. See README, "Video models".',
    }),
  );
}

function main(): void {
  const check = process.argv.includes('--check');
  const files = buildTwinFiles();
  let total = 0;
  const stale: string[] = [];
  for (const [rel, bytes] of files) {
    total += bytes.length;
    const path = join(root, rel);
    if (check) {
      if (!existsSync(path) || !Buffer.from(readFileSync(path)).equals(Buffer.from(bytes))) stale.push(rel);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
  }
  if (check && stale.length) {
    console.error(`twin files differ from the generator (run npm run twins): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(`${check ? 'checked' : 'wrote'} ${files.size} files, ${total} bytes`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
