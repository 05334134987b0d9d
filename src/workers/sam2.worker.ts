// Worker entry: builds the engine core and exposes it with comlink. The main thread imports only `WorkerApi`.

import * as Comlink from 'comlink';
import { EngineCore } from '../engine/engine-core.js';
import { createWorkerApi } from './worker-api.js';

Comlink.expose(createWorkerApi(new EngineCore(), { defaultWasmPaths: new URL('./', import.meta.url).href }));

export type { WorkerApi } from './worker-api.js';
