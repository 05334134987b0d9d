// A tiny graph-building DSL over onnx-proto: every helper appends one node and returns its output name.
// Names are generated from a counter, so the same build code always yields the same bytes.

import {
  DataType,
  encodeModel,
  encodeModelWithExternalData,
  type EncodedModel,
  type ExternalDataLayout,
  type AttrValue,
  type NodeDef,
  type TensorInit,
  type ValueInfo,
} from './onnx-proto.js';

export type V = string;
type Attrs = Record<string, AttrValue>;

export const int = (value: number): AttrValue => ({ kind: 'int', value });
export const flt = (value: number): AttrValue => ({ kind: 'float', value });
export const ints = (value: readonly number[]): AttrValue => ({ kind: 'ints', value });
export const str = (value: string): AttrValue => ({ kind: 'string', value });

export class Graph {
  private nodes: NodeDef[] = [];
  private inits: TensorInit[] = [];
  private constCache = new Map<string, V>();
  private counter = 0;
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];

  constructor(readonly name: string) {}

  input(name: string, type: DataType, shape: ValueInfo['shape']): V {
    this.inputs.push({ name, type, shape });
    return name;
  }

  /** Marks `value` as a graph output under `name` (through Identity when the names differ). */
  output(name: string, value: V, type: DataType, shape: ValueInfo['shape']): void {
    if (value !== name) this.node('Identity', [value], {}, name);
    this.outputs.push({ name, type, shape });
  }

  node(op: string, inputs: readonly V[], attrs: Attrs = {}, outName?: string): V {
    const id = this.counter++;
    const out = outName ?? `${op.toLowerCase()}_${id}`;
    this.nodes.push({
      opType: op,
      inputs,
      outputs: [out],
      name: `${op}_${id}`,
      attrs: Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1)),
    });
    return out;
  }

  nodeMulti(op: string, inputs: readonly V[], nOut: number, attrs: Attrs = {}): V[] {
    const id = this.counter++;
    const outs = Array.from({ length: nOut }, (_, i) => `${op.toLowerCase()}_${id}_${i}`);
    this.nodes.push({
      opType: op,
      inputs,
      outputs: outs,
      name: `${op}_${id}`,
      attrs: Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1)),
    });
    return outs;
  }

  /** A float32 initializer; identical small constants are shared. */
  f32(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): V {
    const key = `f:${dims.join('x')}:${Array.from(values).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = `c${this.counter++}`;
    this.inits.push({ name, type: DataType.FLOAT, dims, data: Float32Array.from(values) });
    this.constCache.set(key, name);
    return name;
  }

  /** A float16 initializer from half-precision bits. */
  f16(bits: Uint16Array, dims: readonly number[], name?: string): V {
    const n = name ?? `c${this.counter++}`;
    this.inits.push({ name: n, type: DataType.FLOAT16, dims, data: bits });
    return n;
  }

  i64(values: readonly number[], dims: readonly number[] = [values.length]): V {
    const key = `i:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = `c${this.counter++}`;
    this.inits.push({ name, type: DataType.INT64, dims, data: BigInt64Array.from(values.map(BigInt)) });
    this.constCache.set(key, name);
    return name;
  }

  scalar(v: number): V {
    return this.f32([v], []);
  }

  // Elementwise and shape helpers. Scalars passed as numbers become float constants.
  private v(x: V | number): V {
    return typeof x === 'number' ? this.scalar(x) : x;
  }
  add(a: V | number, b: V | number): V {
    return this.node('Add', [this.v(a), this.v(b)]);
  }
  sub(a: V | number, b: V | number): V {
    return this.node('Sub', [this.v(a), this.v(b)]);
  }
  mul(a: V | number, b: V | number): V {
    return this.node('Mul', [this.v(a), this.v(b)]);
  }
  div(a: V | number, b: V | number): V {
    return this.node('Div', [this.v(a), this.v(b)]);
  }
  max(a: V | number, b: V | number): V {
    return this.node('Max', [this.v(a), this.v(b)]);
  }
  min(a: V | number, b: V | number): V {
    return this.node('Min', [this.v(a), this.v(b)]);
  }
  sigmoid(a: V): V {
    return this.node('Sigmoid', [a]);
  }
  relu(a: V): V {
    return this.node('Relu', [a]);
  }
  floor(a: V): V {
    return this.node('Floor', [a]);
  }
  neg(a: V): V {
    return this.node('Neg', [a]);
  }
  exp(a: V): V {
    return this.node('Exp', [a]);
  }
  sin(a: V): V {
    return this.node('Sin', [a]);
  }
  clip(a: V, lo: number, hi: number): V {
    return this.node('Clip', [a, this.scalar(lo), this.scalar(hi)]);
  }
  /** 1.0 where a > b, else 0.0 (float). */
  gt(a: V | number, b: V | number): V {
    return this.cast(this.node('Greater', [this.v(a), this.v(b)]), DataType.FLOAT);
  }
  /** 1.0 where a == b, else 0.0 (float). */
  eq(a: V | number, b: V | number): V {
    return this.cast(this.node('Equal', [this.v(a), this.v(b)]), DataType.FLOAT);
  }
  cast(a: V, to: DataType): V {
    return this.node('Cast', [a], { to: int(to) });
  }
  reshape(a: V, shape: readonly number[]): V {
    return this.node('Reshape', [a, this.i64(shape)]);
  }
  reshapeDyn(a: V, shape: V): V {
    return this.node('Reshape', [a, shape]);
  }
  transpose(a: V, perm: readonly number[]): V {
    return this.node('Transpose', [a], { perm: ints(perm) });
  }
  concat(xs: readonly V[], axis: number): V {
    return this.node('Concat', xs, { axis: int(axis) });
  }
  slice(a: V, starts: readonly number[], ends: readonly number[], axes: readonly number[]): V {
    return this.node('Slice', [a, this.i64(starts), this.i64(ends), this.i64(axes)]);
  }
  unsqueeze(a: V, axes: readonly number[]): V {
    return this.node('Unsqueeze', [a, this.i64(axes)]);
  }
  squeeze(a: V, axes: readonly number[]): V {
    return this.node('Squeeze', [a, this.i64(axes)]);
  }
  reduce(op: 'ReduceSum' | 'ReduceMax' | 'ReduceMin' | 'ReduceMean', a: V, axes: readonly number[], keep = true): V {
    // Opset 13 ReduceSum and opset 18 Reduce* take axes as an input; we target opset 18 throughout.
    return this.node(op, [a, this.i64(axes)], { keepdims: int(keep ? 1 : 0) });
  }
  sum(a: V, axes: readonly number[], keep = true): V {
    return this.reduce('ReduceSum', a, axes, keep);
  }
  rmax(a: V, axes: readonly number[], keep = true): V {
    return this.reduce('ReduceMax', a, axes, keep);
  }
  rmin(a: V, axes: readonly number[], keep = true): V {
    return this.reduce('ReduceMin', a, axes, keep);
  }
  mean(a: V, axes: readonly number[], keep = true): V {
    return this.reduce('ReduceMean', a, axes, keep);
  }
  /** Select by a float 0/1 mask without a bool tensor: m·a + (1−m)·b. */
  blend(m: V, a: V | number, b: V | number): V {
    return this.add(this.mul(m, this.v(a)), this.mul(this.sub(1, m), this.v(b)));
  }
  /** Same-size max filter (dilation of a soft mask). */
  maxFilter(a: V, k: number): V {
    const p = (k - 1) / 2;
    return this.node('MaxPool', [a], { kernel_shape: ints([k, k]), pads: ints([p, p, p, p]), strides: ints([1, 1]) });
  }
  padChannels(a: V, before: number, after: number): V {
    return this.node('Pad', [a, this.i64([0, before, 0, 0, 0, after, 0, 0])], { mode: str('constant') });
  }
  /** Resize by per-axis scales (keeps a dynamic batch axis). Linear, half_pixel, no antialiasing. */
  rescale(a: V, scales: readonly number[]): V {
    return this.node('Resize', [a, '', this.f32(scales)], {
      mode: str('linear'),
      coordinate_transformation_mode: str('half_pixel'),
    });
  }
  resize(a: V, sizes: readonly number[], mode: 'linear' | 'nearest'): V {
    const attrs: Attrs = { mode: str(mode), coordinate_transformation_mode: str('half_pixel') };
    if (mode === 'nearest') attrs['nearest_mode'] = str('floor');
    return this.node('Resize', [a, '', '', this.i64(sizes)], attrs);
  }

  encode(meta: { doc: string; metadata: readonly (readonly [string, string])[] }): Uint8Array {
    return encodeModel(this.def(meta));
  }

  /** Encodes with the larger initializers in external data files (as the onnx-community fp32/fp16 exports ship). */
  encodeExternal(
    meta: { doc: string; metadata: readonly (readonly [string, string])[] },
    layout: ExternalDataLayout,
  ): EncodedModel {
    return encodeModelWithExternalData(this.def(meta), layout);
  }

  private def(meta: { doc: string; metadata: readonly (readonly [string, string])[] }) {
    return {
      graphName: this.name,
      docString: meta.doc,
      nodes: this.nodes,
      initializers: this.inits,
      inputs: this.inputs,
      outputs: this.outputs,
      opset: 18,
      producer: 'sam2-segmenter twin generator',
      metadata: meta.metadata,
    };
  }
}
