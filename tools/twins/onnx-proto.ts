// Minimal, deterministic ONNX protobuf encoder. Only the fields the twin graphs use are written, always in
// the same order, so regenerating gives byte-identical files (no protobuf library, no timestamps).

export const enum DataType {
  FLOAT = 1,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
}

export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type: DataType;
  shape: readonly Dim[];
}

export interface TensorInit {
  name: string;
  type: DataType;
  dims: readonly number[];
  /** FLOAT16 initializers hold their half-precision bits in a Uint16Array. */
  data: Float32Array | Int32Array | BigInt64Array | Uint16Array;
}

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorInit };

export interface NodeDef {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attrs: readonly (readonly [string, AttrValue])[];
}

export interface ModelDef {
  graphName: string;
  docString: string;
  nodes: readonly NodeDef[];
  initializers: readonly TensorInit[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  opset: number;
  producer: string;
  metadata: readonly (readonly [string, string])[];
}

class Writer {
  private chunks: number[] = [];

  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.chunks.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.chunks.push(Number(x));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    for (let i = 0; i < data.length; i++) this.chunks.push(data[i]!);
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.bytes(field, inner.finish());
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.chunks.push(x);
  }

  packedInts(field: number, vs: readonly number[]): void {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  packedFloats(field: number, vs: readonly number[]): void {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.bytes(field, b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function rawBytes(t: TensorInit): Uint8Array {
  // raw_data is little-endian by the ONNX spec; typed arrays are little-endian on every platform we run on,
  // but write through DataView anyway so the bytes never depend on the host.
  const n = t.data.length;
  if (t.data instanceof Float32Array) {
    const b = new Uint8Array(n * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setFloat32(i * 4, t.data[i]!, true);
    return b;
  }
  if (t.data instanceof Uint16Array) {
    const b = new Uint8Array(n * 2);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setUint16(i * 2, t.data[i]!, true);
    return b;
  }
  if (t.data instanceof Int32Array) {
    const b = new Uint8Array(n * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setInt32(i * 4, t.data[i]!, true);
    return b;
  }
  const b = new Uint8Array(n * 8);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) dv.setBigInt64(i * 8, t.data[i]!, true);
  return b;
}

/** Where one initializer's bytes live outside the model file (TensorProto.external_data). */
interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

function writeTensor(w: Writer, t: TensorInit, external?: ExternalRef): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, t.type);
  w.string(8, t.name);
  if (!external) {
    w.bytes(9, rawBytes(t));
    return;
  }
  // external_data (13): StringStringEntryProto {key 1, value 2}; then data_location (14) = EXTERNAL (1).
  for (const [k, v] of [
    ['location', external.location],
    ['offset', String(external.offset)],
    ['length', String(external.length)],
  ]) {
    w.message(13, (e) => {
      e.string(1, k!);
      e.string(2, v!);
    });
  }
  w.int(14, 1);
}

/** How `encodeModel` moves initializers out of the model file, as onnx's save_as_external_data does. */
export interface ExternalDataLayout {
  /** Data file names (the location strings written into the model), filled round-robin. */
  files: readonly string[];
  /** Float initializers smaller than this stay inside the model (integer ones always do). */
  minBytes: number;
  /** Each tensor starts at a multiple of this many bytes (zero padding between). */
  align: number;
}

/** A model whose large initializers live in external data files. */
export interface EncodedModel {
  model: Uint8Array;
  /** Data file name -> bytes, in `layout.files` order. */
  data: Map<string, Uint8Array>;
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.type);
      tt.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeAttr(w: Writer, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      w.int(20, 1);
      break;
    case 'int':
      w.int(3, a.value);
      w.int(20, 2);
      break;
    case 'string':
      w.string(4, a.value);
      w.int(20, 3);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      w.int(20, 4);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      w.int(20, 6);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      w.int(20, 7);
      break;
  }
}

/** Serialises a model to ONNX protobuf bytes (IR version 8). */
export function encodeModel(m: ModelDef): Uint8Array {
  return encodeModelWithExternalData(m, null).model;
}

/** Serialises a model, moving initializers of at least `layout.minBytes` into the layout's data files. */
export function encodeModelWithExternalData(m: ModelDef, layout: ExternalDataLayout | null): EncodedModel {
  const parts = new Map<string, Uint8Array[]>((layout?.files ?? []).map((f) => [f, []]));
  const sizes = new Map<string, number>((layout?.files ?? []).map((f) => [f, 0]));
  const refs = new Map<TensorInit, ExternalRef>();
  let next = 0;
  for (const t of m.initializers) {
    const raw = rawBytes(t);
    // Only float weights move out: integer initializers are shapes and axes, which shape inference must read from the
    // model itself (as in real exports, where they fall under onnx's size threshold).
    if (!layout || layout.files.length === 0 || t.type !== DataType.FLOAT || raw.length < layout.minBytes) continue;
    const location = layout.files[next++ % layout.files.length]!;
    const size = sizes.get(location)!;
    const offset = Math.ceil(size / layout.align) * layout.align;
    if (offset > size) parts.get(location)!.push(new Uint8Array(offset - size));
    parts.get(location)!.push(raw);
    sizes.set(location, offset + raw.length);
    refs.set(t, { location, offset, length: raw.length });
  }
  const data = new Map<string, Uint8Array>();
  for (const [f, chunks] of parts) {
    const out = new Uint8Array(sizes.get(f)!);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    data.set(f, out);
  }

  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, m.producer);
  w.string(3, '1'); // producer_version
  w.message(7, (g) => {
    for (const n of m.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.opType);
        for (const [k, v] of n.attrs) nw.message(5, (aw) => writeAttr(aw, k, v));
      });
    }
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (tw) => writeTensor(tw, t, refs.get(t)));
    g.string(10, m.docString);
    for (const v of m.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of m.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, m.opset);
  });
  for (const [k, v] of m.metadata) {
    w.message(14, (p) => {
      p.string(1, k);
      p.string(2, v);
    });
  }
  return { model: w.finish(), data };
}
