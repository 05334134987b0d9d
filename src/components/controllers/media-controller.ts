// The element's media: decodes `source` or `src` into the bitmap prompts apply to (what is encoded, and what
// cut-outs are taken from), shows it (an <img> or <video> on an object URL, else the media canvas), captures the
// frame a paused video shows as the new image, and revokes its object URLs when the element leaves the document.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Sam2Error, abortedError, isSam2Error, toSam2Error } from '../../shared/errors.js';
import { mediaLoaded } from '../../client/media-wait.js';
import { isAbort, whenGone } from '../reporter.js';
import type { OverlayController } from './overlay-controller.js';
import type { Sam2MaskSource } from '../../client/mask.js';

/** Media `source` accepts, besides `src`; a Blob may be an image or a video. */
export type Sam2SegmenterSource = HTMLImageElement | ImageBitmap | Blob | HTMLCanvasElement;

/** Longest side of what the media canvas shows of a canvas, bitmap or <img> source. */
const DISPLAY_MAX_SIDE = 2048;

const VIDEO_EXTENSION = /\.(webm|mp4|m4v|mov|ogv|mkv)(\?|#|$)/i;

function isVideoBlob(blob: Blob, url: string | null): boolean {
  if (blob.type.startsWith('video/')) return true;
  return !blob.type && url !== null && VIDEO_EXTENSION.test(url);
}

/** What the media controller needs from its host. */
export interface MediaControllerOptions {
  /** The host's `source` and `src`. */
  input(): { source: Sam2SegmenterSource | null; src: string | undefined };
  overlay: OverlayController;
  /** The image is about to change (`frame`: a paused video moved): drop what applied to the old one. */
  willChange(why: 'source' | 'frame'): void;
  /** The new image is decoding; `time` is the video time it shows (frame changes only). */
  changed(decoding: Promise<ImageBitmap>, time?: number): void;
  /** Whether something else (a tracking session) drives the video, so that its frames are not new images. */
  busy(): boolean;
}

/** Loads and shows the host's media. */
export class MediaController implements ReactiveController {
  /** Settles with the current image once decoded (rejects when it cannot be); null when there is no media. */
  decoding: Promise<ImageBitmap> | null = null;
  #bitmap: ImageBitmap | null = null;
  /** Object URL shown by the <img> (or <video>) for Blob and fetched sources. */
  #objectUrl: string | null = null;
  #isVideo = false;
  /** Time of the video frame the current bitmap shows. */
  #frameTime = -1;
  #abort: AbortController | null = null;
  /** A load was stopped by a removal: reconnecting loads again. */
  #stopped = false;
  /** The bitmap each media canvas shows. */
  #shown = new WeakMap<HTMLCanvasElement, ImageBitmap>();
  /** The host's Blob, canvas or <img> each bitmap was decoded from. */
  #origins = new WeakMap<ImageBitmap, Blob | HTMLCanvasElement | HTMLImageElement>();

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement & { renderRoot?: HTMLElement | DocumentFragment },
    private readonly options: MediaControllerOptions,
  ) {
    host.addController(this);
  }

  /** The decoded image at natural size; null before one is decoded. */
  get bitmap(): ImageBitmap | null {
    return this.#bitmap;
  }

  /**
   * The host's Blob, canvas or <img> that `bitmap` (the current image) was decoded from, which the worker can be
   * given instead: Chromium reads a copy of a GPU-backed bitmap back on the page's thread when it is made or posted
   * (0.2 s for 4000x3000), but not a Blob, nor a bitmap made straight from a canvas or an <img>. Null for a video frame,
   * an ImageBitmap source, or when `bitmap` is no longer the current image.
   */
  origin(bitmap: ImageBitmap): Blob | HTMLCanvasElement | HTMLImageElement | null {
    return bitmap === this.#bitmap ? (this.#origins.get(bitmap) ?? null) : null;
  }

  /**
   * What a cut-out of a mask of `bitmap` reads: a new bitmap from its origin (the mask hands it to the worker as it
   * is), or `bitmap` itself (copied then). Once the image has changed it reads the closed bitmap, which toCutout()
   * reports as `not-ready`, as before.
   */
  pixels(bitmap: ImageBitmap): Sam2MaskSource | (() => Promise<Sam2MaskSource>) {
    if (!this.#origins.has(bitmap)) return bitmap;
    return async () => {
      const origin = this.origin(bitmap);
      if (!origin) return bitmap;
      return origin instanceof HTMLCanvasElement ? origin : await createImageBitmap(origin);
    };
  }

  /** The object URL the <img> or <video> shows; null when the media canvas shows the image. */
  get objectUrl(): string | null {
    return this.#objectUrl;
  }

  /** Whether the media is a video. */
  get isVideo(): boolean {
    return this.#isVideo;
  }

  /** The `<video>` showing a video, or null. */
  get video(): HTMLVideoElement | null {
    return this.#isVideo
      ? (this.host.renderRoot?.querySelector<HTMLVideoElement>('video[part="media"]') ?? null)
      : null;
  }

  /** Decodes the current `source` or `src` and shows it; `changed` hears of the decode. */
  load(): void {
    this.#abort?.abort();
    const abort = (this.#abort = new AbortController());
    this.options.willChange('source');
    this.#bitmap?.close();
    this.#bitmap = null;
    this.options.overlay.natural = null;
    this.options.overlay.crosshair = null;
    if (this.#objectUrl) URL.revokeObjectURL(this.#objectUrl);
    this.#objectUrl = null;
    this.#isVideo = false;
    this.#frameTime = -1;

    const { source, src } = this.options.input();
    if (!source && !src) {
      this.decoding = null;
      return;
    }
    const decoding = this.#decode(source, src, abort.signal).then((bitmap) => {
      if (abort.signal.aborted) {
        bitmap.close();
        throw abortedError('loading the image');
      }
      this.#bitmap = bitmap;
      this.options.overlay.natural = { width: bitmap.width, height: bitmap.height };
      this.host.requestUpdate();
      return bitmap;
    });
    this.decoding = decoding;
    this.options.changed(decoding);
  }

  /** The paused video shows another frame: it becomes the image prompts apply to (a session drives it otherwise). */
  readonly onShownFrame = (): void => {
    const video = this.video;
    if (!video || !video.paused || video.seeking || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    if (this.options.busy()) return;
    if (video.currentTime === this.#frameTime) return;
    const time = (this.#frameTime = video.currentTime);
    this.options.willChange('frame');
    const abort = this.#abort;
    const decoding = createImageBitmap(video).then((bitmap) => {
      if (abort?.signal.aborted || this.#frameTime !== video.currentTime) {
        bitmap.close();
        throw abortedError('reading the video frame');
      }
      this.#bitmap?.close();
      this.#bitmap = bitmap;
      return bitmap;
    });
    this.decoding = decoding;
    this.options.changed(decoding, time);
  };

  hostUpdated(): void {
    // The media canvas shows sources other than Blobs and URLs (drawn once per image).
    const canvas = this.host.renderRoot?.querySelector<HTMLCanvasElement>('canvas[part="media"]');
    const bitmap = this.#bitmap;
    if (canvas && bitmap && this.#shown.get(canvas) !== bitmap) {
      this.#shown.set(canvas, bitmap);
      // A 'bitmaprenderer' takes a bitmap as it is: drawing a 4000x3000 image into a 2d canvas cost the page a 0.5 s
      // draw and a 0.6 s commit. It consumes the bitmap, so it gets its own, made from the host's canvas or <img>
      // (cheap) or, for an ImageBitmap source, copied.
      const origin = this.origin(bitmap);
      const own = origin instanceof Blob || origin === null ? bitmap : origin;
      // Shown at about the element's device size, between 1024 and DISPLAY_MAX_SIDE (object-fit keeps the aspect, so
      // the overlay still lines up): a full-size bitmap cost the compositor's commit 0.7 s on the page's thread for
      // 4000x3000, and Chromium resizes to 2048 on the page's thread (80-170 ms) where 1024 costs no long task.
      const box = this.host.getBoundingClientRect();
      const side = Math.ceil(Math.max(box.width, box.height) * (globalThis.devicePixelRatio || 1));
      const display = Math.min(DISPLAY_MAX_SIDE, Math.max(1024, side));
      const scale = Math.min(1, display / Math.max(bitmap.width, bitmap.height));
      const size =
        scale < 1
          ? {
              resizeWidth: Math.max(1, Math.round(bitmap.width * scale)),
              resizeHeight: Math.max(1, Math.round(bitmap.height * scale)),
              resizeQuality: 'medium' as const,
            }
          : {};
      createImageBitmap(own, size).then(
        (shown) => {
          if (this.#shown.get(canvas) !== bitmap) return shown.close();
          // Its intrinsic size (what object-fit places) is still the canvas's own width and height.
          canvas.width = shown.width;
          canvas.height = shown.height;
          canvas.getContext('bitmaprenderer')?.transferFromImageBitmap(shown);
        },
        // The bitmap was closed meanwhile (a newer image is coming).
        () => undefined,
      );
    }
  }

  hostConnected(): void {
    // Back after a removal that stopped the media: load it again.
    if (this.#stopped) {
      this.#stopped = false;
      this.load();
    }
  }

  hostDisconnected(): void {
    // Object URLs outlive the element unless revoked, and a download still running would make one after the removal:
    // stop it, and revoke what was made. The <img> keeps showing what it has already decoded.
    whenGone(this.host, () => {
      const loading =
        this.#abort !== null && !this.#abort.signal.aborted && this.#bitmap === null && this.decoding !== null;
      if (loading) this.#abort!.abort();
      if (this.#objectUrl) URL.revokeObjectURL(this.#objectUrl);
      this.#objectUrl = null;
      if (loading) this.#stopped = true;
    });
  }

  async #decode(
    source: Sam2SegmenterSource | null,
    src: string | undefined,
    signal: AbortSignal,
  ): Promise<ImageBitmap> {
    let blob: Blob | null = null;
    try {
      if (source instanceof Blob) blob = source;
      else if (source) {
        if (source instanceof HTMLImageElement && !(source.complete && source.naturalWidth > 0)) await source.decode();
        // A copy: the host keeps its own bitmap/canvas/image.
        const bitmap = await createImageBitmap(source);
        if (!(source instanceof ImageBitmap)) this.#origins.set(bitmap, source);
        return bitmap;
      } else {
        blob = await this.#fetch(new URL(src!, location.href), signal);
      }
      if (isVideoBlob(blob, src ?? null)) return await this.#showVideo(blob, signal);
      const bitmap = await createImageBitmap(blob);
      if (signal.aborted) {
        bitmap.close();
        throw abortedError('loading the image');
      }
      this.#objectUrl = URL.createObjectURL(blob);
      this.#origins.set(bitmap, blob);
      return bitmap;
    } catch (e) {
      if (isSam2Error(e)) throw e;
      if (isAbort(e)) throw abortedError('loading the image');
      const err = toSam2Error(e, 'media');
      throw err.code === 'internal'
        ? new Sam2Error('media-decode', `the image could not be decoded: ${err.message}`, { cause: e })
        : err;
    }
  }

  async #fetch(url: URL, signal: AbortSignal): Promise<Blob> {
    let response: Response;
    try {
      response = await fetch(url, { mode: 'cors', credentials: 'same-origin', signal });
    } catch (e) {
      if (isAbort(e)) throw abortedError('loading the image');
      const crossOrigin = url.origin !== location.origin && url.protocol !== 'data:' && url.protocol !== 'blob:';
      throw new Sam2Error(
        crossOrigin ? 'media-cross-origin' : 'media-decode',
        crossOrigin
          ? `${url.href} could not be fetched: the server is unreachable or does not allow CORS (${String(e)})`
          : `${url.href} could not be fetched: ${String(e)}`,
        { cause: e },
      );
    }
    if (!response.ok) throw new Sam2Error('media-decode', `${url.href} answered HTTP ${response.status}`);
    return response.blob();
  }

  /** Shows a video and returns its first frame: the image prompts apply to until the video moves. */
  async #showVideo(blob: Blob, signal: AbortSignal): Promise<ImageBitmap> {
    if (signal.aborted) throw abortedError('loading the video');
    this.#objectUrl = URL.createObjectURL(blob);
    this.#isVideo = true;
    this.host.requestUpdate();
    await this.host.updateComplete;
    const video = this.video;
    if (!video) throw abortedError('loading the video');
    await mediaLoaded(video, signal);
    this.#frameTime = video.currentTime;
    return createImageBitmap(video);
  }
}
