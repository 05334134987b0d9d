// A reference-counted registry of segmenters, so that elements with the same model options on one page share one
// worker, one download and one engine (after google/model-viewer's shared renderer). The last release disposes the
// segmenter a moment later, so that an element replaced by another with the same options keeps the loaded model.
//
// The engine holds ONE current image per segmenter: a user must call `claimImage()` whenever it calls `setImage`,
// and must send its image again (and forget any refinement state) when `ownsImage()` is false before segmenting.
import { createSegmenter, resolveSegmenterConfig, type Segmenter, type SegmenterOptions } from './segmenter.js';
import type { ModelProgress } from '../shared/types.js';
import type { Sam2Error } from '../shared/errors.js';

/** Milliseconds a segmenter nobody holds is kept before it is disposed. */
export const SHARED_DISPOSE_DELAY_MS = 100;

/** One user's hold on a (possibly shared) segmenter. */
export interface SharedSegmenter {
  readonly segmenter: Segmenter;
  /** Whether the last `setImage` on the segmenter was this holder's (see `claimImage`). */
  ownsImage(): boolean;
  /** Records that this holder just called `setImage`: other holders must send theirs again. */
  claimImage(): void;
  /** Gives the hold back; the last release disposes the segmenter after SHARED_DISPOSE_DELAY_MS. Idempotent. */
  release(): void;
}

interface Entry {
  readonly key: string;
  readonly segmenter: Segmenter;
  refs: number;
  readonly listeners: Set<(p: ModelProgress) => void>;
  /** Holders' warning callbacks; warnings already raised are replayed to a holder that joins later. */
  readonly warningListeners: Set<(w: Sam2Error) => void>;
  readonly warnings: Sam2Error[];
  /** The holder whose image the engine has. */
  owner: SharedSegmenter | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const entries = new Map<string, Entry>();

/**
 * The identity of what a segmenter loads and where its worker runs, from the resolved locations (so that elements whose
 * options read the same but resolve differently, e.g. across a `setAssetLocations` call, never share); callbacks and
 * signals are not part of it.
 */
function keyOf(o: SegmenterOptions): string {
  const { config, workerUrl } = resolveSegmenterConfig(o);
  return JSON.stringify({
    model: config.model,
    device: config.device,
    dtype: config.dtype ?? null,
    videoExport: config.videoExport ?? null,
    wasmPaths: config.wasmPaths ?? null,
    workerUrl: workerUrl ?? null,
    cache: config.cache ?? true,
    persistStorage: o.persistStorage ?? false,
  });
}

/**
 * Returns a hold on the segmenter for these options, creating it on first use. `onProgress` hears the shared
 * download's progress until the hold is released, `onWarning` the shared load's warnings (e.g. `storage`), including
 * those raised before this hold. Options with a `signal` or `onWarning` get their own segmenter.
 */
export function acquireSegmenter(
  options: SegmenterOptions,
  onProgress?: (p: ModelProgress) => void,
  onWarning?: (w: Sam2Error) => void,
): SharedSegmenter {
  if (options.signal || options.onWarning) {
    // Not shareable: a signal would dispose the segmenter for every holder.
    const segmenter = createSegmenter({ ...options, onProgress });
    let released = false;
    return {
      segmenter,
      ownsImage: () => true,
      claimImage: () => undefined,
      release: () => {
        if (released) return;
        released = true;
        segmenter.dispose();
      },
    };
  }
  const key = keyOf(options);
  let entry = entries.get(key);
  if (!entry) {
    const listeners = new Set<(p: ModelProgress) => void>();
    const warningListeners = new Set<(w: Sam2Error) => void>();
    const warnings: Sam2Error[] = [];
    const segmenter = createSegmenter({
      ...options,
      onProgress: (p) => {
        for (const l of [...listeners]) l(p);
      },
      onWarning: (w) => {
        warnings.push(w);
        for (const l of [...warningListeners]) l(w);
      },
    });
    entry = { key, segmenter, refs: 0, listeners, warningListeners, warnings, owner: null, timer: undefined };
    entries.set(key, entry);
  }
  const e = entry;
  clearTimeout(e.timer);
  e.timer = undefined;
  e.refs++;
  if (onProgress) e.listeners.add(onProgress);
  if (onWarning) {
    e.warningListeners.add(onWarning);
    for (const w of e.warnings) queueMicrotask(() => onWarning(w));
  }
  let released = false;
  const hold: SharedSegmenter = {
    segmenter: e.segmenter,
    ownsImage: () => e.owner === hold,
    claimImage: () => {
      e.owner = hold;
    },
    release: () => {
      if (released) return;
      released = true;
      if (onProgress) e.listeners.delete(onProgress);
      if (onWarning) e.warningListeners.delete(onWarning);
      if (e.owner === hold) e.owner = null;
      if (--e.refs > 0) return;
      e.timer = setTimeout(() => {
        if (e.refs > 0 || entries.get(e.key) !== e) return;
        entries.delete(e.key);
        e.segmenter.dispose();
      }, SHARED_DISPOSE_DELAY_MS);
    },
  };
  return hold;
}

/** @internal For tests: how many segmenters the registry holds (including ones waiting to be disposed). */
export function sharedSegmenterCount(): number {
  return entries.size;
}
