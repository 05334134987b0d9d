// Public types of clips read in the worker and of video exports. No runtime code here.

/** What the worker reads from a clip's container before tracking it. */
export interface ClipInfo {
  /** Frames in presentation order (the container's own count). */
  frameCount: number;
  /** Seconds from the first frame's start to the last frame's end. */
  duration: number;
  /** frameCount / duration: an average that is reported, never used to place frames. */
  fps: number;
  width: number;
  height: number;
  /** The container's codec name, e.g. `vp9`, `avc`, `av1`. */
  codec: string;
  /** Presentation time of each frame in seconds, in frame order (the container's clock). */
  timestamps: number[];
  /** The clip has an audio track (exports copy it where the container allows). */
  hasAudio: boolean;
}

/** What `exportVideo()` draws: the objects alone on transparency, the mask as white on black, or burnt in. */
export type VideoExportKind = 'cutout' | 'matte' | 'overlay';

/** Progress of an export: frames written of frames in the clip. */
export interface VideoExportProgress {
  frames: number;
  total: number;
}

/** One frame's masks for the worker's exporter: COCO RLE of every selected object (empty: nothing on that frame). */
export type ExportFrameMasks = { size: [number, number]; counts: string }[];

/** What the page sends the worker for an export. */
export interface VideoExportRequest {
  kind: VideoExportKind;
  /** Masks per frame index (missing or empty: no object on that frame). */
  masks: (ExportFrameMasks | undefined)[];
  /** Overlay colour as CSS (default a translucent blue). */
  color?: string;
}
