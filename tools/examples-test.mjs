// `node tools/examples-test.mjs`: tests the package the way users get it. It packs dist/ (`npm pack`), installs the
// tarball into examples/ (one shared install with Vite, React and webpack), then:
//   - installed size: the tarball installed into an empty project, with its dependencies (must be ≤ 60 MB);
//   - the Custom Elements Manifest (the `customElements` field): attributes, typed events, parts, CSS properties, no
//     internals;
//   - SSR: importing the package and its headless entry in Node throws nothing and defines nothing;
//   - types: the examples and the README's TypeScript blocks type-check against the shipped declarations, also
//     beside another library that declares a `ready` event globally;
//   - each app, built (and Vite's also in dev), opened in Chromium: the model loads, a real mouse click on the red
//     rectangle of examples/shared/scene.png gives a mask with IoU ≥ 0.9 against it, and the page logs no error.
//     cdn: plain HTML loading dist/sam2-segmenter.cdn.js from a second origin (a stand-in for jsDelivr) under a strict
//     CSP, its worker started through the page's one-line shim; vite-vanilla (build and dev), vite-react (React 19,
//     JSX types from sam2-segmenter/react), webpack (5, no loaders).
// Run `npm run build` first (`npm test` does). Options: --only=cdn,vite-vanilla,vite-react,webpack --no-dev --no-types.
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const SCENE = join(EXAMPLES, 'shared/scene.png');
// The red rectangle of scene.png (natural pixels, end exclusive) and a point inside it.
const TRUTH = { x0: 80, y0: 50, x1: 200, y1: 150 };
const CLICK = { x: 140, y: 100 };
const MIN_IOU = 0.9;
const MAX_INSTALLED_MB = 60;
const CDN_ORIGIN = 'https://cdn.jsdelivr.net';
const CDN_PREFIX = '/npm/sam2-segmenter@0.1.0/';

const args = process.argv.slice(2);
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const want = (name) => !only || only.includes(name);
const t0 = performance.now();
const times = [];
async function step(name, fn) {
  const s = performance.now();
  process.stdout.write(`-- ${name}\n`);
  const r = await fn();
  const sec = (performance.now() - s) / 1000;
  times.push([name, sec]);
  process.stdout.write(`   ${sec.toFixed(1)} s\n`);
  return r;
}
const npm = (cwd, ...a) => execFileSync('npm', a, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const du = (dir) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
const mb = (b) => (b / 1e6).toFixed(1);

// --- pack and install ---------------------------------------------------------------------------------------------
if (!existsSync(join(ROOT, 'dist/sam2.worker.js')) || !existsSync(join(ROOT, 'dist/custom-elements.json'))) {
  throw new Error('dist/ is not built: run `npm run build` first');
}
const work = mkdtempSync(join(tmpdir(), 'sam2-examples-'));
const tarball = await step('npm pack', () => {
  const out = JSON.parse(npm(ROOT, 'pack', '--json', '--ignore-scripts', '--pack-destination', work));
  const file = join(work, out[0].filename);
  console.log(
    `   tarball ${mb(statSync(file).size)} MB, unpacked ${mb(out[0].unpackedSize)} MB, ${out[0].entryCount} files`,
  );
  return file;
});
await step('install into examples/ (shared, with vite, react, webpack)', () => {
  npm(EXAMPLES, 'install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', tarball);
});
await step('installed size (tarball + dependencies in an empty project)', () => {
  const dir = join(work, 'size');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), '{"name":"size-check","private":true}');
  npm(dir, 'install', '--no-package-lock', '--no-audit', '--no-fund', tarball);
  const bytes = du(join(dir, 'node_modules'));
  const own = du(join(dir, 'node_modules/sam2-segmenter'));
  const deps = readdirSync(join(dir, 'node_modules')).filter((d) => !d.startsWith('.'));
  console.log(
    `   installed ${mb(bytes)} MB (the package ${mb(own)} MB; ${deps.length} top-level entries: ${deps.join(', ')})`,
  );
  if (bytes > MAX_INSTALLED_MB * 1e6) throw new Error(`installed size ${mb(bytes)} MB exceeds ${MAX_INSTALLED_MB} MB`);
});

await step('custom elements manifest (the customElements field of the installed package)', () => {
  const dir = join(EXAMPLES, 'node_modules/sam2-segmenter');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const cem = JSON.parse(readFileSync(join(dir, pkg.customElements), 'utf8'));
  const el = cem.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'sam2-segmenter');
  if (!el) throw new Error('no sam2-segmenter in the manifest');
  const events = Object.fromEntries(el.events.map((e) => [e.name, e.type?.text]));
  const want = [
    'ready',
    'model-progress',
    'mask-change',
    'track-frame',
    'track-end',
    'image-encoded',
    'error',
    'warning',
  ];
  if (JSON.stringify(Object.keys(events).sort()) !== JSON.stringify([...want].sort()))
    throw new Error(`events: ${Object.keys(events)}`);
  for (const [n, t] of Object.entries(events))
    if (!/^CustomEvent<\w+>$/.test(t ?? '')) throw new Error(`event ${n} has type ${t}`);
  const attrs = el.attributes.map((a) => a.name);
  for (const a of ['src', 'model', 'device', 'mode', 'wasm-paths', 'worker-url', 'no-cache'])
    if (!attrs.includes(a)) throw new Error(`attribute ${a} missing`);
  if (attrs.some((a) => a.startsWith('_')) || el.members.some((m) => m.name.startsWith('_')))
    throw new Error('internal members are public');
  const parts = el.cssParts.map((p) => p.name);
  for (const p of ['base', 'media', 'overlay', 'controls', 'progress', 'state'])
    if (!parts.includes(p)) throw new Error(`part ${p} missing from ${parts.join()}`);
  if (el.cssProperties.length < 4) throw new Error('CSS properties missing');
  console.log(
    `   ok: ${attrs.length} attributes, ${el.events.length} typed events, ${el.cssParts.length} parts, ${el.cssProperties.length} CSS properties`,
  );
});

// --- SSR ----------------------------------------------------------------------------------------------------------
await step('SSR: import in Node', () => {
  // Lit's own server build installs its registry shim and version globals; the package must add nothing to them.
  const probe = `
    await import('lit');
    const before = new Set(Object.getOwnPropertyNames(globalThis));
    const m = await import('sam2-segmenter');
    const h = await import('sam2-segmenter/headless');
    const added = Object.getOwnPropertyNames(globalThis).filter((n) => !before.has(n));
    if (added.length) throw new Error('globals added: ' + added.join(', '));
    if (globalThis.customElements?.get('sam2-segmenter')) throw new Error('sam2-segmenter was defined in Node');
    if (typeof m.createSegmenter !== 'function' || typeof h.createSegmenter !== 'function') throw new Error('exports missing');
    if (typeof m.Sam2SegmenterElement !== 'function') throw new Error('Sam2SegmenterElement missing');
    console.log('   ok: ' + Object.keys(m).length + ' exports, nothing defined');`;
  execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: EXAMPLES, stdio: 'inherit' });
  const headless = `
    const h = await import('sam2-segmenter/headless');
    if ('customElements' in globalThis) throw new Error('the headless entry loaded Lit');
    console.log('   ok: headless entry loads no Lit (' + Object.keys(h).length + ' exports)');`;
  execFileSync(process.execPath, ['--input-type=module', '-e', headless], { cwd: EXAMPLES, stdio: 'inherit' });
});

// --- types --------------------------------------------------------------------------------------------------------
if (!args.includes('--no-types'))
  await step('types: examples, README blocks, a library that declares `ready` globally', () => {
    const dir = join(EXAMPLES, '.types-check');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(tsx?)\n([\s\S]*?)```/g)].map((m) => ({ ext: m[1], code: m[2] }));
    if (blocks.length === 0) throw new Error('README.md has no ```ts block');
    // Each block is its own module (export {}), as a user would paste it into a file.
    blocks.forEach((b, i) => writeFileSync(join(dir, `readme-${i + 1}.${b.ext}`), `${b.code}\nexport {};\n`));
    // Another library's global event name: with the package's events in HTMLElementEventMap this fails with TS2717.
    writeFileSync(
      join(dir, 'other-library.ts'),
      `declare global { interface HTMLElementEventMap { ready: CustomEvent<{ other: true }>; 'mask-change': Event } }\n` +
        `import 'sam2-segmenter';\nconst el = document.createElement('sam2-segmenter');\n` +
        `el.addEventListener('ready', (e) => e.detail.backend);\nexport {};\n`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          jsx: 'react-jsx',
          strict: true,
          noEmit: true,
          noUnusedLocals: false,
          types: [],
        },
        // The examples' own sources too: one compiler run (tsc is the slow part of this step).
        include: ['*.ts', '*.tsx', '../vite-vanilla/src', '../vite-react/src'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: EXAMPLES, stdio: 'inherit' });
    console.log(`   ok: ${blocks.length} README blocks, 2 examples, no clash with another library's \`ready\``);
  });

// --- builds -------------------------------------------------------------------------------------------------------
const vite =
  want('vite-vanilla') || want('vite-react')
    ? await import(pathToFileURL(join(EXAMPLES, 'node_modules/vite/dist/node/index.js')).href)
    : null;
const builds = {};
if (want('vite-vanilla')) {
  builds['vite-vanilla'] = await step('build vite-vanilla (vite build, no config)', async () => {
    await vite.build({ root: join(EXAMPLES, 'vite-vanilla'), configFile: false, logLevel: 'warn' });
    return join(EXAMPLES, 'vite-vanilla/dist');
  });
}
if (want('vite-react')) {
  builds['vite-react'] = await step('build vite-react (vite build, @vitejs/plugin-react)', async () => {
    await vite.build({ root: join(EXAMPLES, 'vite-react'), logLevel: 'warn' });
    return join(EXAMPLES, 'vite-react/dist');
  });
}
if (want('webpack')) {
  builds['webpack'] = await step('build webpack (webpack 5, no loaders)', () => {
    execFileSync(process.execPath, [join(EXAMPLES, 'webpack/build.mjs')], { cwd: EXAMPLES, stdio: 'inherit' });
    return join(EXAMPLES, 'webpack/dist');
  });
}
for (const [name, dir] of Object.entries(builds)) {
  const files = readdirSync(dir, { recursive: true }).filter((f) => statSync(join(dir, f)).isFile());
  const size = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  console.log(
    `   ${name}: ${files.length} files, ${mb(size)} MB (${files.filter((f) => f.endsWith('.wasm')).length} .wasm)`,
  );
}

// --- servers ------------------------------------------------------------------------------------------------------
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
  '.map': 'application/json',
};
/** A static server on an ephemeral port; `rewrite` may change text responses, `headers` are added to each. */
function serve(dir, { headers = {}, rewrite, prefix = '/' } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.startsWith(prefix) ? normalize(join(dir, path.slice(prefix.length))) : null;
    if (file && !file.startsWith(resolve(dir))) file = null;
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if ((!file || !existsSync(file)) && path === '/scene.png') file = SCENE;
    if (!file || !existsSync(file)) {
      res.writeHead(404, headers).end();
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    if (rewrite && /^text\//.test(type)) res.end(rewrite(readFileSync(file, 'utf8')));
    else createReadStream(file).pipe(res);
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => r({ server, origin: `http://127.0.0.1:${server.address().port}` })),
  );
}

const servers = [];
const pages = {};
if (want('cdn')) {
  const cdn = await serve(join(EXAMPLES, 'node_modules/sam2-segmenter'), {
    prefix: CDN_PREFIX,
    headers: { 'access-control-allow-origin': '*' },
  });
  // What a site needs for the CDN case: scripts from the CDN, wasm compilation, the worker's module graph (the shim's
  // static import is fetched as a worker script, so worker-src) and its runtime and model files from the CDN; no
  // 'unsafe-eval', no blob:/data:.
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${cdn.origin} 'wasm-unsafe-eval'`,
    `worker-src 'self' ${cdn.origin}`,
    `connect-src 'self' ${cdn.origin}`,
    "img-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
  ].join('; ');
  const site = await serve(join(EXAMPLES, 'cdn'), {
    headers: { 'content-security-policy': csp },
    rewrite: (t) => t.split(CDN_ORIGIN).join(cdn.origin),
  });
  servers.push(cdn.server, site.server);
  pages['cdn (second origin, strict CSP)'] = `${site.origin}/`;
}
for (const [name, dir] of Object.entries(builds)) {
  const s = await serve(dir);
  servers.push(s.server);
  pages[`${name} (build)`] = `${s.origin}/`;
}
let viteDev = null;
if (want('vite-vanilla') && !args.includes('--no-dev')) {
  viteDev = await step('vite dev server (vite-vanilla)', async () => {
    const server = await vite.createServer({
      root: join(EXAMPLES, 'vite-vanilla'),
      configFile: false,
      logLevel: 'warn',
      publicDir: join(EXAMPLES, 'shared'),
      server: { port: 0, host: '127.0.0.1', strictPort: false },
    });
    await server.listen();
    return server;
  });
  pages['vite-vanilla (dev)'] = viteDev.resolvedUrls.local[0];
}

// --- Chromium -----------------------------------------------------------------------------------------------------
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update'],
});
const failures = [];
try {
  for (const [name, url] of Object.entries(pages)) {
    await step(`Chromium: ${name}`, async () => {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      // Chromium asks every page for /favicon.ico; the examples have none.
      const favicon = (u) => new URL(u).pathname === '/favicon.ico';
      page.on(
        'console',
        (m) =>
          m.type() === 'error' &&
          !favicon(m.location()?.url ?? 'http://x/') &&
          errors.push(`console.error: ${m.text()}`),
      );
      // An aborted request is not a failure (the model store cancels a body it has read to the declared size).
      page.on(
        'requestfailed',
        (r) =>
          r.failure()?.errorText !== 'net::ERR_ABORTED' &&
          errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`),
      );
      page.on(
        'response',
        (r) => r.status() >= 400 && !favicon(r.url()) && errors.push(`HTTP ${r.status()}: ${r.url()}`),
      );
      try {
        await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
        const status = await page
          .waitForFunction(() => /^(ready|error)/.test(document.querySelector('#status')?.textContent ?? ''), {
            timeout: 180_000,
          })
          .then(() => page.$eval('#status', (e) => e.textContent));
        if (!status.startsWith('ready')) throw new Error(`the page reports: ${status}`);
        // Listen, then click with the real mouse where the rectangle is (the element shows scene.png at 1:1).
        await page.evaluate(() => {
          const el = document.querySelector('sam2-segmenter');
          window.__mask = new Promise((r) => el.addEventListener('mask-change', (e) => r(e.detail), { once: true }));
        });
        const box = await page.evaluate(() => {
          const r = document
            .querySelector('sam2-segmenter')
            .shadowRoot.querySelector('[part="media"]')
            .getBoundingClientRect();
          return { x: r.left, y: r.top, w: r.width, h: r.height };
        });
        await page.mouse.click(box.x + (CLICK.x * box.w) / 320, box.y + (CLICK.y * box.h) / 200);
        const r = await page.evaluate(async (t) => {
          const d = await window.__mask;
          const { width, height, data } = d.mask;
          let inter = 0,
            union = 0;
          for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const m = data[y * width + x] > 0;
              const g = x >= t.x0 && x < t.x1 && y >= t.y0 && y < t.y1;
              if (m && g) inter++;
              if (m || g) union++;
            }
          }
          return {
            width,
            height,
            area: d.mask.area,
            iou: inter / union,
            status: document.querySelector('#status').textContent,
          };
        }, TRUTH);
        console.log(`   ${status}; mask ${r.width}x${r.height}, area ${r.area}, IoU ${r.iou.toFixed(3)}`);
        if (r.width !== 320 || r.height !== 200)
          throw new Error(`mask is ${r.width}x${r.height}, not the image's 320x200`);
        if (!(r.iou >= MIN_IOU)) throw new Error(`IoU ${r.iou.toFixed(3)} < ${MIN_IOU}`);
        if (errors.length) throw new Error(errors.join('\n'));
      } catch (e) {
        failures.push(`${name}: ${e.message}${errors.length ? `\n     ${errors.join('\n     ')}` : ''}`);
        console.log(`   FAIL ${e.message}`);
      } finally {
        await page.close();
      }
    });
  }
} finally {
  await browser.close();
  await viteDev?.close();
  for (const s of servers) s.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(`\nexamples test: ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);
for (const [n, s] of times) console.log(`  ${s.toFixed(1).padStart(6)} s  ${n}`);
if (failures.length) {
  console.error(`\n${failures.length} example(s) failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`all ${Object.keys(pages).length} example pages segment the click (IoU ≥ ${MIN_IOU})`);
