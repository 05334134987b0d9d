// Public types shared by the headless engine API and the element. No runtime code here.

/** Model preset names accepted as `model`. */
/** Names of the video-export presets. */
export type VideoPresetName =
  | 'sam2.1-tiny-video'
  | 'sam2.1-small-video'
  | 'sam2.1-base-plus-video'
  | 'sam2.1-large-video'
  | 'sam2.1-tiny-video-fp32'
  | 'edgetam-video'
  | 'sam2.1-video-twin-a'
  | 'sam2.1-video-twin-b512'
  | 'edgetam-video-twin-c';

/** Names accepted as `model`: image presets, and the video-export presets. */
export type PresetName = 'twin' | 'tiny' | 'small' | 'base-plus' | 'large' | VideoPresetName;

/** Which onnxruntime-web backend runs the model: `auto` tries WebGPU, then WASM. */
export type DeviceOption = 'auto' | 'webgpu' | 'wasm';

/** Stable error codes carried by every error the SDK raises or dispatches. */
export type Sam2ErrorCode =
  | 'model-fetch'
  | 'model-integrity'
  | 'model-contract'
  | 'storage'
  | 'backend-unavailable'
  | 'media-cross-origin'
  | 'media-decode'
  | 'invalid-prompt'
  | 'invalid-option'
  | 'aborted'
  | 'worker-crashed'
  | 'not-ready'
  | 'internal';

/** A point's label: `positive` (or SAM's 1) adds the region, `negative` (or 0) removes it. */
export type PointLabel = 'positive' | 'negative' | 1 | 0;

/** SAM's box-corner labels: 2 top-left, 3 bottom-right; a prompt's points may hold one pair instead of `box`. */
export type BoxCornerLabel = 2 | 3;

/** A click in the media's natural pixel coordinates. */
export interface PromptPoint {
  x: number;
  y: number;
  /** `positive`/1 adds the region, `negative`/0 removes it; 2 and 3 are a box's corners (one pair per prompt). */
  label: PointLabel | BoxCornerLabel;
}

/** A box in the media's natural pixel coordinates (x0, y0) top-left, (x1, y1) bottom-right. */
export interface PromptBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What `segment()` takes. */
export interface SegmentPrompt {
  points?: PromptPoint[];
  box?: PromptBox | null;
  /** Object the prompt refines; defaults to 1. */
  objectId?: number;
  /** Feed the previous low-res logits of this object as the mask prompt (default true). */
  refine?: boolean;
}

/** What the `ready` event and `Segmenter.ready` report. */
export interface ReadyInfo {
  /** The backend that actually runs the model. */
  backend: 'webgpu' | 'wasm';
  /** WASM threads in use (1 when the page is not cross-origin isolated). */
  threads: number;
  /** Contract id of the loaded bundle, e.g. `sam2-video-4g/1` or `onnx-community/sam2`. */
  contract: string;
  /** What the bundle can do. */
  capabilities: readonly ('image' | 'video')[];
}

/** Progress of a model load, with one stable shape for every phase. */
export interface ModelProgress {
  phase: 'download' | 'cache' | 'compile';
  file: string;
  loaded: number;
  total: number;
}

/** Where one image's encode spent its time, in milliseconds. */
export interface ImageEncodeTimings {
  /** Resizing and normalising the image into the model's input (worker). */
  preprocess: number;
  /** Running the image encoder (worker). */
  encode: number;
  /** From `setImage()` to its result on the page: also queueing behind other calls, transfers and any model load. */
  total: number;
}

/** A binary mask as the worker returns it: compact bytes at the media's natural size. */
export interface MaskData {
  width: number;
  height: number;
  /** Row-major, one byte per pixel, 1 inside, 0 outside. */
  data: Uint8Array;
  /** [x, y, width, height] of the mask's pixels, all zeros when empty. */
  bbox: [number, number, number, number];
  area: number;
}

/** A mask as an overlay draws it: an alpha bitmap (opaque white inside) of the mask's bounding box only. */
export interface MaskOverlay {
  bitmap: ImageBitmap;
  /** The [x, y, width, height] of the frame, in natural pixels, that the bitmap covers; all zeros: nothing to draw. */
  bbox: [number, number, number, number];
}

/** The result of one decode for one object. */
export interface SegmentResultData {
  objectId: number;
  /** Predicted IoU of the selected candidate (SAM 2's own estimate, 0..1). */
  score: number;
  /** Object score logit: > 0 means SAM 2 thinks an object is there. */
  objectScore: number;
  /** Index of the decoder candidate shown. */
  candidate: number;
  mask: MaskData;
  /**
   * The mask as an alpha bitmap (opaque white inside), made in the worker so the page only draws and tints it. It
   * covers `mask.bbox` only (draw it scaled into that box; 1x1 transparent for an empty mask), at natural
   * resolution, or sampled down as the whole image would be to 1024 px on its longer side. Absent where the worker
   * cannot make bitmaps.
   */
  overlay?: ImageBitmap;
}

/** A prompt for one object on one video frame (natural pixels of that frame). */
export interface TrackPrompt {
  /** Object the prompt is for; a new id adds an object. Default 1. */
  objectId?: number;
  points?: PromptPoint[];
  box?: PromptBox | null;
}

/** One object on one tracked frame, as the worker returns it. */
export interface TrackObjectData {
  objectId: number;
  frame: number;
  /** Predicted IoU of the shown candidate (0..1); 0 where the object is absent. */
  score: number;
  /** Object score logit: > 0 means SAM 2 sees the object on this frame (the mask is empty otherwise). */
  objectScore: number;
  present: boolean;
  mask: MaskData;
  /** The same mask as COCO compressed RLE, made in the worker so that exports cost the page nothing. */
  rle: { size: [number, number]; counts: string };
  /**
   * Alpha bitmap of the mask's box `mask.bbox` for drawing, sampled down as `SegmentResultData.overlay` is (absent
   * where the worker cannot make bitmaps, or when not asked for).
   */
  overlay?: ImageBitmap;
}

/** Every tracked object on one frame. */
export interface TrackFrameData {
  frame: number;
  objects: TrackObjectData[];
}

/** How a prompt on a video frame was applied. */
export interface TrackPromptData extends TrackObjectData {
  /** `initial`: a new conditioning frame; `refine`: more points on one; `correction`: a prompt on a tracked frame. */
  kind: 'initial' | 'refine' | 'correction';
  /** Frames already tracked after this one whose results are stale now and must be tracked again. */
  invalidated: number[];
}

/** Memory and time a tracker holds and has spent. */
export interface TrackerStats {
  /** Bytes of memory features, pointers and masks held by every object's memory bank. */
  bytes: number;
  objects: number;
  /** Object-frames holding memory features (what the correction history costs shows here and in `bytes`). */
  memories: number;
  /** Frames whose image-encoder outputs are cached. */
  encodedFrames: number;
  /** Calls and total milliseconds per graph since the tracker opened. */
  timings: Record<'imageEncoder' | 'maskDecoder' | 'memoryEncoder' | 'memoryAttention', { calls: number; ms: number }>;
  /**
   * Bytes this tracker moved between the CPU and the GPU (WebGPU; zero on WASM), with the tracked frames and
   * object-frames they were spent on: `readbackBytes / objectFrames` is the readback per tracked frame and object.
   */
  transfer: TransferStats;
}

/** Bytes uploaded to and read back from the GPU, and what they were spent on. */
export interface TransferStats {
  uploadBytes: number;
  readbackBytes: number;
  /** Tracked frames (`step` calls; prompts not included). */
  frames: number;
  /** Sum over tracked frames of the objects tracked on them. */
  objectFrames: number;
  /** Bytes of prompts (`prompt` calls), counted apart from tracked frames. */
  promptUploadBytes: number;
  promptReadbackBytes: number;
  prompts: number;
}
