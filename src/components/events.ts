// The element's events, one `CustomEvent<Detail>` type each. They are typed on the element's own addEventListener
// overloads (and `document.querySelector('sam2-segmenter')` returns the element through HTMLElementTagNameMap), not in
// the global HTMLElementEventMap: names like `ready` or `error` there would clash with other libraries' (TS2717).
import type { ImageEncodeTimings, ModelProgress, ReadyInfo, Sam2ErrorCode } from '../shared/types.js';
import type { Sam2Mask } from '../client/mask.js';
import type { TrackFrame, TrackSummary } from '../client/tracking-session.js';

/** Detail of `mask-change`: the object's new mask (an empty mask, area 0, when the prompts were cleared). */
export interface Sam2MaskChangeDetail {
  /** Object the mask belongs to. */
  objectId: number;
  /** Predicted IoU of the shown candidate (0..1); 0 when cleared. */
  score: number;
  /** Object score logit: > 0 means SAM 2 thinks an object is there; 0 when cleared. */
  objectScore: number;
  /** Decoder candidate shown; -1 when cleared. */
  candidate: number;
  /** The mask at the media's natural size; empty (area 0) after `clear()`. */
  mask: Sam2Mask;
  /** Tracking: the video frame index (time × fps) the mask belongs to. */
  frame?: number;
  /** Tracking: the frame's time in seconds. */
  time?: number;
}

/** Detail of `image-encoded`: the media's natural size and where its encode spent its time (ms). */
export interface Sam2ImageEncodedDetail {
  width: number;
  height: number;
  timings: ImageEncodeTimings;
}

/** Detail of `error`. */
export interface Sam2ErrorDetail {
  /** Stable machine-readable code. */
  code: Sam2ErrorCode;
  /** Human message. */
  message: string;
  /** The underlying error. */
  error?: unknown;
}

/** Fired when the model has loaded; reports the backend that runs it. */
export type Sam2ReadyEvent = CustomEvent<ReadyInfo>;
/** Fired while the model downloads, is read from the cache, or compiles. */
export type Sam2ModelProgressEvent = CustomEvent<ModelProgress>;
/** Fired when the shown mask changes (a prompt, undo, clear). */
export type Sam2MaskChangeEvent = CustomEvent<Sam2MaskChangeDetail>;
/** Fired when the image (or the video frame shown) has been encoded, so that a prompt now only decodes. */
export type Sam2ImageEncodedEvent = CustomEvent<Sam2ImageEncodedDetail>;
/** Fired when loading, decoding or segmenting fails; does not bubble. */
export type Sam2ErrorEvent = CustomEvent<Sam2ErrorDetail>;

/** A non-fatal problem, e.g. code `storage` when the model cache is unavailable; the element keeps working. */
export type Sam2WarningEvent = CustomEvent<Sam2ErrorDetail>;

/** Fired once per tracked frame, after that frame's `mask-change` events; `detail` has every object. */
export type Sam2TrackFrameEvent = CustomEvent<TrackFrame>;
/** Fired when a tracking session ends without an error (an error fires `error` instead). */
export type Sam2TrackEndEvent = CustomEvent<TrackSummary>;

/** Every event `<sam2-segmenter>` fires, by name. */
export interface Sam2SegmenterEventMap {
  ready: Sam2ReadyEvent;
  'model-progress': Sam2ModelProgressEvent;
  'mask-change': Sam2MaskChangeEvent;
  'image-encoded': Sam2ImageEncodedEvent;
  'track-frame': Sam2TrackFrameEvent;
  'track-end': Sam2TrackEndEvent;
  error: Sam2ErrorEvent;
  warning: Sam2WarningEvent;
}
