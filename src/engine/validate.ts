// Validate before storing: a file is checked for what it claims to be before the cache keeps it, and again when the
// cache serves it (so bytes stored by an older version are not trusted either). What SPA fallbacks and misconfigured
// CDNs answer (an HTML page with status 200), a truncated graph, or a JSON `null` never reach IndexedDB.

import { Sam2Error } from '../shared/errors.js';

/** Checks one file's bytes (and the Content-Type it came with, when fetched); throws a coded Sam2Error. */
export type Validator = (bytes: Uint8Array, file: string, contentType: string | null) => void;

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function looksLikeHtml(bytes: Uint8Array, contentType: string | null): boolean {
  if (contentType && /^\s*text\/html/i.test(contentType)) return true;
  let i = 0;
  while (
    i < bytes.length &&
    i < 64 &&
    (bytes[i] === 0x20 ||
      bytes[i] === 0x0a ||
      bytes[i] === 0x0d ||
      bytes[i] === 0x09 ||
      bytes[i] === 0xef ||
      bytes[i] === 0xbb ||
      bytes[i] === 0xbf)
  )
    i++;
  return bytes[i] === 0x3c; // '<'
}

function htmlError(file: string): Sam2Error {
  return new Sam2Error(
    'model-fetch',
    `${file}: the server answered an HTML page instead of the file (a wrong path, or an SPA fallback / CDN error page with status 200)`,
  );
}

/** onnxruntime's .wasm: the WebAssembly magic word. */
export const checkWasm: Validator = (bytes, file, contentType) => {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  if (looksLikeHtml(bytes, contentType)) throw htmlError(file);
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Sam2Error(
    'model-integrity',
    `${file} is not a WebAssembly binary (starts ${head || 'empty'}, expected 00 61 73 6d)`,
  );
};

/** Reads a protobuf varint at `pos`; returns [value, next] or null when it runs past `end`. */
function varint(b: Uint8Array, pos: number, end: number): [number, number] | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return null;
    const byte = b[pos++]!;
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, pos];
    mul *= 128;
  }
  return null;
}

/**
 * An ONNX graph: its top level must walk as a protobuf `ModelProto` from the first byte to the last, with an
 * `ir_version` (field 1) and a `graph` (field 7). A truncated file, an HTML page or JSON fails this walk.
 */
export const checkOnnx: Validator = (bytes, file, contentType) => {
  const fail = (why: string): Sam2Error =>
    looksLikeHtml(bytes, contentType)
      ? htmlError(file)
      : new Sam2Error('model-integrity', `${file} is not an ONNX model: ${why}`);
  const end = bytes.length;
  let pos = 0;
  let hasVersion = false;
  let hasGraph = false;
  while (pos < end) {
    const tag = varint(bytes, pos, end);
    if (!tag) throw fail(`cut short at byte ${pos}`);
    pos = tag[1];
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] % 8;
    if (field === 0) throw fail(`field 0 at byte ${pos}`);
    if (wire === 0) {
      const v = varint(bytes, pos, end);
      if (!v) throw fail(`cut short at byte ${pos}`);
      pos = v[1];
      if (field === 1) hasVersion = true;
    } else if (wire === 2) {
      const len = varint(bytes, pos, end);
      if (!len || len[1] + len[0] > end) throw fail(`a field runs past the end (byte ${pos} of ${end}): truncated?`);
      pos = len[1] + len[0];
      if (field === 7) hasGraph = true;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw fail(`wire type ${wire} at byte ${pos}`);
    if (pos > end) throw fail('truncated');
  }
  if (!hasVersion || !hasGraph) throw fail(`no ${hasVersion ? 'graph' : 'ir_version'}`);
};

/** A JSON file of a bundle (manifest, config, constants): it parses, to an object. */
export const checkJsonObject: Validator = (bytes, file, contentType) => {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    if (looksLikeHtml(bytes, contentType)) throw htmlError(file);
    throw new Sam2Error('model-fetch', `${file} is not valid JSON`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new Sam2Error(
      'model-contract',
      `${file} is not a JSON object (got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v})`,
    );
  }
};

/** The validator a file gets by its name; external data (`.onnx_data`) and unknown files are raw bytes. */
export function validatorFor(file: string): Validator | null {
  const path = file.split(/[?#]/)[0]!.toLowerCase();
  if (path.endsWith('.wasm')) return checkWasm;
  if (path.endsWith('.onnx')) return checkOnnx;
  if (path.endsWith('.json')) return checkJsonObject;
  return null;
}
