// Test hooks for a segmenter's worker, without hooks in what ships: segmenters made for tests run the test-only
// worker entry (fixtures/test.worker.ts, selected through the public `workerUrl` option), and these helpers talk to
// it over a BroadcastChannel named by a tag in its URL.
import type { StorageFault } from '../../../src/shared/cache.js';

export const TEST_WORKER = '/test/browser/fixtures/test.worker.ts';

/** Hooks into one test worker (and its replacements, which share its URL). */
export interface WorkerHooks {
  /** The worker's URL, for `workerUrl`. */
  readonly url: string;
  /** Trackers open in the current worker. */
  trackerCount(): Promise<number>;
  /** Makes the worker throw an uncaught error (its `error` event fires on the page). */
  crash(): Promise<void>;
  /** Ends the current worker as a crash would: the page sees its `error` event while calls are in flight. */
  kill(): void;
}

const workers = new Map<string, Worker>();
let patched = false;

/** Records the Worker objects of tagged test workers, so that `kill()` can end one from the page. */
function recordWorkers(): void {
  if (patched) return;
  patched = true;
  const Native = globalThis.Worker;
  globalThis.Worker = class extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      const tag = new URL(String(url), location.href).searchParams.get('tag');
      if (tag) workers.set(tag, this);
    }
  };
}

let nextTag = 0;
let nextId = 0;

/** A fresh test worker URL and its hooks; `fault` simulates a storage failure in the worker's model cache. */
export function testWorker(options: { fault?: StorageFault } = {}): WorkerHooks {
  recordWorkers();
  const tag = `w${Date.now().toString(36)}${(nextTag++).toString(36)}`;
  const url = new URL(TEST_WORKER, location.href);
  url.searchParams.set('tag', tag);
  if (options.fault) url.searchParams.set('fault', options.fault);
  const ask = <T>(op: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const channel = new BroadcastChannel(`sam2-test-worker:${tag}`);
      const id = nextId++;
      const timer = setTimeout(() => {
        channel.close();
        reject(new Error(`test worker ${tag} did not answer ${op}`));
      }, 10_000);
      channel.onmessage = (e: MessageEvent<{ id: number; value: T }>) => {
        if (e.data.id !== id) return;
        clearTimeout(timer);
        channel.close();
        resolve(e.data.value);
      };
      channel.postMessage({ id, op });
    });
  return {
    url: url.href,
    trackerCount: () => ask<number>('trackerCount'),
    crash: async () => {
      await ask('crash');
    },
    kill: () => {
      workers.get(tag)?.dispatchEvent(new ErrorEvent('error', { message: 'terminated by the test' }));
    },
  };
}
