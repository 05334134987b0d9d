#!/usr/bin/env node
// `npm run check:export`: does what exportVideo() writes play outside the browser? Opens export-check.html in headless
// Chromium (it tracks a generated 29.97 fps clip and exports cutout, matte and overlay), writes the files to a temp
// folder and asks ffprobe for each one's frame count and timestamps, and ffmpeg to decode every frame (the cut-out
// with libvpx, which reads WebM's alpha stream). Prints the figures; exits 1 when a file does not match its source.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import puppeteer from 'puppeteer-core';
import { ortRuntimePassthrough, tsSourceForJs } from '../ort-dev-server-plugin.mjs';
import { mediabunnyBrowserShim } from '../mediabunny-dev-server-plugin.mjs';

const rootDir = fileURLToPath(new URL('../..', import.meta.url));
const server = await startDevServer({
  config: {
    rootDir,
    port: Number(process.env.CHECK_PORT ?? 8766),
    nodeResolve: true,
    middleware: [tsSourceForJs(rootDir)],
    plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), ortRuntimePassthrough(), mediabunnyBrowserShim()],
  },
  readCliArgs: false,
  readFileConfig: false,
  logStartMessage: false,
});
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

/** Frame count and timestamps (seconds) of the first video stream, as ffprobe decodes it. */
function probe(file, decoder) {
  const args = ['-v', 'error', ...(decoder ? ['-c:v', decoder] : []), '-select_streams', 'v:0', '-show_entries', 'frame=pts_time,pix_fmt', '-of', 'json', file];
  const out = JSON.parse(execFileSync('ffprobe', args, { encoding: 'utf8' }));
  return out.frames.map((f) => ({ t: Number(f.pts_time), pixFmt: f.pix_fmt }));
}

let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('[page]', m.text());
  });
  await page.goto(`http://localhost:${server.config.port}/tools/export-check/export-check.html`, { timeout: 300_000 });
  // Polled from here: one long in-page wait would outlast puppeteer's protocol timeout on a busy machine.
  for (const deadline = Date.now() + 1_200_000; !(await page.evaluate('window.__exportCheck?.done === true')); ) {
    if (Date.now() > deadline) throw new Error('the page did not finish within 20 minutes');
    await new Promise((r) => setTimeout(r, 2000));
  }
  const r = await page.evaluate('window.__exportCheck');
  if (r.error) throw new Error(r.error);
  const dir = mkdtempSync(join(tmpdir(), 'sam2-export-'));
  for (const [name, b64] of Object.entries(r.files)) {
    const file = join(dir, `${name}.webm`);
    writeFileSync(file, Buffer.from(b64, 'base64'));
    // libvpx decodes the alpha stream (BlockAdditions) into yuva420p; ffmpeg's native VP9 decoder ignores it.
    const frames = probe(file, name === 'cutout' ? 'libvpx-vp9' : undefined);
    const times = frames.map((f) => f.t);
    const sameTimes = times.length === r.timestamps.length && times.every((t, i) => Math.abs(t - r.timestamps[i]) < 0.0015);
    execFileSync('ffmpeg', ['-v', 'error', ...(name === 'cutout' ? ['-c:v', 'libvpx-vp9'] : []), '-i', file, '-f', 'null', '-']);
    const ok = frames.length === r.frames && sameTimes && (name !== 'cutout' || frames.every((f) => f.pixFmt === 'yuva420p'));
    if (!ok) failed = true;
    console.log(`${name}: ${frames.length} frames (source ${r.frames}), timestamps ${sameTimes ? 'equal the source' : `differ: ${times.join(',')}`}, pixel format ${frames[0]?.pixFmt}, ffmpeg decodes it: yes${ok ? '' : '  <-- MISMATCH'}  (${file})`);
  }
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
