#!/usr/bin/env node
// `npm run bench`: serves the repository, opens bench/bench.html in headless Chromium (WASM, one thread, as a
// page without cross-origin isolation gets), then again in a Chromium with WebGPU on SwiftShader for the byte
// counters, measures the element entry's size, prints the figures and writes bench/results.json (names in
// bench/README.md). Figures, not assertions: medians of several runs and ratios measured in the same run.
// BENCH_RUNS (default 5) and BENCH_CLIP_FRAMES (default 20), BENCH_PAGE_TIMEOUT_S (default 420) trade time for noise;
// BENCH_ONLY=image|big|raw|clips runs one other part of the page alone (BENCH_FRAMES: raw tracker frames), without results.json.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { ortRuntimePassthrough, tsSourceForJs } from '../tools/ort-dev-server-plugin.mjs';
import { mediabunnyBrowserShim } from '../tools/mediabunny-dev-server-plugin.mjs';

const rootDir = fileURLToPath(new URL('..', import.meta.url));
const t0 = Date.now();
const load0 = loadavg()[0];

/** The element entry (src/index.ts: element + headless client), minified and gzipped, without onnxruntime-web or lazy chunks. */
async function elementSize() {
  const out = await build({
    entryPoints: [`${rootDir}src/index.ts`],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    external: ['onnxruntime-web', 'onnxruntime-web/*'],
    // Split as rollup builds dist/: code loaded on first use (the page-side PNG encoder) is its own chunk.
    splitting: true,
    outdir: `${rootDir}bench-size`,
    metafile: true,
    logLevel: 'silent',
  });
  // The entry and the chunks it imports statically: what a page loads before the element runs.
  const files = new Map(out.outputFiles.map((f) => [relative(process.cwd(), f.path), f.contents]));
  const loaded = new Set();
  const visit = (name) => {
    if (loaded.has(name)) return;
    loaded.add(name);
    for (const i of out.metafile.outputs[name]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(Object.keys(out.metafile.outputs).find((k) => /(^|\/)index\.js$/.test(k)));
  const js = Buffer.concat([...loaded].map((k) => files.get(k) ?? Buffer.alloc(0)));
  return { min: js.length, gz: gzipSync(js, { level: 9 }).length };
}

const server = await startDevServer({
  config: {
    rootDir,
    port: Number(process.env.BENCH_PORT ?? 8765),
    nodeResolve: true,
    middleware: [tsSourceForJs(rootDir)],
    plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), ortRuntimePassthrough(), mediabunnyBrowserShim()],
  },
  readCliArgs: false,
  readFileConfig: false,
  logStartMessage: false,
});
const port = server.config.port;
let failed = false;
const baseArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * CPU ms of the longest task of the renderer's main thread in a Chromium trace (its thread time, `tdur`), from the
 * page's `bench:cpu:from` mark on (bench.ts mainThreadCpu).
 */
function longestMainTaskCpuMs(trace) {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const marks = events.filter((e) => e.name === 'bench:cpu:from').map((e) => e.ts);
  const from = marks.length ? Math.min(...marks) : -Infinity;
  const main = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  let longest = 0;
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask' || !main.has(`${e.pid}:${e.tid}`)) continue;
    if (!(e.ts >= from)) continue;
    longest = Math.max(longest, (e.tdur ?? e.dur ?? 0) / 1000);
  }
  return longest;
}

async function runPage(mode, args) {
  // The raw-session baseline blocks the page's main thread for seconds on a loaded machine: long protocol timeout.
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    headless: true,
    protocolTimeout: 600_000,
    args: [...baseArgs, ...args],
  });
  try {
    const page = await browser.newPage();
    // The page's main-thread CPU time while it clicks or tracks (bench.ts mainThreadCpu): a trace of the toplevel
    // category, whose tasks carry their thread time; only the longest task of the page's main thread is kept.
    if (mode === 'wasm') {
      await page.exposeFunction('benchTrace', async (action) => {
        if (action === 'start') {
          await page.tracing.start({ categories: ['toplevel', 'blink.user_timing'] });
          return 0;
        }
        return longestMainTaskCpuMs(JSON.parse(new TextDecoder().decode(await page.tracing.stop())));
      });
    }
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('404')) console.error('[page]', m.text());
      if (m.type() === 'info') console.log(`  (${mode}) ${m.text()}`);
    });
    const runs = Number(process.env.BENCH_RUNS ?? 5);
    const extra = [
      ['clipFrames', process.env.BENCH_CLIP_FRAMES],
      ['frames', process.env.BENCH_FRAMES],
      ['only', process.env.BENCH_ONLY],
    ]
      .filter(([, v]) => v)
      .map(([k, v]) => `&${k}=${encodeURIComponent(v)}`)
      .join('');
    // BENCH_PAGE picks another page of bench/ (e.g. mask-codecs), measured the same way.
    const pageName = process.env.BENCH_PAGE ?? 'bench';
    await page.goto(`http://localhost:${port}/bench/${pageName}.html?mode=${mode}&runs=${runs}${extra}`, {
      timeout: 300_000,
    });
    let result;
    try {
      await page.waitForFunction('window.__bench?.done === true', {
        timeout: Number(process.env.BENCH_PAGE_TIMEOUT_S ?? 420) * 1000,
        polling: 2000,
      });
      result = await page.evaluate('window.__bench');
    } catch (e) {
      // Keep what was measured before the time ran out (a loaded machine): the figures say which are missing.
      const p = await page.evaluate('window.__benchPartial').catch(() => null);
      console.error(`(${mode}) page did not finish: ${e.message}; keeping the figures measured so far`);
      failed = true;
      result = { env: 'partial', lines: p?.lines ?? [], metrics: p?.metrics ?? {} };
    }
    if (result.error) throw new Error(result.error);
    console.log(`sam2-segmenter bench (${mode}): ${result.env}`);
    for (const line of result.lines) console.log(line);
    return result.metrics;
  } finally {
    await browser.close();
  }
}

const metrics = {};
try {
  Object.assign(metrics, await runPage('wasm', []));
  if (process.env.BENCH_ONLY) {
    await server.stop();
    process.exit(failed ? 1 : 0);
  }
  if (process.env.BENCH_WEBGPU !== '0')
    Object.assign(metrics, await runPage('webgpu', ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']));
  const size = await elementSize();
  metrics['size.elementMinBytes'] = size.min;
  metrics['size.elementMinGzBytes'] = size.gz;
  console.log(`element entry (src/index.ts, minified, without onnxruntime-web): ${size.min} B, gzip ${size.gz} B`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await server.stop();
}
const results = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, loadAverage1mStart: load0, loadAverage1mEnd: loadavg()[0] },
  seconds: Math.round((Date.now() - t0) / 1000),
  metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Math.round(v * 100) / 100])),
};
writeFileSync(new URL('results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
process.exit(failed ? 1 : 0);
