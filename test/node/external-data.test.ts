// External data: which files a repository declares (transformers.js's rule) and which locations a graph records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredExternalData, externalDataLocations } from '../../src/engine/external-data.js';
import { buildTwinFiles } from '../../tools/twins/generate.js';

const cfg = (use: unknown, extra: Record<string, unknown> = {}) => ({
  'transformers.js_config': { use_external_data_format: use, ...extra },
});

test('declared external data: true, counts, per file name, per graph name, device_config', () => {
  assert.deepEqual(declaredExternalData({}, 'vision_encoder', 'vision_encoder.onnx'), []);
  assert.deepEqual(declaredExternalData(cfg(true), 'vision_encoder', 'vision_encoder.onnx'), [
    'vision_encoder.onnx_data',
  ]);
  assert.deepEqual(declaredExternalData(cfg(false), 'vision_encoder', 'vision_encoder.onnx'), []);
  assert.deepEqual(declaredExternalData(cfg(3), 'g', 'g_fp16.onnx'), [
    'g_fp16.onnx_data',
    'g_fp16.onnx_data_1',
    'g_fp16.onnx_data_2',
  ]);
  // The full file name wins over the graph name, which covers every dtype not listed.
  const byName = cfg({ 'g_fp16.onnx': 2, g: true });
  assert.deepEqual(declaredExternalData(byName, 'g', 'g_fp16.onnx'), ['g_fp16.onnx_data', 'g_fp16.onnx_data_1']);
  assert.deepEqual(declaredExternalData(byName, 'g', 'g_quantized.onnx'), ['g_quantized.onnx_data']);
  assert.deepEqual(declaredExternalData(cfg({ 'other.onnx': true }), 'g', 'g.onnx'), []);
  const perDevice = cfg(false, { device_config: { webgpu: { use_external_data_format: true } } });
  assert.deepEqual(declaredExternalData(perDevice, 'g', 'g.onnx', 'webgpu'), ['g.onnx_data']);
  assert.deepEqual(declaredExternalData(perDevice, 'g', 'g.onnx', 'wasm'), []);
  assert.equal(declaredExternalData(cfg(1000), 'g', 'g.onnx').length, 100);
});

test('a graph records its external data locations; an embedded graph records none', () => {
  const files = buildTwinFiles();
  const dir = 'demo/models/sam2-twin-hf/onnx/';
  assert.deepEqual(externalDataLocations(files.get(`${dir}vision_encoder_ext.onnx`)!), [
    'vision_encoder_ext.onnx_data',
  ]);
  assert.deepEqual(externalDataLocations(files.get(`${dir}prompt_encoder_mask_decoder_ext.onnx`)!), [
    'prompt_encoder_mask_decoder_ext.onnx_data',
    'prompt_encoder_mask_decoder_ext.onnx_data_1',
  ]);
  assert.deepEqual(externalDataLocations(files.get(`${dir}vision_encoder.onnx`)!), []);
  assert.deepEqual(externalDataLocations(files.get('demo/models/sam2-twin/mask_decoder.onnx')!), []);
  assert.throws(() => externalDataLocations(new Uint8Array([0x3a, 0x10, 0x01])));
});

test('the twin config declares the data files the graphs record', () => {
  const files = buildTwinFiles();
  const config = JSON.parse(new TextDecoder().decode(files.get('demo/models/sam2-twin-hf/config.json')!)) as Record<
    string,
    unknown
  >;
  for (const graph of ['vision_encoder', 'prompt_encoder_mask_decoder']) {
    const name = `${graph}_ext.onnx`;
    const declared = declaredExternalData(config, graph, name);
    assert.deepEqual(declared, externalDataLocations(files.get(`demo/models/sam2-twin-hf/onnx/${name}`)!));
    for (const d of declared) assert.ok(files.get(`demo/models/sam2-twin-hf/onnx/${d}`)!.length > 0, d);
    // The embedded fp32 files are not declared.
    assert.deepEqual(declaredExternalData(config, graph, `${graph}.onnx`), []);
  }
});
