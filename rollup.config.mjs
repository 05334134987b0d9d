// `npm run build`: dist/sam2-segmenter.js (ES module that registers the element and exports the API),
// dist/sam2.worker.js, onnxruntime-web's runtime files and the twin model beside them, and type
// declarations. A page that imports only dist/sam2-segmenter.js from a static server needs nothing else:
// the worker, the .wasm files and the default model are all found relative to that module.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';

const ORT_DIST = 'node_modules/onnxruntime-web/dist';
// The JSEP build (wasm + WebGPU) that the bare 'onnxruntime-web' entry loads.
const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];
const TWIN_DIR = 'demo/models/sam2-twin';

// In the source tree the worker and the twin sit at fixed places relative to src/client/ (segmenter.ts, presets.ts); in dist
// they sit beside the bundle. Rewriting the two literals keeps `new Worker(new URL(..., import.meta.url))`
// literal, which is what bundlers of host apps recognise.
const SOURCE_TO_DIST = [
  ['../workers/sam2.worker.js', './sam2.worker.js'],
  ['../../demo/models/sam2-twin/manifest.json', './models/sam2-twin/manifest.json'],
];

function distAssets() {
  return {
    name: 'sam2-dist-assets',
    transform(code, id) {
      if (!id.includes('/src/')) return null;
      let out = code;
      for (const [from, to] of SOURCE_TO_DIST) out = out.split(`'${from}'`).join(`'${to}'`);
      return { code: out, map: null };
    },
    generateBundle() {
      for (const f of ORT_FILES) {
        this.emitFile({ type: 'asset', fileName: f, source: readFileSync(join(ORT_DIST, f)) });
      }
      for (const f of readdirSync(TWIN_DIR)) {
        const path = join(TWIN_DIR, f);
        if (!statSync(path).isFile()) continue;
        this.emitFile({ type: 'asset', fileName: join('models/sam2-twin', relative(TWIN_DIR, path)), source: readFileSync(path) });
      }
    },
  };
}

export default {
  input: {
    'sam2-segmenter': 'src/index.ts',
    headless: 'src/headless.ts',
    'sam2.worker': 'src/workers/sam2.worker.ts',
  },
  output: {
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].js',
    // Chunks sit beside the entries: the asset URLs rewritten to './…' are resolved against the chunk's own URL.
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
  plugins: [
    nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
    typescript({ tsconfig: './tsconfig.build.json' }),
    distAssets(),
  ],
  onwarn(warning, warn) {
    // onnxruntime-web's bundle uses eval-free dynamic imports that rollup cannot analyse; harmless.
    if (warning.code === 'CIRCULAR_DEPENDENCY' && warning.ids?.some((id) => id.includes('node_modules'))) return;
    warn(warning);
  },
};
