// Worker entry: builds the engine core and exposes it with comlink. The main thread imports only `WorkerApi`.

import { EngineCore } from '../engine/engine-core.js';
import { createWorkerApi, exposeWorkerApi } from './worker-api.js';

// Without a `wasmPaths`, ORT's runtime files are the ones beside this script (engine/runtime.ts, ortFileUrls).
exposeWorkerApi(createWorkerApi(new EngineCore(), {}));

export type { WorkerApi } from './worker-api.js';
