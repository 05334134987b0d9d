import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeId, encodeVint, ID, muxWebm, uintBytes, type EncodedFrame, type WebmOptions } from '../../tools/clips/webm.js';

// ------------------------------------------------------------------------------------------ a tiny EBML reader
// Written independently of the muxer (reads bits, not the muxer's helpers) so the two cannot share a mistake.

interface El {
  id: number;
  /** Offset of the id's first byte. */
  start: number;
  dataStart: number;
  dataEnd: number;
}

function readVint(b: Uint8Array, at: number): { value: number; length: number } {
  const first = b[at]!;
  assert.ok(first !== 0, `vint at ${at} has no length marker`);
  const length = Math.clz32(first) - 23; // leading zeros within the byte, plus one
  let value = first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + b[at + i]!;
  return { value, length };
}

function readId(b: Uint8Array, at: number): { id: number; length: number } {
  const length = Math.clz32(b[at]!) - 23;
  assert.ok(length >= 1 && length <= 4, `id at ${at} has length ${length}`);
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + b[at + i]!;
  return { id, length };
}

function children(b: Uint8Array, start: number, end: number): El[] {
  const out: El[] = [];
  let at = start;
  while (at < end) {
    const id = readId(b, at);
    const size = readVint(b, at + id.length);
    const dataStart = at + id.length + size.length;
    const dataEnd = dataStart + size.value;
    assert.ok(dataEnd <= end, `element 0x${id.id.toString(16)} at ${at} overruns its parent (${dataEnd} > ${end})`);
    out.push({ id: id.id, start: at, dataStart, dataEnd });
    at = dataEnd;
  }
  assert.equal(at, end, 'children fill their parent exactly');
  return out;
}

const kids = (b: Uint8Array, el: El) => children(b, el.dataStart, el.dataEnd);
const ids = (els: El[]) => els.map((e) => e.id);
const uint = (b: Uint8Array, el: El) => b.subarray(el.dataStart, el.dataEnd).reduce((v, x) => v * 256 + x, 0);
const str = (b: Uint8Array, el: El) => new TextDecoder().decode(b.subarray(el.dataStart, el.dataEnd));
function one(els: El[], id: number): El {
  const found = els.filter((e) => e.id === id);
  assert.equal(found.length, 1, `exactly one 0x${id.toString(16)}`);
  return found[0]!;
}

function parseFile(b: Uint8Array) {
  const top = children(b, 0, b.length);
  assert.deepEqual(ids(top), [ID.EBML, ID.Segment]);
  const segment = top[1]!;
  const body = kids(b, segment);
  return { header: top[0]!, segment, body };
}

// ------------------------------------------------------------------------------------------ vints, ids, uints

test('vint: shortest length, all-ones values are reserved (unknown size)', () => {
  assert.deepEqual([...encodeVint(0)], [0x80]);
  assert.deepEqual([...encodeVint(1)], [0x81]);
  assert.deepEqual([...encodeVint(126)], [0xfe]);
  // 127 would be 0xFF, the reserved 1-byte value.
  assert.deepEqual([...encodeVint(127)], [0x40, 0x7f]);
  assert.deepEqual([...encodeVint(128)], [0x40, 0x80]);
  assert.deepEqual([...encodeVint(16382)], [0x7f, 0xfe]);
  assert.deepEqual([...encodeVint(16383)], [0x20, 0x3f, 0xff]);
  assert.deepEqual([...encodeVint(2 ** 21 - 2)], [0x3f, 0xff, 0xfe]);
  assert.deepEqual([...encodeVint(2 ** 21 - 1)], [0x10, 0x1f, 0xff, 0xff]);
  // Above 32 bits (bit operations would truncate): 2^49 - 2 is the largest 7-byte value.
  assert.deepEqual([...encodeVint(2 ** 49 - 2)], [0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
  assert.deepEqual([...encodeVint(2 ** 49 - 1)], [0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...encodeVint(Number.MAX_SAFE_INTEGER)], [0x01, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
});

test('vint: forced lengths and invalid values', () => {
  assert.deepEqual([...encodeVint(5, 8)], [0x01, 0, 0, 0, 0, 0, 0, 5]);
  assert.deepEqual([...encodeVint(0, 2)], [0x40, 0x00]);
  // 127 fits 2 bytes but not 1 (0xFF is reserved).
  assert.throws(() => encodeVint(127, 1), RangeError);
  assert.throws(() => encodeVint(1, 9), RangeError);
  assert.throws(() => encodeVint(-1), RangeError);
  assert.throws(() => encodeVint(1.5), RangeError);
  assert.throws(() => encodeVint(2 ** 60), RangeError);
});

test('vint: round trip through the reader at every length boundary', () => {
  for (let len = 1; len <= 7; len++) {
    for (const v of [2 ** (7 * (len - 1)) - 1, 2 ** (7 * (len - 1)), 2 ** (7 * len) - 2]) {
      if (v < 0) continue;
      const bytes = encodeVint(v);
      assert.deepEqual(readVint(bytes, 0), { value: v, length: bytes.length }, `value ${v}`);
    }
  }
});

test('ids are their raw bytes, length marker included; invalid ids are refused', () => {
  assert.deepEqual([...encodeId(ID.SimpleBlock)], [0xa3]);
  assert.deepEqual([...encodeId(ID.DocType)], [0x42, 0x82]);
  assert.deepEqual([...encodeId(ID.TimecodeScale)], [0x2a, 0xd7, 0xb1]);
  assert.deepEqual([...encodeId(ID.EBML)], [0x1a, 0x45, 0xdf, 0xa3]);
  assert.deepEqual([...encodeId(ID.Segment)], [0x18, 0x53, 0x80, 0x67]);
  for (const [name, id] of Object.entries(ID)) assert.equal(readId(encodeId(id), 0).id, id, name);
  assert.throws(() => encodeId(0x42), RangeError); // 1-byte ids start with bit 1
  assert.throws(() => encodeId(0x1234), RangeError); // 0x12 marks a 4-byte id
  assert.throws(() => encodeId(0), RangeError);
});

test('uints: big-endian, shortest unless a length is given', () => {
  assert.deepEqual([...uintBytes(0)], [0]);
  assert.deepEqual([...uintBytes(255)], [0xff]);
  assert.deepEqual([...uintBytes(256)], [1, 0]);
  assert.deepEqual([...uintBytes(1_000_000)], [0x0f, 0x42, 0x40]);
  assert.deepEqual([...uintBytes(2 ** 40 + 1)], [1, 0, 0, 0, 0, 1]);
  assert.deepEqual([...uintBytes(3, 8)], [0, 0, 0, 0, 0, 0, 0, 3]);
  assert.throws(() => uintBytes(256, 1), RangeError);
});

// ------------------------------------------------------------------------------------------ whole files

/** n frames at fps, payload i filled with byte i (sizes vary so positions are not regular); key every `gop`. */
function frames(n: number, fps: number, gop = 1): EncodedFrame[] {
  return Array.from({ length: n }, (_, i) => ({
    data: new Uint8Array(50 + ((i * 37) % 200)).fill(i & 0xff),
    timestampUs: Math.round((i * 1e6) / fps),
    keyframe: i % gop === 0,
  }));
}

const OPTIONS: WebmOptions = { width: 320, height: 240, codecId: 'V_VP9', fps: 30 };

test('header, info and track describe a webm video of the given size, codec and frame rate', () => {
  const b = muxWebm(OPTIONS, frames(60, 30));
  const { header, segment, body } = parseFile(b);
  const h = kids(b, header);
  assert.equal(str(b, one(h, ID.DocType)), 'webm');
  assert.equal(uint(b, one(h, ID.DocTypeReadVersion)), 2);
  // Known segment size, ending exactly at the end of the file.
  assert.equal(segment.dataEnd, b.length);
  assert.deepEqual(ids(body).filter((id) => id !== ID.Cluster), [ID.SeekHead, ID.Info, ID.Tracks, ID.Cues]);

  const info = kids(b, one(body, ID.Info));
  assert.equal(uint(b, one(info, ID.TimecodeScale)), 1_000_000);
  const duration = one(info, ID.Duration);
  assert.equal(duration.dataEnd - duration.dataStart, 8);
  assert.equal(new DataView(b.buffer, b.byteOffset + duration.dataStart, 8).getFloat64(0), 2000);
  assert.ok(str(b, one(info, ID.MuxingApp)).length > 0);
  assert.ok(str(b, one(info, ID.WritingApp)).length > 0);

  const entry = one(kids(b, one(body, ID.Tracks)), ID.TrackEntry);
  const t = kids(b, entry);
  assert.equal(uint(b, one(t, ID.TrackNumber)), 1);
  assert.ok(uint(b, one(t, ID.TrackUID)) > 0);
  assert.equal(str(b, one(t, ID.CodecID)), 'V_VP9');
  assert.equal(uint(b, one(t, ID.TrackType)), 1);
  assert.equal(uint(b, one(t, ID.DefaultDuration)), 33_333_333);
  const video = kids(b, one(t, ID.Video));
  assert.equal(uint(b, one(video, ID.PixelWidth)), 320);
  assert.equal(uint(b, one(video, ID.PixelHeight)), 240);
  assert.equal(video.filter((e) => e.id === ID.Colour).length, 0);
});

test('SeekHead positions point at Info, Tracks and Cues', () => {
  const b = muxWebm(OPTIONS, frames(10, 30));
  const { segment, body } = parseFile(b);
  const seeks = kids(b, one(body, ID.SeekHead)).map((s) => kids(b, s));
  assert.equal(seeks.length, 3);
  for (const s of seeks) {
    const target = readId(b.subarray(one(s, ID.SeekID).dataStart), 0).id;
    const el = body.find((e) => e.start === segment.dataStart + uint(b, one(s, ID.SeekPosition)));
    assert.ok(el, `a top-level element at SeekPosition for 0x${target.toString(16)}`);
    assert.equal(el.id, target);
  }
  assert.deepEqual(
    seeks.map((s) => readId(b.subarray(one(s, ID.SeekID).dataStart), 0).id),
    [ID.Info, ID.Tracks, ID.Cues],
  );
});

interface Block {
  clusterMs: number;
  relMs: number;
  keyframe: boolean;
  data: Uint8Array;
}

function blocks(b: Uint8Array, body: El[]): Block[] {
  const out: Block[] = [];
  for (const c of body.filter((e) => e.id === ID.Cluster)) {
    const parts = kids(b, c);
    assert.equal(parts[0]!.id, ID.Timecode, 'a cluster starts with its Timecode');
    const clusterMs = uint(b, parts[0]!);
    for (const sb of parts.slice(1)) {
      assert.equal(sb.id, ID.SimpleBlock);
      const track = readVint(b, sb.dataStart);
      assert.equal(track.value, 1);
      const at = sb.dataStart + track.length;
      const relMs = new DataView(b.buffer, b.byteOffset + at, 2).getInt16(0);
      const flags = b[at + 2]!;
      assert.equal(flags & 0x7f, 0, 'no lacing or other flags');
      out.push({ clusterMs, relMs, keyframe: (flags & 0x80) !== 0, data: b.subarray(at + 3, sb.dataEnd) });
    }
  }
  return out;
}

test('every frame is a SimpleBlock at its ms time with its bytes; a cluster per keyframe', () => {
  const input = frames(60, 30);
  const b = muxWebm(OPTIONS, input);
  const { body } = parseFile(b);
  assert.equal(body.filter((e) => e.id === ID.Cluster).length, 60);
  const got = blocks(b, body);
  assert.equal(got.length, 60);
  got.forEach((blk, i) => {
    assert.equal(blk.clusterMs + blk.relMs, Math.round((i * 1000) / 30), `frame ${i} time`);
    assert.equal(blk.keyframe, true);
    assert.deepEqual(blk.data, input[i]!.data);
  });
});

test('Cues: one per keyframe, each pointing at the cluster that starts at its time', () => {
  const input = frames(45, 30, 5);
  const b = muxWebm(OPTIONS, input);
  const { segment, body } = parseFile(b);
  const clusters = body.filter((e) => e.id === ID.Cluster);
  assert.equal(clusters.length, 9);
  const points = kids(b, one(body, ID.Cues));
  assert.equal(points.length, 9);
  points.forEach((p, k) => {
    assert.equal(p.id, ID.CuePoint);
    const cp = kids(b, p);
    const time = uint(b, one(cp, ID.CueTime));
    assert.equal(time, Math.round((k * 5 * 1000) / 30));
    const pos = kids(b, one(cp, ID.CueTrackPositions));
    assert.equal(uint(b, one(pos, ID.CueTrack)), 1);
    const cluster = clusters.find((c) => c.start === segment.dataStart + uint(b, one(pos, ID.CueClusterPosition)));
    assert.ok(cluster, `cue ${k} points at a cluster`);
    const parts = kids(b, cluster);
    assert.equal(uint(b, one(parts, ID.Timecode)), time);
    const first = blocks(b, [cluster])[0]!;
    assert.equal(first.keyframe, true);
    assert.equal(first.relMs, 0);
  });
  // Delta frames are flagged as such and stay in their keyframe's cluster.
  const got = blocks(b, body);
  assert.deepEqual(
    got.map((blk) => blk.keyframe),
    input.map((f) => f.keyframe),
  );
  assert.ok(got.every((blk) => blk.relMs >= 0 && blk.relMs < 5 * 34));
});

test('a long GOP is split before block offsets overflow int16 ms; only keyframes get cues', () => {
  // 1 fps, 100 s, keyframes at 0 s and 70 s only.
  const input = frames(100, 1).map((f, i) => ({ ...f, keyframe: i === 0 || i === 70 }));
  const b = muxWebm({ ...OPTIONS, fps: 1 }, input);
  const { body } = parseFile(b);
  const got = blocks(b, body);
  assert.equal(got.length, 100);
  got.forEach((blk, i) => {
    assert.equal(blk.clusterMs + blk.relMs, i * 1000);
    assert.ok(blk.relMs >= 0 && blk.relMs <= 0x7fff);
  });
  const cueTimes = kids(b, one(body, ID.Cues)).map((p) => uint(b, one(kids(b, p), ID.CueTime)));
  assert.deepEqual(cueTimes, [0, 70_000]);
  const info = kids(b, one(body, ID.Info));
  assert.equal(new DataView(b.buffer, b.byteOffset + one(info, ID.Duration).dataStart, 8).getFloat64(0), 100_000);
});

test('Colour is written inside Video when given', () => {
  const b = muxWebm({ ...OPTIONS, codecId: 'V_VP8', colour: { matrix: 1, fullRange: true, transfer: 13, primaries: 1 } }, frames(2, 30));
  const { body } = parseFile(b);
  const t = kids(b, one(kids(b, one(body, ID.Tracks)), ID.TrackEntry));
  const colour = kids(b, one(kids(b, one(t, ID.Video)), ID.Colour));
  assert.equal(uint(b, one(colour, ID.MatrixCoefficients)), 1);
  assert.equal(uint(b, one(colour, ID.Range)), 2);
  assert.equal(uint(b, one(colour, ID.TransferCharacteristics)), 13);
  assert.equal(uint(b, one(colour, ID.Primaries)), 1);
});

test('large frames get multi-byte sizes and the output is deterministic', () => {
  const big: EncodedFrame[] = [{ data: new Uint8Array(3_000_000).fill(7), timestampUs: 0, keyframe: true }];
  const b = muxWebm(OPTIONS, big);
  const [blk] = blocks(b, parseFile(b).body);
  assert.equal(blk!.data.length, 3_000_000);
  assert.deepEqual(muxWebm(OPTIONS, frames(5, 30)), muxWebm(OPTIONS, frames(5, 30)));
});

test('invalid input is refused', () => {
  assert.throws(() => muxWebm(OPTIONS, []), RangeError);
  assert.throws(() => muxWebm({ width: 1, height: 1, codecId: 'V_VP8' }, frames(1, 30)), RangeError);
  assert.throws(() => muxWebm(OPTIONS, frames(3, 30, 2).slice(1)), RangeError); // starts with a delta frame
  const backwards = frames(3, 30);
  backwards[2]!.timestampUs = 0;
  assert.throws(() => muxWebm(OPTIONS, backwards), RangeError);
});
