import { existsSync } from 'node:fs';
import { join } from 'node:path';
// Dev-server plugin shared by web-test-runner.config.mjs and web-dev-server.config.mjs.
//
// Why: when ort.env.wasm.wasmPaths is a URL prefix, onnxruntime-web no longer uses the emscripten glue
// embedded in its bundle but dynamic-imports node_modules/onnxruntime-web/dist/ort-wasm-*.mjs. That
// glue contains a Node-only branch with `await import("module")`; the dev server's nodeResolve step
// rewrites every import it serves, cannot resolve the Node builtin "module", and answers the whole
// file with an error, so session creation fails with "Failed to fetch dynamically imported module".
// The branch never runs in a browser, so leaving that import untouched is safe.

const ORT_GLUE = /^\/(node_modules\/onnxruntime-web\/)?dist\/ort-wasm[^/]*\.mjs$/;
const NODE_BUILTINS = new Set(['module', 'worker_threads', 'fs', 'path', 'url', 'os', 'crypto']);

export function ortRuntimePassthrough() {
  return {
    name: 'ort-runtime-passthrough',
    // Runs before nodeResolve (user plugins go first); returning the source unchanged ends resolution.
    resolveImport({ source, context }) {
      if (ORT_GLUE.test(context.path) && NODE_BUILTINS.has(source.replace(/^node:/, ''))) return source;
      return undefined;
    },
  };
}

// Why: source modules name the worker the way bundlers and the built package need it,
// `new URL('../workers/sam2.worker.js', import.meta.url)`. The dev server maps .js to .ts only inside import
// statements, not for a URL that `new Worker` fetches, so this middleware serves the .ts source for any
// missing /src/**/*.js (esbuild then compiles it like any other module). Likewise the worker looks for ORT's
// runtime files beside itself, as in dist/; in the source tree they are in node_modules.
export function tsSourceForJs(rootDir) {
  return async (ctx, next) => {
    const ortFile = /^\/src\/(?:workers|engine)\/(ort-wasm[^/]*)$/.exec(ctx.path);
    if (ortFile) ctx.url = `/node_modules/onnxruntime-web/dist/${ortFile[1]}`;
    const m = /^(\/src\/.+)\.js$/.exec(ctx.path);
    if (m && !existsSync(join(rootDir, ctx.path)) && existsSync(join(rootDir, `${m[1]}.ts`))) {
      ctx.url = ctx.url.replace(/\.js(?=\?|$)/, '.ts');
    }
    return next();
  };
}
