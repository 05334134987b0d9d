// `npm start`: serves the repo root so the demo can import the SDK straight from src/ (TypeScript
// compiled on the fly by esbuild) and fetch models from demo/models and ORT's runtime files from
// node_modules, without a build step.
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { ortRuntimePassthrough, tsSourceForJs } from './tools/ort-dev-server-plugin.mjs';
import { mediabunnyBrowserShim } from './tools/mediabunny-dev-server-plugin.mjs';

export default {
  rootDir: fileURLToPath(new URL('.', import.meta.url)),
  port: Number(process.env.PORT ?? 8000),
  // Headless/CI machines have no desktop browser to open.
  open: false,
  watch: false,
  // Fallback page for unknown paths under /demo/ (wds only applies appIndex within its directory).
  appIndex: 'demo/index.html',
  // '/' itself is outside that scope; redirect instead of serving the page at '/', so the demo's
  // relative URLs (scene.js, demo.css, models/...) resolve against /demo/.
  middleware: [
    (ctx, next) => {
      if (ctx.path === '/') return ctx.redirect('/demo/');
      return next();
    },
    tsSourceForJs(fileURLToPath(new URL('.', import.meta.url))),
  ],
  nodeResolve: true,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), ortRuntimePassthrough(), mediabunnyBrowserShim()],
};
