// Every wait has an end: a platform call that may never answer (an IndexedDB that hangs, a video that never loads,
// a worker that went silent) is raced against a timer, and the loser is left to settle unobserved.

/** Rejects with `onTimeout()` when `p` has not settled within `ms`; the timer is cleared when it does. */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A timeout as an Error whose name says so (`TimeoutError`, as `AbortSignal.timeout()` uses). */
export function timeoutError(what: string, ms: number): Error {
  const e = new Error(`${what} did not answer within ${ms} ms`);
  e.name = 'TimeoutError';
  return e;
}
