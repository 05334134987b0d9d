// The page's one queue to a worker (after Squoosh's worker bridge): the worker starts on the first call, calls are
// posted one after another in call order once it is ready, every call takes an AbortSignal, and a worker that dies
// (error event, terminated, or a call that reports `worker-crashed`) fails the calls it held and is replaced on the
// next call. What runs in the worker is only known here through its API type.

import * as Comlink from 'comlink';
import {
  Sam2Error,
  abortedError,
  isSam2Error,
  toSam2Error,
  unwrap,
  type ErrorContext,
  type WireResult,
} from '../shared/errors.js';

/** How a bridge starts and talks to its worker. */
export interface WorkerBridgeOptions<Api, Ready> {
  /** Creates the worker (module worker). */
  createWorker(): Worker;
  /** Runs once per worker before any call: e.g. loads the model. A rejection fails the calls waiting for it. */
  init(remote: Comlink.Remote<Api>): Promise<Ready>;
  /** Runs inside the queue before the first call on a replacement worker, e.g. to send state back. */
  restore?(remote: Comlink.Remote<Api>): Promise<void>;
  /** Asks the worker to skip a call it has queued but not started. */
  cancel?(remote: Comlink.Remote<Api>, callId: number): void;
  /** Asks the worker for a sign of life; the watchdog calls it while calls wait. */
  ping?(remote: Comlink.Remote<Api>): Promise<unknown>;
  /** How long a worker may stay silent while calls wait before it is declared crashed (default WORKER_SILENCE_MS). */
  silenceMs?: number;
  /** How long a new worker may take to say hello (default WORKER_HELLO_MS). */
  helloMs?: number;
}

/** Default of `silenceMs`: longer than any single run of a large model on a slow CPU (a busy worker cannot answer). */
export const WORKER_SILENCE_MS = 120_000;
/** Default of `helloMs`: the worker script, onnxruntime's JS included, must load and evaluate within this. */
export const WORKER_HELLO_MS = 60_000;
/** What the worker posts once it listens (src/workers/worker-api.ts: WORKER_HELLO). */
const HELLO = 'sam2-segmenter:hello';

/** Failures of a load that leave the worker sound: the next `ready()` loads again in it (ORT's .wasm stays). */
const KEEP_WORKER = new Set<string>(['model-fetch', 'model-integrity', 'model-contract', 'aborted']);

/** Posts a call; resolves as soon as it is posted, with the pending result (so posting order is call order). */
export type Post<Api, T> = (remote: Comlink.Remote<Api>, callId: number) => Promise<{ result: Promise<WireResult<T>> }>;

export class WorkerBridge<Api, Ready> {
  #worker: Worker | null = null;
  #remote: Comlink.Remote<Api> | null = null;
  #loading: Promise<Ready> | null = null;
  #failLoading: ((e: Error) => void) | null = null;
  /** Whether the current worker still needs `restore` (a replacement). */
  #restore = false;
  #started = false;
  /** Reject functions of calls posted to the current worker. */
  readonly #inFlight = new Set<(e: Error) => void>();
  /** Reject functions of every unsettled call. */
  readonly #pending = new Set<(e: Error) => void>();
  #tail: Promise<unknown> = Promise.resolve();
  #nextCallId = 1;
  #disposed = false;
  /** Settles when the current worker has said hello (it listens). */
  #hello: Promise<void> | null = null;
  /** When the current worker last posted anything. */
  #lastHeard = 0;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #pinging = false;

  constructor(private readonly options: WorkerBridgeOptions<Api, Ready>) {}

  /** The worker's API while one is running, else null. */
  get remote(): Comlink.Remote<Api> | null {
    return this.#remote;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Starts a worker and runs `init`, unless one is running or starting; resolves with what `init` resolved. */
  ready(): Promise<Ready> {
    if (this.#disposed) return Promise.reject(new Sam2Error('aborted', 'the segmenter was disposed'));
    if (this.#loading) return this.#loading;
    // A worker whose last load failed for the model's sake (not its own) loads again: ORT's .wasm is still there.
    if (!this.#remote) {
      try {
        this.#startWorker();
      } catch (e) {
        // A worker that cannot start (a cross-origin URL) cannot start later either: every call fails with this one
        // error, which the element reports once.
        const failed = Promise.reject(e instanceof Error ? e : new Error(String(e)));
        failed.catch(() => undefined);
        this.#loading = failed;
        return failed;
      }
    }
    const remote = this.#remote!;
    const hello = this.#hello!;
    const loading = new Promise<Ready>((resolve, reject) => {
      // A terminated worker never answers: kill() rejects the load through this hook.
      this.#failLoading = reject;
      hello.then(() => this.options.init(remote)).then(resolve, reject);
    });
    this.#loading = loading;
    loading.catch((e: unknown) => {
      // A failed load is not sticky: the next call tries again, in this worker when it is sound, else in a new one.
      if (this.#loading !== loading) return;
      if (isSam2Error(e) && KEEP_WORKER.has(e.code) && this.#remote === remote) {
        this.#loading = null;
        this.#failLoading = null;
        return;
      }
      this.kill(e instanceof Error ? e : new Error(String(e)));
    });
    return loading;
  }

  #startWorker(): void {
    const worker = this.options.createWorker();
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      if (this.#worker === worker)
        this.kill(new Sam2Error('worker-crashed', `the worker failed: ${e.message || 'script error or crash'}`));
    });
    const helloMs = this.options.helloMs ?? WORKER_HELLO_MS;
    this.#hello = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Sam2Error(
            'worker-crashed',
            `the worker did not start within ${helloMs} ms (is its script served, and does it import sam2-segmenter's worker?)`,
          ),
        );
      }, helloMs);
      worker.addEventListener('message', (e: MessageEvent<unknown>) => {
        if (this.#worker === worker) this.#lastHeard = performance.now();
        const data = e.data as Record<string, unknown> | null;
        if (data?.[HELLO] === true) {
          clearTimeout(timer);
          if (typeof data.lock === 'string') this.#watchLifetime(worker, data.lock);
          resolve();
        }
      });
    });
    this.#hello.catch(() => undefined);
    this.#worker = worker;
    this.#remote = Comlink.wrap<Api>(worker);
    this.#lastHeard = performance.now();
    this.#restore = this.#started;
    this.#started = true;
  }

  /**
   * The worker holds the Web Lock `name` while it lives; ours is granted when it ends. A worker that closed itself or
   * was closed by the browser (no event on the page) then fails its calls with `worker-crashed` at once, instead of
   * after the watchdog's silence. The request costs nothing while it waits and ends with the worker (terminate()).
   */
  #watchLifetime(worker: Worker, name: string): void {
    const locks = globalThis.navigator?.locks;
    if (!locks) return;
    locks
      .request(name, () => {
        if (this.#worker === worker) this.kill(new Sam2Error('worker-crashed', 'the worker was closed'));
      })
      .catch(() => undefined);
  }

  /**
   * While calls wait on the worker, pings it; a worker silent for `silenceMs` (closed by itself or the browser, which
   * raises no event) is declared crashed: its calls fail with `worker-crashed` and the next call starts another.
   */
  #watch(): void {
    if (this.#watchdog !== undefined || !this.options.ping) return;
    const silence = this.options.silenceMs ?? WORKER_SILENCE_MS;
    this.#watchdog = setInterval(
      () => {
        const remote = this.#remote;
        if (this.#inFlight.size === 0 || !remote) {
          clearInterval(this.#watchdog);
          this.#watchdog = undefined;
          return;
        }
        if (performance.now() - this.#lastHeard > silence) {
          this.kill(new Sam2Error('worker-crashed', `the worker stopped answering (silent for ${silence} ms)`));
          return;
        }
        if (this.#pinging) return;
        this.#pinging = true;
        this.options.ping!(remote).then(
          () => {
            this.#pinging = false;
          },
          () => {
            this.#pinging = false;
          },
        );
      },
      Math.max(50, Math.min(silence / 4, 5000)),
    );
  }

  /**
   * Queues one call: `post` runs after every earlier call has been posted (not completed) and the worker is ready.
   * Aborting rejects at once with `aborted` and, once posted, asks the worker to skip it if it has not started.
   */
  call<T>(signal: AbortSignal | undefined, post: Post<Api, T>, context: ErrorContext = 'call'): Promise<T> {
    if (this.#disposed) return Promise.reject(new Sam2Error('aborted', 'the segmenter was disposed'));
    if (signal?.aborted) return Promise.reject(abortedError());
    const callId = this.#nextCallId++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let sentTo: Comlink.Remote<Api> | null = null;
      const done = (): boolean => {
        if (settled) return false;
        settled = true;
        this.#pending.delete(fail);
        this.#inFlight.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      // Every rejection is a coded Sam2Error: platform errors through the one mapper, code-less ones `internal`.
      const fail = (e: unknown): void => {
        if (done()) reject(toSam2Error(e, context));
      };
      const onAbort = (): void => {
        fail(abortedError());
        if (sentTo && sentTo === this.#remote) this.options.cancel?.(sentTo, callId);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(fail);

      const step = this.#tail.then(async () => {
        if (settled) return;
        const remote = await this.#ensure();
        if (settled || !remote) return;
        const { result } = await post(remote, callId);
        sentTo = remote;
        this.#inFlight.add(fail);
        this.#watch();
        result.then(
          (r) => {
            if (!done()) return;
            try {
              resolve(unwrap(r, context));
            } catch (e) {
              reject(e);
              // onnxruntime trapped: this worker is unusable, replace it on the next call.
              if (isSam2Error(e, 'worker-crashed') && this.#remote === remote) this.kill(e);
            }
          },
          (e: unknown) => fail(e),
        );
      });
      // A step fails when the worker does not start, or `post` could not prepare or post its arguments (a tainted
      // bitmap cannot be posted: DataCloneError).
      step.catch((e: unknown) => fail(e));
      this.#tail = step.catch(() => undefined);
    });
  }

  /** Terminates the current worker and fails the calls it was running with `reason`; the next call starts another. */
  kill(reason: Error): void {
    const worker = this.#worker;
    const remote = this.#remote;
    this.#worker = null;
    this.#remote = null;
    this.#hello = null;
    this.#pinging = false;
    this.#loading = null;
    this.#failLoading?.(reason);
    this.#failLoading = null;
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
    for (const fail of [...this.#inFlight]) fail(reason);
  }

  /** Terminates the worker and rejects every pending call with `aborted`; later calls reject at once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const err = new Sam2Error('aborted', 'the segmenter was disposed');
    this.kill(err);
    for (const fail of [...this.#pending]) fail(err);
  }

  /** The ready worker, restored first when it replaces one that died. Runs inside the queue. */
  async #ensure(): Promise<Comlink.Remote<Api> | null> {
    await this.ready();
    const remote = this.#remote;
    if (remote && this.#restore) {
      this.#restore = false;
      await this.options.restore?.(remote);
    }
    return remote;
  }
}
