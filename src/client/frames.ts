// Frames on their way to the worker: transferables only (VideoFrame or ImageBitmap), never pixel arrays.

import { Sam2Error } from '../shared/errors.js';
import type { FrameInput } from './segmenter.js';

/**
 * A frame as the worker takes it: VideoFrames and ImageBitmaps as they are, a video's current frame as a VideoFrame
 * (no copy) where WebCodecs can, anything else copied to a bitmap.
 */
export async function toWorkerFrame(pixels: FrameInput): Promise<VideoFrame | ImageBitmap> {
  if (typeof VideoFrame !== 'undefined' && pixels instanceof VideoFrame) return pixels;
  if (typeof ImageBitmap !== 'undefined' && pixels instanceof ImageBitmap) return pixels;
  try {
    if (typeof VideoFrame !== 'undefined' && typeof HTMLVideoElement !== 'undefined' && pixels instanceof HTMLVideoElement) {
      try {
        return new VideoFrame(pixels);
      } catch (e) {
        // Chromium refuses a VideoFrame of a video whose frame has not been painted yet; a bitmap still works.
        if (!(e instanceof DOMException && e.name === 'InvalidStateError')) throw e;
      }
    }
    return await createImageBitmap(pixels);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'SecurityError') {
      throw new Sam2Error('media-cross-origin', 'the video frame is cross-origin without CORS and cannot be read', { cause: e });
    }
    throw new Sam2Error('media-decode', `the video frame could not be read: ${String(e)}`, { cause: e });
  }
}
