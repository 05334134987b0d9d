// The element's `track()`: a VideoTrackingSession on the element's segmenter, its results turned into `mask-change`,
// `track-frame` and `track-end` events (and overlay masks when it tracks the element's own video), and, once a session
// is done, replay of its recorded masks over playback or seeking of that video (rendered in the worker from RLE).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Segmenter } from '../../client/segmenter.js';
import { Sam2Error } from '../../shared/errors.js';
import {
  VideoTrackingSession,
  type TrackedObject,
  frameAtTime,
  type RvfcVideo,
  type TrackOptions,
  type TrackSource,
  type TrackingSession,
} from '../../client/tracking-session.js';
import type { Reporter } from '../reporter.js';
import type { EngineController } from './engine-controller.js';
import type { OverlayController } from './overlay-controller.js';
import type { PromptEntry } from './prompt-controller.js';
import { Sam2Mask } from '../../client/mask.js';
import { decodeRle } from '../../shared/rle.js';

/** What the tracking controller works with. */
export interface TrackingControllerOptions {
  engine: EngineController;
  overlay: OverlayController;
  reporter: Reporter;
  /** The host's own `<video>`, or null. */
  video(): HTMLVideoElement | null;
  /** The host's frame rate (frame index = time × fps). */
  fps(): number;
  /** The selection on the shown frame, per object: the default prompts. */
  selection(): { objectId: number; entry: PromptEntry }[];
}

/** Tracking sessions of the host, and replay of the last one's masks. */
export class TrackingController implements ReactiveController {
  /** The tracking session running, or the last one (its record replays over playback of the host's video). */
  #session: VideoTrackingSession | null = null;
  #replayHandle = 0;
  #replaySeq = 0;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: TrackingControllerOptions,
  ) {
    host.addController(this);
  }

  /** Whether a session is driving the video (its frames are not new images for prompts). */
  get driving(): boolean {
    return this.#session !== null && this.#session.state !== 'done';
  }

  /** Starts a session (stopping the previous one); see the element's `track()`. */
  track(source: TrackSource | null | undefined, options: TrackOptions): TrackingSession {
    const { engine, overlay, reporter } = this.options;
    void this.#session?.stop();
    this.stopReplay();
    const own = this.options.video();
    const target = source ?? own;
    const isOwn = target !== null && target === own;
    const fps = this.#fps();
    const opts: TrackOptions = { fps, ...options };
    const selected = this.options.selection();
    if (!opts.prompts && isOwn && own && selected.length) {
      // No frame: the session takes the frame the video shows, by the clip's own timestamps.
      opts.prompts = selected.map(({ objectId, entry }) => ({ objectId, points: [...entry.points], box: entry.box }));
    }
    const segmenter = (): Segmenter => {
      if (!target) throw new Sam2Error('not-ready', 'track() needs a video: set a video `src` or pass one');
      engine.ready().catch(() => undefined);
      return engine.segmenter;
    };
    // A tracked object as the element's `mask-change` (candidate -1: the tracker picks it, not a click).
    const emitMask = (o: TrackedObject): void => {
      const { objectId, score, objectScore, mask, frame, time } = o;
      reporter.emit('mask-change', { objectId, score, objectScore, candidate: -1, mask, frame, time });
    };
    const session = new VideoTrackingSession(segmenter, target as TrackSource, opts, {
      overlay: isOwn,
      onPrompt: (o, drawn) => {
        if (this.#session !== session) return drawn?.bitmap.close();
        if (drawn) overlay.setTracked(new Map([[o.objectId, drawn]]));
        emitMask(o);
      },
      onFrame: (f, drawn) => {
        if (this.#session !== session) {
          for (const m of drawn.values()) m.bitmap.close();
          return;
        }
        if (isOwn) overlay.setTracked(drawn);
        for (const o of f.objects) {
          emitMask(o);
        }
        reporter.emit('track-frame', f);
      },
    });
    this.#session = session;
    if (isOwn) {
      // The session's masks replace the selection on the shown frame.
      overlay.points = [];
      overlay.box = null;
    }
    session.finished.then(
      (summary) => {
        if (this.#session === session) reporter.emit('track-end', summary);
      },
      (e: unknown) => {
        if (this.#session === session) reporter.error(e, 'media-decode');
      },
    );
    return session;
  }

  /** The media changed: the session stops and its record no longer applies. */
  reset(): void {
    void this.#session?.stop();
    this.#session = null;
    this.stopReplay();
    this.options.overlay.setTracked(new Map());
  }

  /** Playback after tracking: the overlay follows the video with the recorded masks of each shown frame. */
  readonly onPlay = (): void => {
    const video = this.options.video() as RvfcVideo | null;
    const session = this.#session;
    if (!video?.requestVideoFrameCallback || !session || session.state !== 'done') return;
    this.stopReplay();
    const step = (_now: number, meta: { mediaTime: number }): void => {
      if (this.#session !== session || video.paused) return;
      this.#replayHandle = video.requestVideoFrameCallback!(step);
      this.showRecorded(session.frameAtTime(meta.mediaTime));
    };
    this.#replayHandle = video.requestVideoFrameCallback(step);
  };

  /** Stops following playback (a pending recorded frame is dropped). */
  stopReplay(): void {
    const video = this.options.video() as RvfcVideo | null;
    if (this.#replayHandle) video?.cancelVideoFrameCallback?.(this.#replayHandle);
    this.#replayHandle = 0;
    this.#replaySeq++;
  }

  /** The frame shown at `time`: by the session's clip frame table where there is one. */
  frameAt(time: number): number {
    return this.#session ? this.#session.frameAtTime(time) : frameAtTime(time, this.#fps());
  }

  /**
   * Draws the finished session's recorded masks of frame `f` (none: clears the tracked masks). `emit` (a seek, not
   * playback) also fires `mask-change` for each recorded object, so hosts hear what is on screen after a seek.
   */
  showRecorded(f: number, emit = false): void {
    const session = this.#session;
    const rec = session?.state === 'done' ? session.recorded(f) : null;
    const seq = ++this.#replaySeq;
    const { overlay, engine } = this.options;
    if (!rec || rec.objects.length === 0) {
      overlay.setTracked(new Map());
      return;
    }
    const seg = engine.existing;
    if (!seg) return;
    seg.renderMasks(rec.objects.map((o) => o.segmentation)).then(
      (drawn) => {
        if (seq !== this.#replaySeq || this.#session !== session) return drawn.forEach((m) => m.bitmap.close());
        overlay.setTracked(new Map(rec.objects.map((o, i) => [o.objectId, drawn[i]!])));
        if (!emit) return;
        for (const o of rec.objects) {
          const [h, w] = o.segmentation.size;
          const mask = new Sam2Mask(
            { width: w, height: h, data: decodeRle(o.segmentation), bbox: o.bbox, area: o.area },
            null,
            seg.maskCodec,
          );
          this.options.reporter.emit('mask-change', {
            objectId: o.objectId,
            score: o.score,
            objectScore: o.objectScore,
            candidate: -1,
            mask,
            frame: rec.frame,
            time: rec.time,
          });
        }
      },
      () => undefined,
    );
  }

  hostDisconnected(): void {
    // Tracking stops with the element, and its tracker's memory is freed in the worker before the engine is released.
    if (this.#session) this.options.engine.keepUntil(this.#session.stop());
    this.stopReplay();
  }

  #fps(): number {
    return this.options.fps() || 30;
  }
}
