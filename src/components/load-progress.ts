// One overall figure for a model load, from `model-progress` events that each describe one file: bytes done of bytes
// total across every file seen (downloads and cache reads run in parallel, so all files report early), then the
// compile step. Pure: the element feeds it events and renders what it returns.
import type { ModelProgress } from '../shared/types.js';

/** What the loading overlay shows. */
export interface OverallProgress {
  /** `download` while bytes arrive (from the network or the cache), `compile` once every file is in. */
  phase: 'download' | 'compile';
  /** Bytes read so far over every file. */
  loaded: number;
  /** Bytes of every file seen so far (0 while no file has said its size). */
  total: number;
  /** loaded / total in 0–1, or null while some file's size is unknown. */
  fraction: number | null;
}

/** Sums per-file progress into one figure. */
export class LoadProgress {
  readonly #files = new Map<string, { loaded: number; total: number }>();
  #compiling = false;

  /** Forgets every file (a new load). */
  reset(): void {
    this.#files.clear();
    this.#compiling = false;
  }

  /** Takes one `model-progress` event and returns the overall figure. */
  update(p: ModelProgress): OverallProgress {
    if (p.phase === 'compile') this.#compiling = true;
    else this.#files.set(p.file, { loaded: Math.max(0, p.loaded), total: Math.max(0, p.total) });
    return this.current;
  }

  /** The overall figure now. */
  get current(): OverallProgress {
    let loaded = 0;
    let total = 0;
    let unknown = false;
    for (const f of this.#files.values()) {
      loaded += f.loaded;
      total += f.total;
      if (f.total === 0) unknown = true;
    }
    const fraction = unknown || total === 0 ? null : Math.min(1, loaded / total);
    return { phase: this.#compiling ? 'compile' : 'download', loaded, total, fraction };
  }
}
