// A clip opened in the worker: its container is demuxed and its frames decoded there (mediabunny + WebCodecs), so a
// tracker reads frame n as the clip's own n-th frame, and exports are written there too. The page holds a handle.

import * as Comlink from 'comlink';
import type { WorkerApi } from '../workers/sam2.worker.js';
import { Sam2Error, abortedError, type WireResult } from '../shared/errors.js';
import type { ClipInfo, VideoExportProgress, VideoExportRequest } from '../shared/media-types.js';

type Remote = Comlink.Remote<WorkerApi>;

/** @internal How the segmenter posts one call to its worker (in order, with abort). */
export type RemoteCall = <T>(
  signal: AbortSignal | undefined,
  post: (remote: Remote) => Promise<WireResult<T>>,
) => Promise<T>;

/** Options of `VideoClip.exportVideo()`. */
export interface ClipExportOptions {
  onProgress?: (p: VideoExportProgress) => void;
  /** Aborting stops the export; it rejects with code `aborted`. */
  signal?: AbortSignal;
}

/** A clip read frame by frame in the worker. Pass it as a tracker's `pixels` to track its frame `frame`. */
export interface VideoClip {
  readonly clipId: number;
  /** Frame count, duration, average rate and each frame's timestamp, from the container. */
  readonly info: ClipInfo;
  /** Frame `index` as a bitmap the caller closes. */
  frame(index: number, options?: { signal?: AbortSignal }): Promise<ImageBitmap>;
  /** Writes the clip with `request.masks` drawn on it as a WebM (see `TrackingSession.exportVideo`). */
  exportVideo(request: VideoExportRequest, options?: ClipExportOptions): Promise<Blob>;
  /** Frees the worker's reader. */
  close(): Promise<void>;
}

/** @internal */
export function isVideoClip(v: unknown): v is VideoClip {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as VideoClip).clipId === 'number' &&
    typeof (v as VideoClip).info === 'object'
  );
}

/** @internal The worker that opened a clip; a tracker in another (restarted) worker cannot read it. */
export const clipRemotes = new WeakMap<VideoClip, Remote>();

/** @internal Opens `source` in the worker through `call`. */
export async function openClipVia(
  call: RemoteCall,
  id: number,
  source: Blob | string | URL,
  signal?: AbortSignal,
): Promise<VideoClip> {
  let opened: Remote | null = null;
  const src =
    source instanceof URL
      ? source.href
      : typeof source === 'string'
        ? new URL(source, globalThis.location?.href).href
        : source;
  const info = await call<ClipInfo>(signal, (remote) => {
    opened = remote;
    return remote.clipOpen(id, src);
  });
  let closed = false;
  const same = (remote: Remote): void => {
    if (closed) throw new Sam2Error('aborted', 'the clip was closed');
    if (remote !== opened) throw new Sam2Error('worker-crashed', 'the worker restarted: open the clip again');
  };
  const clip: VideoClip = {
    clipId: id,
    info,
    frame: (index, o = {}) =>
      call(o.signal, (remote) => {
        same(remote);
        return remote.clipFrame(id, index);
      }),
    exportVideo: (request, o = {}) => {
      const progress = o.onProgress ? Comlink.proxy(o.onProgress) : undefined;
      const signal = o.signal;
      if (signal?.aborted) return Promise.reject(abortedError('export'));
      const cancel = (): void => {
        if (opened && !closed) void opened.clipExportCancel(id);
      };
      signal?.addEventListener('abort', cancel, { once: true });
      return call<Blob>(undefined, (remote) => {
        same(remote);
        return remote.clipExport(id, request, progress);
      }).finally(() => signal?.removeEventListener('abort', cancel));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const remote = opened;
      if (!remote) return;
      // A worker restarted or disposed since has released its proxy (comlink throws on the property read) and took
      // the clip with it: nothing is left to close.
      try {
        await remote.clipClose(id);
      } catch {
        /* gone with its worker */
      }
    },
  };
  if (opened) clipRemotes.set(clip, opened);
  return clip;
}
