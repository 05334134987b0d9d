// Where tensors live, and what crosses between the CPU and the GPU. On WebGPU, every CPU tensor fed to a session is
// an upload and every output ORT leaves on the CPU (or that we read with getData) is a readback; the counters below
// add those bytes up, independently of how fast the GPU is, so `stats()` and the bench can show which outputs stay
// on the GPU. On WASM nothing crosses, and the counters stay at zero.

import * as ort from 'onnxruntime-web/webgpu';
import { MAP_MODE_READ, USAGE, type GpuBuffer, type GpuDevice } from './gpu-types.js';

/** Bytes moved between the CPU and the GPU since the worker started (WebGPU sessions only). */
export interface TransferCounters {
  /** CPU tensors fed to WebGPU sessions. */
  uploadBytes: number;
  /** Outputs of WebGPU sessions that came back to the CPU. */
  readbackBytes: number;
}

const counters: TransferCounters = { uploadBytes: 0, readbackBytes: 0 };

/** A copy of the counters (callers take differences around the work they measure). */
export function transferCounters(): TransferCounters {
  return { ...counters };
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  int64: 8,
  float16: 2,
  uint8: 1,
  int8: 1,
  bool: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  float64: 8,
  uint64: 8,
};

/** Bytes of a tensor's data. */
export function tensorBytes(t: ort.Tensor): number {
  return t.size * (BYTES[t.type] ?? 4);
}

/** True when the tensor's data is on the CPU (readable without a GPU round trip). */
export function onCpu(t: ort.Tensor): boolean {
  return t.location === 'cpu' || t.location === undefined;
}

/** True when the tensor exists and lives in a GPU buffer. */
export function onGpu(t: ort.Tensor | undefined): boolean {
  return t !== undefined && !onCpu(t);
}

/** Counts one WebGPU run: its CPU inputs were uploaded, its CPU outputs were read back by ORT. */
export function countRun(feeds: Record<string, ort.Tensor>, outputs: Record<string, ort.Tensor>): void {
  for (const t of Object.values(feeds)) if (onCpu(t)) counters.uploadBytes += tensorBytes(t);
  for (const t of Object.values(outputs)) if (onCpu(t)) counters.readbackBytes += tensorBytes(t);
}

/** The float32 data of a graph output, read back (and counted) when it is on the GPU. */
export async function readFloats(t: ort.Tensor): Promise<Float32Array | null> {
  if (onCpu(t)) return t.data instanceof Float32Array ? t.data : null;
  const data = await t.getData(true);
  counters.readbackBytes += tensorBytes(t);
  return data instanceof Float32Array ? data : null;
}

/** ORT's own WebGPU device: buffers fed to its sessions must belong to it. Null before any WebGPU session. */
export async function ortDevice(): Promise<GpuDevice | null> {
  return (await (ort.env.webgpu as unknown as { device: Promise<GpuDevice | undefined> }).device) ?? null;
}

/** Counts bytes written to the GPU from the CPU outside a session run (host parts of a GPU-packed input). */
export function countUpload(bytes: number): void {
  counters.uploadBytes += bytes;
}

/**
 * `length` floats of a float32 output from `offset` (in floats): on the GPU only that slice is copied to a staging
 * buffer and read back (one candidate mask of four, not all of them); on the CPU a view without a copy.
 */
export async function readFloatSlice(t: ort.Tensor, offset: number, length: number): Promise<Float32Array | null> {
  if (onCpu(t)) return t.data instanceof Float32Array ? t.data.subarray(offset, offset + length) : null;
  const device = await ortDevice();
  if (!device || t.type !== 'float32') {
    const all = await readFloats(t);
    return all ? all.subarray(offset, offset + length) : null;
  }
  const bytes = length * 4;
  const staging = device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(t.gpuBuffer as unknown as GpuBuffer, offset * 4, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    counters.readbackBytes += bytes;
    return out;
  } finally {
    staging.destroy();
  }
}
