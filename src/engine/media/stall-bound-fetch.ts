// A fetch for mediabunny's UrlSource that ends when the server goes silent: no response headers, or a read of the body
// that gets no bytes, within `stallMs`. mediabunny's own requests have no bound, so a clip URL whose server never
// answers would leave the worker's demux, and the track() waiting on it, pending forever.
//
// Only a read that is pending counts: mediabunny may hold a body without reading it (it has the bytes it needs), and
// that is no stall. The Response is mediabunny's own object (its `type`, `url` and `redirected` matter to it); only
// its body is replaced by one that times its reads.

/** Default bound of one clip request's silence. */
export const CLIP_STALL_MS = 10_000;

/** The error a silent server ends a request with (mediabunny reports it; the clip reader maps it to media-decode). */
export function stallError(url: string, ms: number): Error {
  const e = new Error(`the server of ${url} sent nothing for ${ms} ms`);
  e.name = 'TimeoutError';
  return e;
}

function urlOf(input: RequestInfo | URL): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** A `fetch` whose requests end with a TimeoutError once the server has been silent for `stallMs`. */
export function stallBoundFetch(stallMs = CLIP_STALL_MS, base: typeof fetch = fetch): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const ctl = new AbortController();
    const outer = init?.signal;
    const forward = (): void => ctl.abort(outer!.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener('abort', forward, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => ctl.abort(stallError(url, stallMs)), stallMs);
    };
    const settle = (): void => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    };
    arm();
    let res: Response;
    try {
      res = await base(input, { ...init, signal: ctl.signal });
    } catch (e) {
      settle();
      throw ctl.signal.aborted && !outer?.aborted ? (ctl.signal.reason as Error) : e;
    }
    clearTimeout(timer);
    const body = res.body;
    if (!body) {
      settle();
      return res;
    }
    const reader = body.getReader();
    const timed = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          arm();
          try {
            const r = await reader.read();
            clearTimeout(timer);
            if (r.done) {
              settle();
              controller.close();
            } else controller.enqueue(r.value);
          } catch (e) {
            settle();
            throw ctl.signal.aborted && !outer?.aborted ? (ctl.signal.reason as Error) : e;
          }
        },
        cancel(reason) {
          settle();
          return reader.cancel(reason);
        },
      },
      // Pull only while a read is pending.
      { highWaterMark: 0 },
    );
    Object.defineProperty(res, 'body', { value: timed, configurable: true });
    return res;
  };
}
