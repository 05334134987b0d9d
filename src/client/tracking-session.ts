// A tracking session drives SAM 2's video tracker over a real video (sam2-reference.md §3.9): it reads frames on the
// main thread as VideoFrames (zero-copy, transferred to the worker, never as pixel arrays), feeds prompts and frames to
// one worker-side tracker, and hands results out as callbacks, an async iterator and a summary promise.
//
//  - `complete` tracks every frame of a clip in order, forward or backward from the prompted frame. Frames are the
//    clip's own (./clip-source.ts): demuxed and decoded in the worker where it can read the clip (decoding runs ahead
//    of inference there), else stepped on the `<video>` by the timestamps it presents. No frame rate is assumed.
//  - `live` follows a playing video or a camera with requestVideoFrameCallback: a frame presented while the previous
//    one is still in the worker is dropped (and counted) instead of queued, so results never fall behind playback.
import type { Segmenter, Tracker } from './segmenter.js';
import { Sam2Error, abortedError, isSam2Error } from '../shared/errors.js';
import type { MaskOverlay, TrackObjectData, TrackerStats } from '../shared/types.js';
import { Sam2Mask } from './mask.js';
import { FrameFeed, TrackRecords, type Recorded } from './track-records.js';
import type { VideoClip } from './clip.js';
import type { VideoExportProgress } from '../shared/media-types.js';
import {
  frameIndexAt,
  frameMidpoint,
  openCompleteSource,
  seekTimelineFrame,
  summarizeClip,
  withReopenedClip,
  type FrameTimeline,
} from './clip-source.js';
import { followPlayback, frameAtTime, isStream, openVideoSource, type RvfcVideo } from './video-source.js';
import { CORRECTION_HISTORY } from './tracking-types.js';
import type {
  ClipSummary,
  VideoExportOptions,
  TrackExport,
  TrackFrame,
  TrackFramePrompt,
  TrackMode,
  TrackOptions,
  TrackSource,
  TrackSummary,
  TrackedObject,
  TrackingHooks,
  TrackingSession,
} from './tracking-types.js';

export type * from './tracking-types.js';
// The element reads videos with the same helpers.
export { frameAtTime, once, presentTimeouts, type RvfcVideo } from './video-source.js';

const DEFAULT_FPS = 30;

interface PendingPrompt {
  prompt: TrackFramePrompt;
  resolve(o: TrackedObject): void;
  reject(e: unknown): void;
}

/** @internal Use `trackVideo()` or the element's `track()`. */
export class VideoTrackingSession implements TrackingSession {
  readonly mode: TrackMode;
  readonly finished: Promise<TrackSummary>;
  #state: 'running' | 'paused' | 'done' = 'running';
  readonly #fps: number;
  readonly #abort = new AbortController();
  #tracker: Tracker | null = null;
  #video: RvfcVideo | null = null;
  /** Things to undo at the end: hidden video, object URL, listeners. */
  readonly #cleanups: (() => void)[] = [];
  #processed = 0;
  #dropped = 0;
  #startTime = 0;
  #resumeGate: { promise: Promise<void>; open: () => void } | null = null;
  readonly #feed = new FrameFeed(() => ({ done: this.#state === 'done', error: this.#endError }));
  readonly #records = new TrackRecords();
  #size = { width: 0, height: 0 };
  readonly #pendingPrompts: PendingPrompt[] = [];
  #settle!: { resolve(s: TrackSummary): void; reject(e: unknown): void };
  #endError: unknown = null;
  /** Frame the video showed when tracking last read it (the default frame of a prompt). */
  #current = 0;
  #objects = new Set<number>();
  /** Serialises everything that moves the video or talks to the tracker. */
  #lock: Promise<unknown> = Promise.resolve();
  /** Complete mode: next frame to track (moved back by corrections behind it). */
  #cursor = 0;
  /** Complete mode: the clip's frame table, and the clip when the worker reads it (null on the element path). */
  #timeline: FrameTimeline | null = null;
  #clip: VideoClip | null = null;
  #clipKnown!: (c: ClipSummary | null) => void;
  readonly clip: Promise<ClipSummary | null> = new Promise((r) => (this.#clipKnown = r));

  constructor(
    private readonly segmenter: Segmenter | (() => Segmenter),
    private readonly source: TrackSource,
    private readonly options: TrackOptions = {},
    private readonly hooks: TrackingHooks = {},
  ) {
    this.mode = options.mode ?? (isStream(source) ? 'live' : 'complete');
    this.#fps = options.fps ?? DEFAULT_FPS;
    this.finished = new Promise<TrackSummary>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Hosts that only listen to events must not see an unhandled rejection; awaiting `finished` still rejects.
    this.finished.catch(() => undefined);
    void this.finished.finally(() => this.#clipKnown(null)).catch(() => undefined);
    const signal = options.signal;
    if (signal?.aborted) this.#abort.abort();
    else signal?.addEventListener('abort', () => void this.stop(), { once: true });
    void this.#run();
  }

  get state(): 'running' | 'paused' | 'done' {
    return this.#state;
  }

  addPrompt(prompt: TrackFramePrompt): Promise<TrackedObject> {
    if (this.#state === 'done') return Promise.reject(new Sam2Error('aborted', 'the tracking session has ended'));
    return new Promise((resolve, reject) => {
      this.#pendingPrompts.push({ prompt, resolve, reject });
      // A paused or idle session applies it at once; a running one between two frames.
      if (this.#state === 'paused' || this.mode === 'live') void this.#locked(() => this.#applyPrompts());
    });
  }

  async removeObject(objectId: number): Promise<boolean> {
    const t = this.#tracker;
    if (!t || this.#state === 'done') return false;
    const had = await this.#locked(() => t.removeObject(objectId));
    this.#objects.delete(objectId);
    return had;
  }

  pause(): void {
    if (this.#state !== 'running') return;
    this.#state = 'paused';
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.#resumeGate = { promise, open };
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#state = 'running';
    // Live: frames shown while paused were not dropped, they were not asked for.
    this.#lastLive = null;
    const gate = this.#resumeGate;
    this.#resumeGate = null;
    gate?.open();
  }

  stop(): Promise<TrackSummary> {
    if (!this.#abort.signal.aborted) this.#abort.abort();
    this.#resumeGate?.open();
    return this.finished.catch(() => this.#summary('stopped', null));
  }

  stats(): Promise<TrackerStats> {
    if (!this.#tracker) return Promise.reject(new Sam2Error('not-ready', 'the tracker has not started'));
    return this.#tracker.stats();
  }

  /** @internal The recorded masks of one frame, or null. */
  recorded(frame: number): Readonly<Recorded> | null {
    return this.#records.get(frame) ?? null;
  }

  toJSON(): TrackExport {
    return this.#records.toExport(this.#size, this.#clipSummary()?.fps ?? this.#fps);
  }

  [Symbol.asyncIterator](): AsyncIterator<TrackFrame> {
    return this.#feed.iterator();
  }

  // ---------------------------------------------------------------- run

  async #run(): Promise<void> {
    this.#startTime = performance.now();
    let reason: TrackSummary['reason'] = 'stopped';
    try {
      const seg = this.#segmenter();
      const numFrames = this.mode === 'complete' ? await this.#openClip(seg) : undefined;
      this.#check();
      const video =
        this.#video ??
        (this.#clip ? null : await openVideoSource(this.source, this.mode, this.#abort.signal, this.#cleanups));
      this.#video = video;
      this.#check();
      const { signal } = this.#abort;
      const history = this.options.history ?? CORRECTION_HISTORY;
      this.#tracker = await seg.openTracker(numFrames === undefined ? { signal } : { numFrames, history, signal });
      this.#check();
      this.#current = video ? this.frameAtTime(video.currentTime) : 0;
      const prompts = this.options.prompts ?? [];
      for (const p of prompts)
        this.#pendingPrompts.push({ prompt: p, resolve: () => undefined, reject: () => undefined });
      // Initial prompts must succeed: a bad one ends the session with its error.
      await this.#locked(() => this.#applyPrompts(true));
      this.#check();
      if (this.#objects.size === 0)
        throw new Sam2Error(
          'invalid-prompt',
          'track() needs at least one prompt (options.prompts, or a selection on the shown frame)',
        );
      // Live tracking of a clip starts its playback once the prompted frame has been read.
      if (this.mode === 'live' && video && !isStream(this.source) && video.paused && !video.ended) await video.play();
      reason = this.mode === 'complete' ? await this.#complete(numFrames!) : await this.#live(video!);
    } catch (e) {
      if (!(isSam2Error(e, 'aborted') && this.#abort.signal.aborted)) this.#endError = e;
    }
    await this.#finish(reason);
  }

  #check(): void {
    if (this.#abort.signal.aborted) throw abortedError('tracking');
  }

  /** Presentation time of frame i (complete: the clip's own; live clips: i / fps). */
  #timeOf(i: number): number {
    return this.#timeline?.timestamps[i] ?? i / this.#fps;
  }

  frameAtTime(time: number): number {
    return this.#timeline ? frameIndexAt(this.#timeline.timestamps, time) : frameAtTime(time, this.#fps);
  }

  /** Shows frame i of the element: the middle of its interval in the clip's own frame table. */
  async #seek(video: HTMLVideoElement, i: number): Promise<void> {
    return seekTimelineFrame(video, this.#timeline, i, this.#fps, this.#abort.signal);
  }

  /** Complete mode: the clip read in the worker, else the `<video>` stepped; resolves with the frame count. */
  async #openClip(seg: Segmenter): Promise<number> {
    const opened = await openCompleteSource(seg, this.source, this.mode, this.#abort.signal, this.#cleanups);
    this.#clip = opened.clip;
    this.#timeline = opened.timeline;
    if (opened.video) this.#video = opened.video;
    this.#clipKnown(this.#clipSummary());
    return this.#timeline!.timestamps.length;
  }

  #clipSummary(): ClipSummary | null {
    return summarizeClip(this.#timeline, this.#clip?.info ?? null);
  }

  async exportVideo(options: VideoExportOptions): Promise<Blob> {
    const { kind, objectIds, color, onProgress, signal } = options;
    // The clip is known once tracking has opened it.
    await this.clip;
    if (!this.#clip)
      throw new Sam2Error(
        'media-decode',
        'exportVideo() needs a clip the worker can read (summary.source "demux"); this one was stepped on the <video>',
      );
    if (this.options.record === false)
      throw new Sam2Error('not-ready', 'exportVideo() needs the recorded masks: track with record: true');
    const masks = this.#records.masks(objectIds);
    const request = color === undefined ? { kind, masks } : { kind, masks, color };
    const o: { onProgress?: (p: VideoExportProgress) => void; signal?: AbortSignal } = {};
    if (onProgress) o.onProgress = onProgress;
    if (signal) o.signal = signal;
    if (this.#state !== 'done') return this.#clip.exportVideo(request, o);
    // The session's reader was freed when it ended: read the clip again for the export.
    return withReopenedClip(this.#segmenter(), this.source, (c) => c.exportVideo(request, o), signal);
  }

  #segmenter(): Segmenter {
    return typeof this.segmenter === 'function' ? this.segmenter() : this.segmenter;
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#lock.then(fn);
    this.#lock = r.catch(() => undefined);
    return r;
  }

  /** Applies queued prompts (each on its frame); `strict` rethrows the first failure. */
  async #applyPrompts(strict = false): Promise<void> {
    const t = this.#tracker;
    const video = this.#video;
    while (this.#pendingPrompts.length > 0) {
      const p = this.#pendingPrompts.shift()!;
      try {
        const clip = this.#clip;
        if (!t || (!video && !clip)) throw new Sam2Error('not-ready', 'the tracker has not started');
        const frame = p.prompt.frame ?? this.#current;
        if (!Number.isInteger(frame) || frame < 0)
          throw new Sam2Error('invalid-prompt', `frame must be a non-negative integer, got ${String(frame)}`);
        // A live stream cannot seek: a prompt there is always on the frame just read.
        // A paused clip is sought to the frame, which also makes sure that frame has been decoded and presented.
        if (!clip && video && !isStream(this.source) && (this.mode === 'complete' || video.paused))
          await this.#seek(video, frame);
        const { frame: _f, ...prompt } = p.prompt;
        const at = this.mode === 'live' ? this.#liveIndex(frame) : frame;
        // The client reads the video's current frame when the call is made; a clip's frame is decoded in the worker.
        const r = await t.addPrompt(at, clip ?? video!, prompt, { overlay: this.hooks.overlay === true });
        this.#size = { width: r.mask.width, height: r.mask.height };
        this.#objects.add(r.objectId);
        const obj = this.#object(r, frame, this.#timeOf(frame));
        if (this.options.record !== false) this.#records.record(frame, this.#timeOf(frame), [r]);
        // A correction behind the cursor makes the frames after it stale: track them again.
        if (this.mode === 'complete' && r.kind === 'correction') {
          const forward = this.options.direction !== 'backward';
          if (forward ? frame < this.#cursor : frame > this.#cursor) this.#cursor = forward ? frame + 1 : frame - 1;
        }
        this.hooks.onPrompt?.(obj, r.overlay ? { bitmap: r.overlay, bbox: r.mask.bbox } : null);
        p.resolve(obj);
      } catch (e) {
        p.reject(e);
        if (strict) {
          for (const rest of this.#pendingPrompts.splice(0)) rest.reject(e);
          throw e;
        }
      }
    }
  }

  async #complete(n: number): Promise<TrackSummary['reason']> {
    const video = this.#video;
    const clip = this.#clip;
    const forward = this.options.direction !== 'backward';
    const dir: 1 | -1 = forward ? 1 : -1;
    const prompted = this.#records.frames();
    const first = this.options.startFrame ?? (forward ? Math.min(...prompted) : Math.max(...prompted));
    const last = this.options.endFrame ?? (forward ? n - 1 : 0);
    if (!Number.isInteger(first) || first < 0 || first >= n || !Number.isInteger(last) || last < 0 || last >= n) {
      throw new Sam2Error('invalid-prompt', `frames ${first}..${last} are outside the clip (${n} frames)`);
    }
    const total = Math.abs(last - first) + 1;
    this.#cursor = first;
    const t = this.#tracker!;
    while (forward ? this.#cursor <= last : this.#cursor >= last) {
      if (this.#resumeGate) await this.#resumeGate.promise;
      this.#check();
      const i = this.#cursor;
      const result = await this.#locked(async () => {
        await this.#applyPrompts();
        if (this.#cursor !== i) return null;
        this.#current = i;
        if (clip) {
          // The host's own <video> follows the tracked frame for display (not awaited: the worker has the pixels).
          if (video && this.hooks.overlay) video.currentTime = frameMidpoint(this.#timeline!, i);
          return t.track(i, clip, dir, { overlay: this.hooks.overlay === true });
        }
        await this.#seek(video!, i);
        return t.track(i, video!, dir, { overlay: this.hooks.overlay === true });
      });
      if (!result) continue;
      this.#cursor = i + dir;
      this.#processed++;
      const done = forward ? i - first + 1 : first - i + 1;
      this.#emit(i, this.#timeOf(i), result.objects, Math.min(1, done / total));
    }
    return 'completed';
  }

  #lastLive: number | null = null;
  /**
   * Live: the tracker's frame index of the last frame read, and its media frame. SAM 2 takes its recent memories from
   * the frames right before the current one (f−1 … f−6), so live frames are numbered by the order they were tracked,
   * not by media time: with media numbering, a gap of dropped frames would leave no recent memory at all.
   */
  #liveSeq = -1;
  #liveMedia: number | null = null;

  /** The tracker's index for a live frame (prompts on the same media frame share one). */
  #liveIndex(media: number): number {
    if (this.#liveMedia !== media || this.#liveSeq < 0) {
      this.#liveSeq++;
      this.#liveMedia = media;
    }
    return this.#liveSeq;
  }

  async #live(video: RvfcVideo): Promise<TrackSummary['reason']> {
    const stream = isStream(this.source);
    const t = this.#tracker!;
    let base: number | null = null;
    return followPlayback(
      video,
      this.#abort.signal,
      () => this.#lock,
      (meta) => {
        if (this.#state !== 'running') return null;
        base ??= meta.presentedFrames;
        let pixels: VideoFrame;
        try {
          pixels = new VideoFrame(video);
        } catch {
          return null; // No frame to read yet (or any more): wait for the next one.
        }
        // Clips number frames by the time of the frame actually read (it can be newer than `meta` when this callback
        // runs late); streams by the frames presented since tracking began.
        const mediaTime = stream ? meta.mediaTime : pixels.timestamp / 1e6;
        const i = stream ? meta.presentedFrames - base : Math.round(mediaTime * this.#fps);
        if (this.#lastLive !== null && i <= this.#lastLive) {
          pixels.close();
          return null;
        }
        if (this.#lastLive !== null) this.#dropped += i - this.#lastLive - 1;
        this.#lastLive = i;
        const time = stream ? video.currentTime : mediaTime;
        this.#current = i;
        const at = this.#liveIndex(i);
        // The client closes a frame it could not send.
        return this.#locked(() => t.track(at, pixels, 1, { overlay: this.hooks.overlay === true })).then((r) => {
          this.#processed++;
          this.#emit(i, time, r.objects, null);
        });
      },
    );
  }

  #object(r: TrackObjectData, frame: number, time: number): TrackedObject {
    const video = this.#video;
    const clip = this.#clip;
    // Cut-outs re-read the frame from the clip or a seekable video; a stream's past frames are gone.
    const source = clip
      ? async () => {
          if (this.#state !== 'done') return clip.frame(frame);
          // The session's reader is freed when it ends: open the clip once more for this frame.
          return withReopenedClip(this.#segmenter(), this.source, (c) => c.frame(frame));
        }
      : video && !isStream(this.source) && this.mode === 'complete'
        ? async () => {
            await this.#locked(() => this.#seek(video, frame));
            return createImageBitmap(video);
          }
        : null;
    return {
      objectId: r.objectId,
      frame,
      time,
      score: r.score,
      objectScore: r.objectScore,
      present: r.present,
      mask: new Sam2Mask(r.mask, source, this.#segmenter().maskCodec),
    };
  }

  #emit(frame: number, time: number, objects: readonly TrackObjectData[], progress: number | null): void {
    if (objects[0]) this.#size = { width: objects[0].mask.width, height: objects[0].mask.height };
    if (this.options.record !== false) this.#records.record(frame, time, objects);
    const overlays = new Map<number, MaskOverlay>();
    for (const o of objects) if (o.overlay) overlays.set(o.objectId, { bitmap: o.overlay, bbox: o.mask.bbox });
    const f: TrackFrame = {
      frame,
      time,
      objects: objects.map((o) => this.#object(o, frame, time)),
      processed: this.#processed,
      dropped: this.#dropped,
      progress,
    };
    if (this.hooks.onFrame) this.hooks.onFrame(f, overlays);
    else for (const b of overlays.values()) b.bitmap.close();
    this.#feed.push(f);
  }

  #summary(reason: TrackSummary['reason'], stats: TrackerStats | null): TrackSummary {
    const durationMs = performance.now() - this.#startTime;
    const fps = durationMs > 0 ? (this.#processed * 1000) / durationMs : 0;
    const [frames, dropped, objects] = [this.#processed, this.#dropped, [...this.#objects].sort((a, b) => a - b)];
    return {
      reason,
      mode: this.mode,
      frames,
      dropped,
      objects,
      durationMs,
      fps,
      stats,
      source: this.#clip ? 'demux' : 'element',
      clip: this.#clipSummary(),
    };
  }

  async #finish(reason: TrackSummary['reason']): Promise<void> {
    this.#state = 'done';
    this.#resumeGate?.open();
    for (const p of this.#pendingPrompts.splice(0))
      p.reject(new Sam2Error('aborted', 'the tracking session has ended'));
    // The worker frees the tracker's memory; a dead worker has nothing left to free.
    const stats = await (this.#tracker?.close() ?? Promise.resolve(null)).catch(() => null);
    for (const c of this.#cleanups.splice(0).reverse()) {
      try {
        c();
      } catch {
        // Best effort.
      }
    }
    this.#feed.end();
    if (this.#endError) this.#settle.reject(this.#endError);
    else this.#settle.resolve(this.#summary(reason, stats));
  }
}

/**
 * Tracks objects through a video with a headless segmenter (the element's `track()` uses this too). Prompts come from
 * `options.prompts`; results arrive through the returned session's async iterator, `finished` and `toJSON()`.
 */
export function trackVideo(segmenter: Segmenter, source: TrackSource, options: TrackOptions = {}): TrackingSession {
  return new VideoTrackingSession(segmenter, source, options);
}
