#!/usr/bin/env node
// `npm run bench`: serves the repository, opens bench/bench.html in headless Chromium (WASM, one thread, as a
// page without cross-origin isolation gets) and prints the figures the page measures. Figures, not
// assertions: medians of several runs and ratios against raw onnxruntime-web calls made in the same run.
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import puppeteer from 'puppeteer-core';
import { ortRuntimePassthrough, tsSourceForJs } from '../tools/ort-dev-server-plugin.mjs';
import { mediabunnyBrowserShim } from '../tools/mediabunny-dev-server-plugin.mjs';

const rootDir = fileURLToPath(new URL('..', import.meta.url));
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
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  headless: true,
  // No protocol timeout: a busy machine can hold one call longer than puppeteer's default 180 s.
  protocolTimeout: 0,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
});
let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('[page]', m.text());
  });
  const runs = Number(process.env.BENCH_RUNS ?? 15);
  // BENCH_PAGE picks another page of bench/ (e.g. mask-codecs), measured the same way.
  // Shorter runs on a busy machine: BENCH_FRAMES (raw tracker frames), BENCH_CLIP_FRAMES (clip frames per SDK run),
  // BENCH_ONLY=clips (only the clip figures).
  const extra = [
    ['frames', process.env.BENCH_FRAMES],
    ['clipFrames', process.env.BENCH_CLIP_FRAMES],
    ['only', process.env.BENCH_ONLY],
  ]
    .filter(([, v]) => v)
    .map(([k, v]) => `&${k}=${encodeURIComponent(v)}`)
    .join('');
  await page.goto(`http://localhost:${port}/bench/${process.env.BENCH_PAGE ?? 'bench'}.html?runs=${runs}${extra}`, {
    timeout: 300_000,
  });
  // Polled from here: one long in-page wait would outlast puppeteer's protocol timeout on a busy machine.
  for (const deadline = Date.now() + 1_200_000; !(await page.evaluate('window.__bench?.done === true'));) {
    if (Date.now() > deadline) throw new Error('the page did not finish within 20 minutes');
    await new Promise((r) => setTimeout(r, 2000));
  }
  const result = await page.evaluate('window.__bench');
  if (result.error) throw new Error(result.error);
  console.log(`sam2-segmenter bench: ${result.env}`);
  for (const line of result.lines) console.log(line);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
