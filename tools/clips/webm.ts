// Minimal WebM (Matroska subset) muxer for one video track of already-encoded frames. Pure: no DOM, so it
// runs in node tests as well as in the browser (tools/clips/synthetic-clip.ts feeds it WebCodecs chunks).
//
// Layout: EBML header, then one Segment of known size holding SeekHead, Info, Tracks, Clusters, Cues.
// Cues come last (their positions are only known once the clusters are laid out); the SeekHead at the
// front points at them, which is how players (Chromium's FFmpeg demuxer included) find them without a
// linear scan. A cue per keyframe makes seeking land on the exact cluster instead of a nearby one.

/** Element ids, written as their raw bytes (the length marker is part of the id). */
export const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  FlagLacing: 0x9c,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  TrackType: 0x83,
  DefaultDuration: 0x23e383,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Colour: 0x55b0,
  MatrixCoefficients: 0x55b1,
  Range: 0x55b9,
  TransferCharacteristics: 0x55ba,
  Primaries: 0x55bb,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
} as const;

export interface EncodedFrame {
  data: Uint8Array;
  /** Presentation time in microseconds; must not decrease (VP8/VP9 have no reordering). */
  timestampUs: number;
  keyframe: boolean;
}

/**
 * How the decoder must turn YUV back into RGB, as ISO/IEC 23091-4 (H.273) code points. VP9 carries this in its
 * bitstream, VP8 does not: without it Chromium decodes VP8 as BT.601 limited range, visibly shifting colours of
 * frames that WebCodecs encoded as BT.709 full range.
 */
export interface WebmColour {
  /** e.g. 1 = BT.709, 5 = BT.470BG, 6 = SMPTE 170M. */
  matrix?: number;
  fullRange?: boolean;
  /** e.g. 1 = BT.709, 6 = SMPTE 170M, 13 = sRGB (IEC 61966-2-1). */
  transfer?: number;
  /** e.g. 1 = BT.709, 5 = BT.470BG, 6 = SMPTE 170M. */
  primaries?: number;
}

export interface WebmOptions {
  width: number;
  height: number;
  /** Matroska codec id, e.g. 'V_VP8', 'V_VP9'. */
  codecId: string;
  /** Frame rate; gives DefaultDuration and the last frame's duration. Ignored if frameDurationUs is set. */
  fps?: number;
  frameDurationUs?: number;
  codecPrivate?: Uint8Array;
  colour?: WebmColour;
  /** Written as MuxingApp and WritingApp. */
  app?: string;
}

const TIMECODE_SCALE_NS = 1_000_000; // 1 ms ticks: what players expect; block times are int16 ms offsets.
const MAX_VINT_LENGTH = 8;

/**
 * EBML variable-size integer: the count of leading zero bits of the first byte gives the length, the rest
 * is the value. In each length the all-ones value is reserved for "unknown size", so the largest value for
 * L bytes is 2^(7L) - 2 (126 needs 1 byte, 127 needs 2). `length` forces a wider encoding (any value fits
 * any length that can hold it, so a size can be patched in place or kept constant).
 */
export function encodeVint(value: number, length?: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`vint value ${value} is not a safe non-negative integer`);
  let len = 1;
  while (len < MAX_VINT_LENGTH && value > 2 ** (7 * len) - 2) len++;
  if (value > 2 ** (7 * len) - 2) throw new RangeError(`vint value ${value} does not fit in 8 bytes`);
  if (length !== undefined) {
    if (!Number.isInteger(length) || length < len || length > MAX_VINT_LENGTH) {
      throw new RangeError(`vint value ${value} does not fit in ${length} byte(s)`);
    }
    len = length;
  }
  // The value's big-endian bytes (it fits: len bytes hold 7·len value bits), then the length marker.
  const out = uintBytes(value, len);
  out[0]! |= 0x80 >> (len - 1);
  return out;
}

/** An element id as its raw big-endian bytes (1 to 4); ids already carry their own length marker. */
export function encodeId(id: number): Uint8Array {
  const len = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  const expectedMarker = 0x80 >> (len - 1);
  const first = Math.floor(id / 2 ** (8 * (len - 1)));
  if (id <= 0 || id > 0xffffffff || (first & ~(expectedMarker - 1) & 0xff) !== expectedMarker) {
    throw new RangeError(`0x${id.toString(16)} is not a valid EBML id`);
  }
  return uintBytes(id, len);
}

/** Big-endian unsigned integer in the fewest bytes (at least one), or exactly `length` bytes. */
export function uintBytes(value: number, length?: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`uint ${value} is not a safe non-negative integer`);
  let len = 1;
  while (len < 8 && value >= 2 ** (8 * len)) len++;
  if (length !== undefined) {
    if (length < len) throw new RangeError(`uint ${value} does not fit in ${length} byte(s)`);
    len = length;
  }
  const out = new Uint8Array(len);
  let v = value;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** id + size + payload. The size uses the shortest vint unless `sizeLength` pins it. */
export function element(id: number, payload: Uint8Array | readonly Uint8Array[], sizeLength?: number): Uint8Array<ArrayBuffer> {
  const body = payload instanceof Uint8Array ? payload : concat(payload);
  return concat([encodeId(id), encodeVint(body.length, sizeLength), body]);
}

const uintEl = (id: number, value: number, length?: number) => element(id, uintBytes(value, length));
const stringEl = (id: number, value: string) => element(id, new TextEncoder().encode(value));
function floatEl(id: number, value: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, value); // big-endian, as EBML requires
  return element(id, b);
}

function ebmlHeader(): Uint8Array {
  return element(ID.EBML, [
    uintEl(ID.EBMLVersion, 1),
    uintEl(ID.EBMLReadVersion, 1),
    uintEl(ID.EBMLMaxIDLength, 4),
    uintEl(ID.EBMLMaxSizeLength, 8),
    stringEl(ID.DocType, 'webm'),
    // Version 2 introduced SimpleBlock.
    uintEl(ID.DocTypeVersion, 2),
    uintEl(ID.DocTypeReadVersion, 2),
  ]);
}

/** SimpleBlock payload: track number (vint), int16 time relative to the cluster, flags, frame bytes. */
function simpleBlock(track: number, relativeMs: number, keyframe: boolean, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(3);
  new DataView(head.buffer).setInt16(0, relativeMs);
  head[2] = keyframe ? 0x80 : 0x00; // no lacing, not invisible, not discardable
  return element(ID.SimpleBlock, [encodeVint(track), head, data]);
}

function colourEl(c: WebmColour): Uint8Array {
  const parts: Uint8Array[] = [];
  if (c.matrix !== undefined) parts.push(uintEl(ID.MatrixCoefficients, c.matrix));
  if (c.fullRange !== undefined) parts.push(uintEl(ID.Range, c.fullRange ? 2 : 1)); // 1 broadcast, 2 full
  if (c.transfer !== undefined) parts.push(uintEl(ID.TransferCharacteristics, c.transfer));
  if (c.primaries !== undefined) parts.push(uintEl(ID.Primaries, c.primaries));
  return element(ID.Colour, parts);
}

const TRACK = 1;
const INT16_MAX = 0x7fff;

/** Muxes one video track into a complete WebM file. */
export function muxWebm(options: WebmOptions, frames: readonly EncodedFrame[]): Uint8Array<ArrayBuffer> {
  const { width, height, codecId } = options;
  const frameDurationUs = options.frameDurationUs ?? (options.fps !== undefined ? 1e6 / options.fps : undefined);
  if (frameDurationUs === undefined || !(frameDurationUs > 0)) throw new RangeError('muxWebm needs fps or frameDurationUs > 0');
  if (frames.length === 0) throw new RangeError('muxWebm needs at least one frame');
  if (!frames[0]!.keyframe) throw new RangeError('the first frame must be a keyframe');
  const app = options.app ?? 'sam2-segmenter tools/clips/webm.ts';

  // Clusters: a new one at every keyframe, so every cue points at a cluster that starts with its keyframe
  // (a seek reads from there, not from an earlier keyframe); also when a block's int16 ms offset would overflow.
  type ClusterPlan = { timecodeMs: number; blocks: Uint8Array[]; keyframe: boolean };
  const clusters: ClusterPlan[] = [];
  let lastUs = -Infinity;
  for (const f of frames) {
    if (!(f.timestampUs >= lastUs)) throw new RangeError(`frame timestamps must not decrease (${f.timestampUs} after ${lastUs})`);
    lastUs = f.timestampUs;
    const ms = Math.round(f.timestampUs / 1000);
    let current = clusters[clusters.length - 1];
    if (!current || f.keyframe || ms - current.timecodeMs > INT16_MAX) {
      current = { timecodeMs: ms, blocks: [], keyframe: f.keyframe };
      clusters.push(current);
    }
    current.blocks.push(simpleBlock(TRACK, ms - current.timecodeMs, f.keyframe, f.data));
  }
  const clusterBytes = clusters.map((c) => element(ID.Cluster, [uintEl(ID.Timecode, c.timecodeMs), ...c.blocks]));

  // End of the last frame, in whole µs: frame times were rounded to µs, so 60 frames at 30 fps end at 2000 ms.
  const durationMs = Math.round(lastUs + frameDurationUs) / 1000;
  const info = element(ID.Info, [
    uintEl(ID.TimecodeScale, TIMECODE_SCALE_NS),
    floatEl(ID.Duration, durationMs), // in TimecodeScale units, i.e. ms
    stringEl(ID.MuxingApp, app),
    stringEl(ID.WritingApp, app),
  ]);
  const tracks = element(ID.Tracks, [
    element(ID.TrackEntry, [
      uintEl(ID.TrackNumber, TRACK),
      uintEl(ID.TrackUID, 1), // fixed: byte-identical output for identical input
      uintEl(ID.FlagLacing, 0),
      stringEl(ID.CodecID, codecId),
      ...(options.codecPrivate ? [element(ID.CodecPrivate, options.codecPrivate)] : []),
      uintEl(ID.TrackType, 1), // video
      uintEl(ID.DefaultDuration, Math.round(frameDurationUs * 1000)), // ns
      element(ID.Video, [
        uintEl(ID.PixelWidth, width),
        uintEl(ID.PixelHeight, height),
        ...(options.colour ? [colourEl(options.colour)] : []),
      ]),
    ]),
  ]);

  // Positions are offsets from the first byte of the Segment's payload. SeekPosition is pinned to 8 bytes
  // so the SeekHead's size does not depend on the positions it holds (no fix-point iteration needed).
  const seek = (id: number, position: number) =>
    element(ID.Seek, [element(ID.SeekID, encodeId(id)), uintEl(ID.SeekPosition, position, 8)]);
  const seekHeadSize = element(ID.SeekHead, [seek(ID.Info, 0), seek(ID.Tracks, 0), seek(ID.Cues, 0)]).length;
  const infoPos = seekHeadSize;
  const tracksPos = infoPos + info.length;
  let pos = tracksPos + tracks.length;
  const cuePoints: Uint8Array[] = [];
  clusters.forEach((c, i) => {
    if (c.keyframe) {
      cuePoints.push(
        element(ID.CuePoint, [
          uintEl(ID.CueTime, c.timecodeMs),
          element(ID.CueTrackPositions, [uintEl(ID.CueTrack, TRACK), uintEl(ID.CueClusterPosition, pos)]),
        ]),
      );
    }
    pos += clusterBytes[i]!.length;
  });
  const cuesPos = pos;
  const cues = element(ID.Cues, cuePoints);
  const seekHead = element(ID.SeekHead, [seek(ID.Info, infoPos), seek(ID.Tracks, tracksPos), seek(ID.Cues, cuesPos)]);

  // Segment size is known, written as an 8-byte vint as most muxers do.
  return concat([ebmlHeader(), element(ID.Segment, [seekHead, info, tracks, ...clusterBytes, cues], 8)]);
}
