#!/usr/bin/env node
// `npm run check:export`: does what exportVideo() writes play outside the browser? Opens export-check.html in headless
// Chromium (it tracks a generated 29.97 fps clip and exports cutout, matte and overlay), writes the files to a temp
// folder and asks ffprobe for each one's frame count and timestamps, and ffmpeg to decode every frame (the cut-out
// with libvpx, which reads WebM's alpha stream). Prints the figures; exits 1 when a file does not match its source.
import { execFileSync, spawnSync } from 'node:child_process';
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

/** ffprobe's frame count of the first video stream (decoded, -count_frames). */
function probeCount(file) {
  return Number(
    execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        file,
      ],
      { encoding: 'utf8' },
    ).trim(),
  );
}

/** Every frame ffmpeg decodes (showinfo): timestamp in seconds and pixel format; `decoder` picks the decoder. */
function decode(file, decoder) {
  const args = [
    '-hide_banner',
    ...(decoder ? ['-c:v', decoder] : []),
    '-i',
    file,
    '-map',
    '0:v:0',
    '-vf',
    'showinfo',
    '-f',
    'null',
    '-',
  ];
  // showinfo logs to stderr.
  const r = spawnSync('ffmpeg', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw Object.assign(new Error('ffmpeg failed'), { stderr: r.stderr });
  return r.stderr;
}

function frames(file, decoder) {
  let log = '';
  try {
    log = decode(file, decoder);
  } catch (e) {
    throw new Error(`ffmpeg could not decode ${file}: ${e.stderr ?? e}`);
  }
  return [...log.matchAll(/pts_time:\s*([\d.]+).*?fmt:(\w+)/g)].map((m) => ({ t: Number(m[1]), pixFmt: m[2] }));
}

let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('[page]', m.text());
  });
  await page.goto(`http://localhost:${server.config.port}/tools/export-check/export-check.html`, { timeout: 300_000 });
  // Polled from here: one long in-page wait would outlast puppeteer's protocol timeout on a busy machine.
  for (const deadline = Date.now() + 1_200_000; !(await page.evaluate('window.__exportCheck?.done === true'));) {
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
    const decoded = frames(file, name === 'cutout' ? 'libvpx-vp9' : undefined);
    const count = probeCount(file);
    const times = decoded.map((f) => f.t);
    const sameTimes =
      times.length === r.timestamps.length && times.every((t, i) => Math.abs(t - r.timestamps[i]) < 0.0015);
    const ok =
      count === r.frames &&
      decoded.length === r.frames &&
      sameTimes &&
      (name !== 'cutout' || decoded.every((f) => f.pixFmt === 'yuva420p'));
    if (!ok) failed = true;
    console.log(
      `${name}: ffprobe counts ${count} frames, ffmpeg decodes ${decoded.length} (source ${r.frames}), timestamps ${sameTimes ? 'equal the source' : `differ: ${times.join(',')}`}, pixel format ${decoded[0]?.pixFmt}${ok ? '' : '  <-- MISMATCH'}  (${file})`,
    );
  }
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
