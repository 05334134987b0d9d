// The worker's one command queue: every command that touches the sessions or the engine's state runs here, one after
// another, in arrival order. Cancellation (a call the page aborted) and supersession (a newer command with the same
// key, e.g. a newer segment() of one object) both skip a command that has not started; a running one finishes.

import { abortedError } from '../shared/errors.js';

/** How one command may be skipped. */
export interface CommandOptions {
  /** A newer command with the same key, queued before this one starts, supersedes it (rejects with `aborted`). */
  supersede?: string;
  /** Called instead of the command when it is skipped, to free what it was given (a frame, a bitmap). */
  onSkip?(): void;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class CommandQueue {
  #tail: Promise<unknown> = Promise.resolve();
  readonly #queued = new Set<number>();
  readonly #cancelled = new Set<number>();
  /** Newest queued command per supersession key. */
  readonly #newest = new Map<string, number>();
  /** Ids for commands queued without one (they cannot be cancelled from the page). */
  #autoId = -1;

  /** Queues `fn` as command `id` (a page call id, unique per worker); settles with its outcome. */
  run<T>(id: number | undefined, fn: () => Promise<T>, options: CommandOptions = {}): Promise<T> {
    const callId = id ?? this.#autoId--;
    const key = options.supersede;
    this.#queued.add(callId);
    if (key !== undefined) this.#newest.set(key, callId);
    const result = this.#tail.then(async () => {
      // WASM inference blocks this thread, so newer calls and cancels pile up as unread messages; one trip through
      // the event loop lets them register before the next command starts, or supersession could never happen.
      await yieldToEventLoop();
      this.#queued.delete(callId);
      const superseded = key !== undefined && this.#newest.get(key) !== callId;
      try {
        if (this.#cancelled.delete(callId) || superseded) {
          options.onSkip?.();
          throw superseded ? abortedError('a command superseded by a newer one') : abortedError();
        }
        return await fn();
      } finally {
        if (key !== undefined && this.#newest.get(key) === callId) this.#newest.delete(key);
      }
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Skips command `id` if it has not started; a running or finished one is unaffected. */
  cancel(id: number): void {
    if (this.#queued.has(id)) this.#cancelled.add(id);
  }

  /** Resolves once every command queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  /** Commands queued and not yet started. */
  get size(): number {
    return this.#queued.size;
  }
}
