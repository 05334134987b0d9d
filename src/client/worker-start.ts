// Starts the engine's module worker. The package's own worker is named by a literal URL relative to import.meta.url
// inside `new Worker(…, { type: 'module' })`, the one form that Vite, webpack and esbuild recognise: they bundle the
// worker and rewrite its URL.
//
// Browsers start workers only from the page's origin. When the package itself is loaded from another origin (a CDN),
// the host serves a one-line module from its own origin, `import 'https://cdn…/dist/sam2.worker.js';`, and names it
// as `workerUrl`: the worker runs that shim, whose static import loads the real worker (CORS) before any message is
// delivered. No blob: or data: URL and no eval, so a strict CSP (`worker-src 'self'`) holds.

import { Sam2Error } from '../shared/errors.js';

// Not a literal on purpose: a second literal URL of the worker would make bundlers emit an unbundled copy of it.
const WORKER_PATH = '../workers/sam2.worker.js';

function crossOriginError(url: string, cause: unknown): Sam2Error {
  return new Sam2Error(
    'backend-unavailable',
    `the worker script ${url} is on another origin than this page, and browsers start workers only from the page's ` +
      `origin: serve a one-line module from this origin, import '${url}'; and name it as worker-url (or ` +
      `setAssetLocations({ workerUrl }))`,
    { cause },
  );
}

/** Starts the worker at `url`, or the package's own; a cross-origin URL fails with `backend-unavailable`. */
export function startWorker(url?: string): Worker {
  try {
    return url === undefined
      ? new Worker(new URL('../workers/sam2.worker.js', import.meta.url), { type: 'module' })
      : new Worker(url, { type: 'module' });
  } catch (e) {
    const target = url ?? new URL(WORKER_PATH, import.meta.url).href;
    if (e instanceof DOMException && e.name === 'SecurityError') throw crossOriginError(target, e);
    throw new Sam2Error('backend-unavailable', `the worker ${target} could not start: ${String(e)}`, { cause: e });
  }
}
