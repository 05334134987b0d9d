// The slice of WebGPU the engine uses on ORT's device, typed by hand: the worker's TypeScript lib has no WebGPU
// types, and these stay internal (no public type depends on them).

export interface GpuBuffer {
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuCommandEncoder {
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  beginComputePass(): GpuComputePass;
  finish(): unknown;
}

export interface GpuComputePass {
  setPipeline(p: GpuComputePipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y: number): void;
  end(): void;
}

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): unknown;
}

export interface GpuTexture {
  createView(): unknown;
  destroy(): void;
}

export interface GpuDevice {
  createTexture(d: { size: [number, number]; format: 'rgba8unorm'; usage: number }): GpuTexture;
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
  createCommandEncoder(): GpuCommandEncoder;
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): GpuComputePipeline;
  createBindGroup(d: {
    layout: unknown;
    entries: { binding: number; resource: { buffer: GpuBuffer } | unknown }[];
  }): unknown;
  queue: {
    submit(c: unknown[]): void;
    writeBuffer(b: GpuBuffer, offset: number, data: ArrayBufferView): void;
    copyExternalImageToTexture(
      src: { source: ImageBitmap },
      dst: { texture: GpuTexture; premultipliedAlpha: boolean },
      size: [number, number],
    ): void;
  };
}

// GPUBufferUsage and GPUMapMode flags, spelled out.
export const USAGE = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, UNIFORM: 0x0040, STORAGE: 0x0080 };
export const MAP_MODE_READ = 0x0001;
// GPUTextureUsage flags.
export const TEXTURE = { COPY_DST: 0x02, TEXTURE_BINDING: 0x04, RENDER_ATTACHMENT: 0x10 };
