// ONNX external data: graphs whose weights live in separate files beside them, as the onnx-community fp32/fp16
// repositories ship SAM 2.1 (`onnx/vision_encoder.onnx` + `onnx/vision_encoder.onnx_data`).
//
// Which files a graph has is declared the way transformers.js reads it, so that they download in parallel with the
// graph: config.json `transformers.js_config.use_external_data_format` (optionally overridden per device under
// `transformers.js_config.device_config[device]`) is `true`/a count for every graph, or an object keyed by the full
// file name (`vision_encoder_fp16.onnx`) or the bare graph name (`vision_encoder`) whose value is `true`/a count.
// N files are named `<file>.onnx_data`, `<file>.onnx_data_1`, … `<file>.onnx_data_{N-1}`.
//
// The graph itself records, per initializer, the location string of the file holding its bytes; onnxruntime-web
// finds each file by that string, so it is what `externalDataLocations` reads back from the protobuf (and how a
// repository that declares nothing still loads: its locations are fetched once the graph is in).

/** transformers.js's ceiling on data files per graph. */
export const MAX_EXTERNAL_DATA_FILES = 100;

type Declared = boolean | number | Record<string, boolean | number | undefined> | null | undefined;

function asCount(v: unknown): number {
  if (v === true) return 1;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  return 0;
}

/**
 * The external data file names a repository's config.json declares for `graphFile` (`<graph><suffix>.onnx`), or []
 * when it declares none. `device` picks a `device_config` entry when the host named a backend.
 */
export function declaredExternalData(
  config: Record<string, unknown>,
  graph: string,
  graphFile: string,
  device?: string,
): string[] {
  const tjs = config['transformers.js_config'];
  if (!tjs || typeof tjs !== 'object') return [];
  let custom = tjs as Record<string, unknown>;
  const perDevice = custom['device_config'];
  if (device && perDevice && typeof perDevice === 'object' && Object.prototype.hasOwnProperty.call(perDevice, device)) {
    custom = { ...custom, ...((perDevice as Record<string, Record<string, unknown>>)[device] ?? {}) };
  }
  const declared = custom['use_external_data_format'] as Declared;
  let n = 0;
  if (declared && typeof declared === 'object') {
    const own = (k: string) => Object.prototype.hasOwnProperty.call(declared, k);
    n = asCount(own(graphFile) ? declared[graphFile] : own(graph) ? declared[graph] : 0);
  } else {
    n = asCount(declared);
  }
  n = Math.min(n, MAX_EXTERNAL_DATA_FILES);
  return Array.from({ length: n }, (_, i) => `${graphFile}_data${i === 0 ? '' : `_${i}`}`);
}

/** A minimal protobuf reader: just enough to walk ONNX messages and skip everything else. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  }

  /** Next field as [field number, wire type, start, end] (start/end of a length-delimited payload). */
  *fields(): Generator<[number, number, number, number]> {
    while (this.pos < this.end) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      const start = this.pos;
      if (wire === 0) this.varint();
      else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else if (wire === 2) {
        const len = this.varint();
        const s = this.pos;
        this.pos += len;
        if (this.pos > this.end) throw new Error('truncated field');
        yield [field, wire, s, s + len];
        continue;
      } else throw new Error(`unsupported wire type ${wire}`);
      if (this.pos > this.end) throw new Error('truncated field');
      yield [field, wire, start, this.pos];
    }
  }
}

const text = new TextDecoder();

function tensorLocation(buf: Uint8Array, start: number, end: number): string | null {
  let location: string | null = null;
  let external = false;
  for (const [field, wire, s, e] of new Reader(buf, start, end).fields()) {
    if (field === 14 && wire === 0) external = new Reader(buf, s, e).varint() === 1; // data_location
    if (field === 13 && wire === 2) {
      // external_data: StringStringEntryProto {key = 1, value = 2}
      let key = '';
      let value = '';
      for (const [f, w, s2, e2] of new Reader(buf, s, e).fields()) {
        if (w !== 2) continue;
        if (f === 1) key = text.decode(buf.subarray(s2, e2));
        if (f === 2) value = text.decode(buf.subarray(s2, e2));
      }
      if (key === 'location') location = value;
    }
  }
  return external ? location : null;
}

function graphLocations(buf: Uint8Array, start: number, end: number, out: Set<string>): void {
  for (const [field, wire, s, e] of new Reader(buf, start, end).fields()) {
    if (wire !== 2) continue;
    if (field === 5) {
      // initializer (TensorProto)
      const loc = tensorLocation(buf, s, e);
      if (loc !== null) out.add(loc);
    } else if (field === 15) {
      // sparse_initializer: values (1) and indices (2) are TensorProtos
      for (const [f, w, s2, e2] of new Reader(buf, s, e).fields()) {
        if (w !== 2 || (f !== 1 && f !== 2)) continue;
        const loc = tensorLocation(buf, s2, e2);
        if (loc !== null) out.add(loc);
      }
    } else if (field === 1) {
      // node: attributes (5) may hold tensors (t 5, tensors 10) and subgraphs (g 6, graphs 11)
      for (const [f, w, s2, e2] of new Reader(buf, s, e).fields()) {
        if (f !== 5 || w !== 2) continue;
        for (const [af, aw, s3, e3] of new Reader(buf, s2, e2).fields()) {
          if (aw !== 2) continue;
          if (af === 5 || af === 10) {
            const loc = tensorLocation(buf, s3, e3);
            if (loc !== null) out.add(loc);
          } else if (af === 6 || af === 11) graphLocations(buf, s3, e3, out);
        }
      }
    }
  }
}

/**
 * The external data locations an ONNX model's tensors name (ModelProto.graph, its nodes' attribute tensors and
 * subgraphs), in first-seen order; empty when every weight is inside the model. Throws on bytes that are not protobuf.
 */
export function externalDataLocations(model: Uint8Array): string[] {
  const out = new Set<string>();
  for (const [field, wire, s, e] of new Reader(model, 0, model.length).fields()) {
    if (field === 7 && wire === 2) graphLocations(model, s, e, out);
  }
  return [...out];
}
