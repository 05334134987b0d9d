// `npm run build` writes dist/ with two builds of the page-side code and one worker:
//
// - dist/sam2-segmenter.js, dist/headless.js (+ a shared chunk beside them): the bundler build. `lit`, `comlink` and `idb-keyval`
//   stay bare imports (package dependencies), so an app that uses Lit ships one copy of it.
// - dist/sam2-segmenter.cdn.js: the self-contained build for `<script type="module">` from a CDN or a static
//   server, with no import map; minified.
// - dist/sam2.worker.js: the worker, self-contained (onnxruntime-web's JS, comlink, idb-keyval inlined), minified.
//   onnxruntime-web is not a dependency: only its WebGPU build's .wasm and glue .mjs ship, beside the worker.
//
// Every asset is named by a literal `new URL('./…', import.meta.url)` relative to the module that uses it: the
// worker and the twin model's files beside the page-side entries, ORT's files beside the worker. Host bundlers
// (Vite, webpack, esbuild) emit them and rewrite the URLs; a static server needs no configuration.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

const ORT_DIST = 'node_modules/onnxruntime-web/dist';
// The build 'onnxruntime-web/webgpu' loads (src/engine/runtime.ts says why this one).
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];
const TWIN_DIR = 'demo/models/sam2-twin';
// The twins of the public video exports and the no-memory-embedding sidecars (src/client/video-presets.ts).
const VIDEO_MODEL_DIRS = ['sam2.1-video-twin-a', 'sam2.1-video-twin-b512', 'edgetam-video-twin-c', 'sidecars'];

// In the source tree the worker and the twin sit at fixed places relative to src/client/; in dist they sit beside
// the entries. Rewriting the quoted prefixes keeps the `new URL` literals literal.
const SOURCE_TO_DIST = [
  ["'../workers/sam2.worker.js'", "'./sam2.worker.js'"],
  // The twin, the twins of the public video exports and our sidecars (src/client/presets.ts, video-presets.ts).
  ["'../../demo/models/", "'./models/"],
];

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function sourceToDist() {
  return {
    name: 'sam2-source-to-dist',
    transform(code, id) {
      if (!id.includes('/src/')) return null;
      let out = code;
      for (const [from, to] of SOURCE_TO_DIST) out = out.split(from).join(to);
      return out === code ? null : { code: out, map: null };
    },
  };
}

function emitAssets() {
  return {
    name: 'sam2-assets',
    generateBundle() {
      for (const f of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: f, source: readFileSync(join(ORT_DIST, f)) });
      }
      for (const f of readdirSync(TWIN_DIR)) {
        const path = join(TWIN_DIR, f);
        if (statSync(path).isFile())
          this.emitFile({ type: 'asset', fileName: `models/sam2-twin/${f}`, source: readFileSync(path) });
      }
      for (const d of VIDEO_MODEL_DIRS) {
        for (const path of filesUnder(join('demo/models', d))) {
          this.emitFile({
            type: 'asset',
            fileName: join('models', relative('demo/models', path)),
            source: readFileSync(path),
          });
        }
      }
    },
  };
}

// onnxruntime-web names its own file, `new URL('ort.webgpu.min.mjs', import.meta.url)` (through an alias of URL), to
// find itself when loaded from a file: URL. Inlined in the worker that file is the worker itself, so the reference
// becomes `import.meta.url`: same value, and no host bundler (webpack follows the alias) looks for a file that is
// not there.
function ortSelfReference() {
  return {
    name: 'sam2-ort-self-reference',
    transform(code, id) {
      if (!/onnxruntime-web[\\/]dist[\\/]/.test(id)) return null;
      const out = code.replace(/new (\w+)\("ort\.[\w.]+\.mjs",import\.meta\.url\)/g, 'new $1(import.meta.url)');
      return out === code ? null : { code: out, map: null };
    },
  };
}

const BARE = ['lit', 'comlink', 'idb-keyval'];
const isBare = (id) => BARE.some((d) => id === d || id.startsWith(`${d}/`));

const resolve = (extra = []) =>
  nodeResolve({ browser: true, exportConditions: [...extra, 'browser', 'import', 'default'] });
const ts = (declarations) =>
  typescript({
    tsconfig: './tsconfig.build.json',
    // `npm run typecheck` checks types; the build only emits (three times faster).
    noCheck: true,
    ...(declarations ? {} : { declaration: false, declarationDir: undefined, declarationMap: false }),
  });
// Keeps onnxruntime-web's `import(/*webpackIgnore:true*/ /*@vite-ignore*/ url)` hints: without them webpack turns the
// import of ORT's glue into a context module that cannot find it.
const min = () => terser({ format: { comments: /webpackIgnore|@vite-ignore/ }, ecma: 2022, module: true });

function onwarn(warning, warn) {
  // onnxruntime-web's bundle has circular imports and `this` at module level in code paths browsers never take.
  if (warning.code === 'CIRCULAR_DEPENDENCY' && warning.ids?.some((id) => id.includes('node_modules'))) return;
  if (warning.code === 'THIS_IS_UNDEFINED' && warning.id?.includes('node_modules')) return;
  warn(warning);
}

export default [
  {
    input: { 'sam2-segmenter': 'src/index.ts', headless: 'src/headless.ts' },
    external: isBare,
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
      sourcemap: true,
    },
    plugins: [resolve(), ts(true), sourceToDist(), emitAssets()],
    onwarn,
  },
  {
    input: { 'sam2-segmenter.cdn': 'src/index.ts' },
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', inlineDynamicImports: true, sourcemap: true },
    plugins: [resolve(), ts(false), sourceToDist(), min()],
    onwarn,
  },
  {
    input: { 'sam2.worker': 'src/workers/sam2.worker.ts' },
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', inlineDynamicImports: true, sourcemap: true },
    // 'onnxruntime-web-use-extern-wasm' picks ORT's build without the emscripten glue inlined (66 KB instead of 118
    // KB): the worker always names the glue file (runtime.ts, ortFileUrls), so the inlined copy would be dead code.
    plugins: [resolve(['onnxruntime-web-use-extern-wasm']), ts(false), sourceToDist(), ortSelfReference(), min()],
    onwarn,
  },
];
