// Worker entry: builds the engine core and exposes it with comlink. The main thread imports only `WorkerApi`.

import { EngineCore } from '../engine/engine-core.js';
import { createWorkerApi, exposeWorkerApi } from './worker-api.js';

exposeWorkerApi(createWorkerApi(new EngineCore(), { defaultWasmPaths: new URL('./', import.meta.url).href }));

export type { WorkerApi } from './worker-api.js';
