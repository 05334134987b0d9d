// The public types of video tracking sessions (`trackVideo()` and the element's `track()`).
import type { MaskOverlay, TrackPrompt, TrackerStats } from '../shared/types.js';
import type { Sam2Mask } from './mask.js';
import type { VideoExportKind, VideoExportProgress } from '../shared/media-types.js';

/** How a session reads its frames: `demux` (the clip read in the worker) or `element` (the `<video>` stepped or played). */
export type FrameSourceKind = 'demux' | 'element';

/** What `track()` follows: a `<video>`, a camera/screen `MediaStream`, or a clip by URL or Blob. */
export type TrackSource = HTMLVideoElement | MediaStream | string | URL | Blob;

/** `live` follows playback in real time, dropping frames; `complete` tracks every frame of a clip. */
export type TrackMode = 'live' | 'complete';

/** A prompt on one frame of the video. */
export interface TrackFramePrompt extends TrackPrompt {
  /** Frame index: the clip's n-th frame in presentation order (live: as numbered in `track-frame`); default: the frame the video shows now. */
  frame?: number;
}

/** @internal Complete mode's default `TrackOptions.history`. */
export const CORRECTION_HISTORY = 30;

/** Options of `track()`. */
export interface TrackOptions {
  /** Default: `live` for a MediaStream, `complete` otherwise. */
  mode?: TrackMode;
  /** Prompts, each on a frame; the element uses the user's prompts on the shown frame when absent. */
  prompts?: TrackFramePrompt[];
  /** `complete`: track from the prompted frame towards the end (default) or towards the start. */
  direction?: 'forward' | 'backward';
  /**
   * @deprecated Not used by `complete` mode, which reads the clip's own frames and timestamps. Live mode on a clip
   * still numbers frames as mediaTime × fps (default 30).
   */
  fps?: number;
  /** `complete`: first frame to track (default: the first prompted frame, or the last one going backward). */
  startFrame?: number;
  /** `complete`: last frame to track, inclusive (default: the clip's last frame, or 0 going backward). */
  endFrame?: number;
  /** Keep each frame's masks as COCO RLE for `toJSON()` (default true). */
  record?: boolean;
  /**
   * `complete`: how many frames behind the tracked one a correction (`addPrompt` on an earlier frame) is decoded
   * on exactly the memories, pointers and mask that frame had; the frames after it are tracked again. Default 30;
   * `Infinity` for the whole clip, at about 0.8 MB per frame and object on SAM 2.1. Further back, the prompt starts
   * a new conditioning frame.
   */
  history?: number;
  /** Aborting stops the session like `stop()`. */
  signal?: AbortSignal;
}

/** One object on one tracked frame. */
export interface TrackedObject {
  objectId: number;
  frame: number;
  /** Seconds: the frame's presentation timestamp (the container's for clips). */
  time: number;
  /** Predicted IoU (0..1); 0 where the object is absent. */
  score: number;
  /** Object score logit: > 0 means SAM 2 sees the object (the mask is empty otherwise). */
  objectScore: number;
  present: boolean;
  mask: Sam2Mask;
}

/** Every object on one tracked frame. */
export interface TrackFrame {
  frame: number;
  time: number;
  objects: TrackedObject[];
  /** Frames tracked so far in this session. */
  processed: number;
  /** `live`: frames shown but not tracked so far (the backend was busy). */
  dropped: number;
  /** `complete`: share of the frame range done (0..1); null for live. */
  progress: number | null;
}

/** How a session ended. */
export interface TrackSummary {
  /** `completed`: every frame of the range; `ended`: the live video ended; `stopped`: stop(), abort or removal. */
  reason: 'completed' | 'ended' | 'stopped';
  mode: TrackMode;
  /** Frames tracked. */
  frames: number;
  /** Frames shown but not tracked (live). */
  dropped: number;
  /** Objects tracked at the end. */
  objects: number[];
  /** Wall time from start to end, and tracked frames per second over it. */
  durationMs: number;
  fps: number;
  /** The tracker's memory and per-graph time just before it was freed. */
  stats: TrackerStats | null;
  /** Where frames came from: `demux` (the clip read in the worker) or `element` (the `<video>` stepped or played). */
  source: FrameSourceKind;
  /** Complete mode: the clip's frame count, duration and average frame rate (null for live). */
  clip: ClipSummary | null;
}

/** What a complete-mode session learned about its clip. */
export interface ClipSummary {
  frameCount: number;
  /** Seconds from the first frame's start to the last frame's end. */
  duration: number;
  /** frameCount / duration (reported only: frames are placed by their own timestamps). */
  fps: number;
}

/** Options of `exportVideo()`. */
export interface VideoExportOptions {
  /** `cutout`: the objects on transparency (WebM, VP9/VP8 with an alpha stream); `matte`: white on black; `overlay`: burnt in. */
  kind: VideoExportKind;
  /** Objects to include (default: every tracked object). */
  objectIds?: number[];
  /** Overlay colour (CSS), `overlay` only. */
  color?: string;
  onProgress?: (p: VideoExportProgress) => void;
  signal?: AbortSignal;
}

/** `toJSON()` of a session: per frame and object, COCO RLE (pycocotools layout), bbox [x, y, w, h] and scores. */
export interface TrackExport {
  format: 'sam2-segmenter/track';
  version: 1;
  width: number;
  height: number;
  fps: number;
  frames: {
    frame: number;
    time: number;
    objects: {
      objectId: number;
      score: number;
      objectScore: number;
      bbox: [number, number, number, number];
      area: number;
      segmentation: { size: [number, number]; counts: string };
    }[];
  }[];
}

/** A running tracking session. */
export interface TrackingSession extends AsyncIterable<TrackFrame> {
  readonly mode: TrackMode;
  /** `running`, `paused` or `done`. */
  readonly state: 'running' | 'paused' | 'done';
  /** A prompt on any frame (default: the current one): a new object, more points, or a correction of a tracked frame. */
  addPrompt(prompt: TrackFramePrompt): Promise<TrackedObject>;
  /** Stops tracking one object; false when it was not tracked. */
  removeObject(objectId: number): Promise<boolean>;
  pause(): void;
  resume(): void;
  /** Ends the session after the frame in flight; resolves with the summary. */
  stop(): Promise<TrackSummary>;
  /** Settles when the session ends: the summary, or the coded error that ended it. */
  readonly finished: Promise<TrackSummary>;
  /** The recorded track (frames in order). */
  toJSON(): TrackExport;
  /** The worker-side tracker's memory and time per graph. */
  stats(): Promise<TrackerStats>;
  /** Complete mode: resolves with the clip's frame count, duration and rate once its frames are known. */
  readonly clip: Promise<ClipSummary | null>;
  /** The frame index shown at `time` seconds (complete mode: by the clip's own timestamps). */
  frameAtTime(time: number): number;
  /**
   * Writes the clip with the recorded masks as a WebM, in the worker: every source frame, with its timestamp, and the
   * audio where WebM can carry it. Needs a clip the worker reads (`summary.source === 'demux'`); call it any time after
   * tracking started (frames not tracked yet have no mask).
   */
  exportVideo(options: VideoExportOptions): Promise<Blob>;
}

/** Callbacks the element uses to draw and dispatch events. */
export interface TrackingHooks {
  /** Ask the worker for an alpha bitmap per mask (transferred to `onFrame`, which must close them). */
  overlay?: boolean;
  onFrame?(frame: TrackFrame, overlays: Map<number, MaskOverlay>): void;
  onPrompt?(object: TrackedObject, overlay: MaskOverlay | null): void;
}
