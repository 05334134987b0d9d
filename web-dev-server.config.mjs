// `npm start`: serves the repo root so the demo can import the SDK straight from src/ (TypeScript
// compiled on the fly by esbuild) and fetch models from demo/models and ORT's runtime files from
// node_modules, without a build step.
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { ortRuntimePassthrough, tsSourceForJs } from './tools/ort-dev-server-plugin.mjs';

export default {
  rootDir: fileURLToPath(new URL('.', import.meta.url)),
  port: Number(process.env.PORT ?? 8000),
  // Headless/CI machines have no desktop browser to open.
  open: false,
  watch: false,
  // Served for '/' (and any unknown path). Note: relative URLs inside it resolve against the
  // requested path, not demo/, so the demo should use absolute ones like /src/... and /demo/models/...
  appIndex: 'demo/index.html',
  nodeResolve: true,
  middleware: [tsSourceForJs(fileURLToPath(new URL('.', import.meta.url)))],
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), ortRuntimePassthrough()],
};
