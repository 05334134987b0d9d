// Tensors that stay on ORT's WebGPU device between graphs: memories the video bank keeps in buffers of its own,
// graph inputs packed from them by copies between buffers, and the layout changes the public exports need between
// their graphs (channel-major features ↔ token-major) as one compute pass. Nothing here reads the GPU back; host
// parts written into a packed input are counted as uploads (tensors.ts). WASM never reaches this module: its
// tensors are on the CPU, and the layouts keep their CPU paths.

import { ort } from './runtime.js';
import { countUpload, onCpu, ortDevice, tensorBytes } from './tensors.js';
import { TEXTURE, USAGE, type GpuBuffer, type GpuComputePipeline, type GpuDevice } from './gpu-types.js';

/** A buffer ORT can read as an input, and that copies go in and out of. */
const STORAGE_COPY = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

/**
 * A float32 tensor kept in a GPU buffer of our own (a memory of the video bank): copied there from a graph output
 * without a readback, packed into the next graph's input by copies (`packOnGpu`). `release` frees it at once; one
 * dropped without it is still freed when collected, since it is a plain GPUBuffer.
 */
export class GpuMemory {
  constructor(
    private readonly buffer: GpuBuffer,
    /** Float32 values held. */
    readonly length: number,
  ) {}

  get byteLength(): number {
    return this.length * 4;
  }

  /** The buffer, for copies on ORT's device. */
  get gpuBuffer(): GpuBuffer {
    return this.buffer;
  }

  release(): void {
    this.buffer.destroy();
  }
}

/** The values when every one of them is kept on the GPU (WebGPU), else null (the layout packs on the CPU). */
export function gpuValues(values: readonly unknown[]): GpuMemory[] | null {
  return values.every((v) => v instanceof GpuMemory) ? (values as GpuMemory[]) : null;
}

/** The slots' memories when every one of them is kept on the GPU, else null. */
export function gpuMemories(slots: readonly { maskmem: unknown }[]): GpuMemory[] | null {
  return gpuValues(slots.map((s) => s.maskmem));
}

async function device(): Promise<GpuDevice> {
  const d = await ortDevice();
  if (!d) throw new Error('a GPU tensor without a WebGPU device');
  return d;
}

function tensorOn(buffer: GpuBuffer, dims: readonly number[]): ort.Tensor {
  return ort.Tensor.fromGpuBuffer(buffer as unknown as Parameters<typeof ort.Tensor.fromGpuBuffer>[0], {
    dataType: 'float32',
    dims,
    dispose: () => buffer.destroy(),
  });
}

/**
 * Keeps a float32 graph output that is on the GPU there, in a buffer of our own (the caller disposes the output: ORT
 * owns its buffer). Null when the output is on the CPU or not float32: the caller keeps it on the CPU.
 */
export async function keepOnGpu(t: ort.Tensor): Promise<GpuMemory | null> {
  if (onCpu(t) || t.type !== 'float32') return null;
  const d = await device();
  const bytes = tensorBytes(t);
  const buffer = d.createBuffer({ size: bytes, usage: STORAGE_COPY });
  const enc = d.createCommandEncoder();
  enc.copyBufferToBuffer(t.gpuBuffer as unknown as GpuBuffer, 0, buffer, 0, bytes);
  d.queue.submit([enc.finish()]);
  return new GpuMemory(buffer, t.size);
}

/** Uploads host values once into a buffer of our own (tables reused on every frame: positions per temporal row). */
export async function uploadOnce(data: Float32Array): Promise<GpuMemory> {
  const d = await device();
  const buffer = d.createBuffer({ size: data.byteLength, usage: STORAGE_COPY });
  d.queue.writeBuffer(buffer, 0, data);
  countUpload(data.byteLength);
  return new GpuMemory(buffer, data.length);
}

/** One part of a packed input: values already on the GPU (copied there), or host values (uploaded, counted). */
export type PackPart = GpuMemory | Float32Array;

/**
 * A float32 input of `dims` on the GPU: `parts` back to back from the start, the rest zeros (WebGPU zeroes new
 * buffers). Disposing the tensor destroys its buffer.
 */
export async function packOnGpu(parts: readonly PackPart[], dims: readonly number[]): Promise<ort.Tensor> {
  const d = await device();
  const total = dims.reduce((a, b) => a * b, 1);
  const used = parts.reduce((a, p) => a + p.length, 0);
  if (used > total) throw new RangeError(`cannot pack ${used} values into [${dims.join(',')}]`);
  const buffer = d.createBuffer({ size: total * 4, usage: STORAGE_COPY });
  const enc = d.createCommandEncoder();
  let at = 0;
  for (const p of parts) {
    if (p instanceof GpuMemory) enc.copyBufferToBuffer(p.gpuBuffer, 0, buffer, at * 4, p.byteLength);
    else {
      d.queue.writeBuffer(buffer, at * 4, p);
      countUpload(p.byteLength);
    }
    at += p.length;
  }
  d.queue.submit([enc.finish()]);
  return tensorOn(buffer, dims);
}

const WORKGROUP = 256;
const MAX_GROUPS = 65535;

// dst = src viewed as [rows, cols], transposed to [cols, rows]; one invocation per value.
const TRANSPOSE_WGSL = `
struct Dims { rows: u32, cols: u32, width: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * dims.width;
  if (i >= dims.rows * dims.cols) { return; }
  dst[(i % dims.cols) * dims.rows + i / dims.cols] = src[i];
}`;

/** Compiled pipelines, per device and shader. */
const pipelines = new WeakMap<GpuDevice, Map<string, GpuComputePipeline>>();

/**
 * Runs one compute pass of `code` (compiled once per device) with `resources` bound at 0, 1, 2… in group 0, and
 * submits it; the `transient` buffers (uniforms, small tables) are destroyed once submitted.
 */
function dispatch(
  d: GpuDevice,
  code: string,
  resources: unknown[],
  groups: [number, number],
  ...transient: GpuBuffer[]
): void {
  let byCode = pipelines.get(d);
  if (!byCode) pipelines.set(d, (byCode = new Map()));
  let pipeline = byCode.get(code);
  if (!pipeline) {
    const module = d.createShaderModule({ code });
    pipeline = d.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    byCode.set(code, pipeline);
  }
  const bind = d.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((resource, binding) => ({ binding, resource })),
  });
  const enc = d.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(...groups);
  pass.end();
  d.queue.submit([enc.finish()]);
  transient.forEach((b) => b.destroy());
}

/**
 * A float32 tensor on the GPU viewed as [rows, cols], transposed to [cols, rows] into a new GPU tensor of `dims`:
 * feats [256, T] (channel-major) → [T, 1, 256] (token-major) and back, with no round trip through the CPU.
 */
export async function transposeOnGpu(
  t: ort.Tensor,
  rows: number,
  cols: number,
  dims: readonly number[],
): Promise<ort.Tensor> {
  const n = rows * cols;
  if (t.size !== n || dims.reduce((a, b) => a * b, 1) !== n) {
    throw new RangeError(`cannot transpose [${t.dims.join(',')}] as ${rows}×${cols} into [${dims.join(',')}]`);
  }
  const d = await device();
  const out = d.createBuffer({ size: n * 4, usage: STORAGE_COPY });
  const groups = Math.ceil(n / WORKGROUP);
  const x = Math.min(groups, MAX_GROUPS);
  const y = Math.ceil(groups / x);
  const uniform = d.createBuffer({ size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  d.queue.writeBuffer(uniform, 0, Uint32Array.of(rows, cols, x * WORKGROUP, 0));
  dispatch(
    d,
    TRANSPOSE_WGSL,
    [{ buffer: t.gpuBuffer as unknown as GpuBuffer }, { buffer: out }, { buffer: uniform }],
    [x, y],
    uniform,
  );
  return tensorOn(out, dims);
}

// Bilinear resize with align_corners=false (torch's F.interpolate, math/resample.ts): half-pixel centres, clamped.
const UPSAMPLE_WGSL = `
struct Dims { inW: u32, inH: u32, outW: u32, outH: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;
fn tap(d: u32, inSize: u32, outSize: u32) -> vec3<f32> {
  let s = max((f32(d) + 0.5) * f32(inSize) / f32(outSize) - 0.5, 0.0);
  let a = min(u32(floor(s)), inSize - 1u);
  return vec3<f32>(f32(a), f32(min(a + 1u, inSize - 1u)), s - f32(a));
}
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= dims.outW || gid.y >= dims.outH) { return; }
  let tx = tap(gid.x, dims.inW, dims.outW);
  let ty = tap(gid.y, dims.inH, dims.outH);
  let r0 = u32(ty.x) * dims.inW;
  let r1 = u32(ty.y) * dims.inW;
  let a = src[r0 + u32(tx.x)] * (1.0 - tx.z) + src[r0 + u32(tx.y)] * tx.z;
  let b = src[r1 + u32(tx.x)] * (1.0 - tx.z) + src[r1 + u32(tx.y)] * tx.z;
  dst[gid.y * dims.outW + gid.x] = a * (1.0 - ty.z) + b * ty.z;
}`;

/**
 * A host map inW×inH (a 256² mask's logits) resized bilinearly on the GPU into a new GPU tensor of `dims`: what goes
 * up is the small map, not the 1024² one a memory encoder takes. Float32 arithmetic, so within float rounding of
 * the CPU's upsampleBilinear (which weighs in float64).
 */
export async function upsampleOnGpu(
  src: Float32Array,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  dims: readonly number[],
): Promise<ort.Tensor> {
  if (src.length !== inW * inH || dims.reduce((a, b) => a * b, 1) !== outW * outH)
    throw new RangeError(`cannot resize ${src.length} values as ${inW}×${inH} to [${dims.join(',')}]`);
  const d = await device();
  const input = d.createBuffer({ size: src.byteLength, usage: USAGE.STORAGE | USAGE.COPY_DST });
  d.queue.writeBuffer(input, 0, src);
  countUpload(src.byteLength);
  const out = d.createBuffer({ size: outW * outH * 4, usage: STORAGE_COPY });
  const uniform = d.createBuffer({ size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  d.queue.writeBuffer(uniform, 0, Uint32Array.of(inW, inH, outW, outH));
  dispatch(
    d,
    UPSAMPLE_WGSL,
    [{ buffer: input }, { buffer: out }, { buffer: uniform }],
    [Math.ceil(outW / 16), Math.ceil(outH / 16)],
    uniform,
    input,
  );
  return tensorOn(out, dims);
}

// SAM 2's normalisation of a resized frame, from an rgba8unorm texture (values already /255) to planar float32 CHW;
// outside the content area (longest-edge padding) zero, as on the CPU.
const NORMALIZE_WGSL = `
struct Params { size: u32, cw: u32, ch: u32, pad: u32, scale: vec4<f32>, bias: vec4<f32> }
@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= p.size || gid.y >= p.size) { return; }
  let i = gid.y * p.size + gid.x;
  let plane = p.size * p.size;
  if (gid.x >= p.cw || gid.y >= p.ch) {
    dst[i] = 0.0; dst[plane + i] = 0.0; dst[2u * plane + i] = 0.0;
    return;
  }
  let v = textureLoad(src, vec2<u32>(gid.x, gid.y), 0);
  dst[i] = v.r * p.scale.x + p.bias.x;
  dst[plane + i] = v.g * p.scale.y + p.bias.y;
  dst[2u * plane + i] = v.b * p.scale.z + p.bias.z;
}`;

/**
 * The encoder's `pixel_values` [1,3,size,size] made on the GPU from a frame the browser has already resized to the
 * content area (cw×ch, as the CPU path does): the upload is its RGBA bytes (4 per pixel) rather than 12 bytes of
 * float32 per pixel, and the per-pixel normalisation runs in one compute pass instead of on the worker's CPU.
 */
export async function normalizeOnGpu(
  resized: ImageBitmap,
  size: number,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): Promise<ort.Tensor> {
  const d = await device();
  const cw = resized.width;
  const ch = resized.height;
  const texture = d.createTexture({
    size: [cw, ch],
    format: 'rgba8unorm',
    usage: TEXTURE.TEXTURE_BINDING | TEXTURE.COPY_DST | TEXTURE.RENDER_ATTACHMENT,
  });
  d.queue.copyExternalImageToTexture({ source: resized }, { texture, premultipliedAlpha: false }, [cw, ch]);
  countUpload(cw * ch * 4);
  const out = d.createBuffer({ size: 3 * size * size * 4, usage: STORAGE_COPY });
  const params = new ArrayBuffer(48);
  new Uint32Array(params, 0, 4).set([size, cw, ch, 0]);
  new Float32Array(params, 16, 8).set([...std.map((s) => 1 / s), 0, ...mean.map((m, c) => -m / std[c]!), 0]);
  const uniform = d.createBuffer({ size: 48, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  d.queue.writeBuffer(uniform, 0, new Uint8Array(params));
  const groups = Math.ceil(size / 16);
  dispatch(d, NORMALIZE_WGSL, [texture.createView(), { buffer: out }, { buffer: uniform }], [groups, groups], uniform);
  texture.destroy();
  return tensorOn(out, [1, 3, size, size]);
}

// dst = src viewed as equal blocks, each plus its row of the table: a block's value i gets row[i % inner]. With
// inner 1 a block is a channel of [channels, plane] (EdgeTAM's no-memory embedding); with inner 64, a memory's
// 512 positions plus its temporal row.
const ADD_BLOCKS_WGSL = `
struct Dims { block: u32, inner: u32, width: u32, total: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;
@group(0) @binding(3) var<storage, read> table: array<f32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * dims.width;
  if (i >= dims.total) { return; }
  dst[i] = src[i] + table[(i / dims.block) * dims.inner + i % dims.inner];
}`;

/**
 * A float32 GPU tensor viewed as `table.length / inner` equal blocks, each plus its row of `inner` values of `table`
 * repeated over the block, into a new GPU tensor (the table is uploaded and counted).
 */
export async function addBlocksOnGpu(t: ort.Tensor, table: Float32Array, inner: number): Promise<ort.Tensor> {
  const n = t.size;
  const blocks = table.length / inner;
  if (!Number.isInteger(blocks) || blocks === 0 || n % blocks !== 0 || (n / blocks) % inner !== 0)
    throw new RangeError(`cannot add ${blocks} rows of ${inner} to ${n} values`);
  const d = await device();
  const out = d.createBuffer({ size: n * 4, usage: STORAGE_COPY });
  const groups = Math.ceil(n / WORKGROUP);
  const x = Math.min(groups, MAX_GROUPS);
  const uniform = d.createBuffer({ size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  d.queue.writeBuffer(uniform, 0, Uint32Array.of(n / blocks, inner, x * WORKGROUP, n));
  const rows = d.createBuffer({ size: table.byteLength, usage: USAGE.STORAGE | USAGE.COPY_DST });
  d.queue.writeBuffer(rows, 0, table);
  countUpload(table.byteLength);
  dispatch(
    d,
    ADD_BLOCKS_WGSL,
    [{ buffer: t.gpuBuffer as unknown as GpuBuffer }, { buffer: out }, { buffer: uniform }, { buffer: rows }],
    [x, Math.ceil(groups / x)],
    uniform,
    rows,
  );
  return tensorOn(out, t.dims);
}

/** A float32 GPU tensor viewed as [bias.length, plane] plus one value per channel, into a new GPU tensor. */
export function addPerChannelOnGpu(t: ort.Tensor, bias: Float32Array): Promise<ort.Tensor> {
  return addBlocksOnGpu(t, bias, 1);
}
