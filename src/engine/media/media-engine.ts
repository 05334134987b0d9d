// The worker's open clips, by id. Each clip's reads run one after another (the reader decodes ahead on its own), and a
// clip lives until its session closes it or the worker goes away.

import { Sam2Error } from '../../shared/errors.js';
import { ClipReader, type ClipInfo, type ClipSource } from './clip-reader.js';

interface Entry {
  reader: ClipReader;
  tail: Promise<unknown>;
}

export class MediaEngine {
  readonly #clips = new Map<number, Entry>();

  async open(id: number, source: ClipSource): Promise<ClipInfo> {
    if (this.#clips.has(id)) throw new Error(`clip ${id} is already open`);
    if (!(typeof source === 'string' || (typeof Blob !== 'undefined' && source instanceof Blob))) {
      throw new Sam2Error('media-decode', 'a clip must be a URL or a Blob');
    }
    const reader = await ClipReader.open(source);
    this.#clips.set(id, { reader, tail: Promise.resolve() });
    return reader.info;
  }

  /** Runs `fn` on clip `id` after its earlier calls. */
  run<T>(id: number, fn: (r: ClipReader) => Promise<T>): Promise<T> {
    const e = this.#clips.get(id);
    if (!e)
      return Promise.reject(new Sam2Error('not-ready', `clip ${id} is not open (closed, or the worker restarted)`));
    const r = e.tail.then(() => fn(e.reader));
    e.tail = r.catch(() => undefined);
    return r;
  }

  /** Frame `index` of clip `id`, decoded here (the caller closes it). */
  frame(id: number, index: number): Promise<VideoFrame> {
    return this.run(id, (r) => r.frame(index));
  }

  /** Frame `index` as an ImageBitmap for the page (cut-outs, drawing). */
  async bitmap(id: number, index: number): Promise<ImageBitmap> {
    const f = await this.frame(id, index);
    try {
      return await createImageBitmap(f);
    } finally {
      f.close();
    }
  }

  async close(id: number): Promise<void> {
    const e = this.#clips.get(id);
    if (!e) return;
    this.#clips.delete(id);
    await e.tail.catch(() => undefined);
    await e.reader.close();
  }

  get openCount(): number {
    return this.#clips.size;
  }
}
