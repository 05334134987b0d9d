// Dev-server middleware for model-delivery tests: a server the tests control.
//
//   GET /__faults/<scenario>/<path>   serves <path> (from the repo, through the dev server) with the scenario's faults
//   GET /__faults/stats?key=<id>      {total, paths: {<path>: n}} of requests made under that id since the last
//                                     stats call, then resets them
//
// <scenario> is comma-separated tokens:
//   id=<name>      counting key (default: the whole scenario string); use a unique one per test
//   only=<text>    apply the faults below only to paths containing <text> (others are served plainly)
//   fail=<n>       answer 503 to the first n requests of each path, then serve it
//   wait=<ms>      wait before answering
//   delay=<ms>     send the headers and the first half of the body, then wait, then send the rest
//   truncate       serve the first half of the file (with a matching Content-Length, as a bad mirror would)
//   corrupt        flip one byte in the middle of the file
//   missing        answer 404, as a server without the file would
//   drop=<key>     serve a JSON file without its top-level <key> (e.g. a config.json that declares less)
//   patch=<b64>    merge a JSON object (base64url of its text) into a JSON file's top level (a changed manifest)
//   null           serve a JSON file as the JSON text `null`
//   html           answer 200 text/html with a page (what SPA fallbacks and misconfigured CDNs do)
//   stall          send the headers and the first half of the body, then nothing, ever
//   hang           never answer at all
//   csp            send the strict Content-Security-Policy the README documents (STRICT_CSP) with every response
//   etag           send an ETag (a digest of the bytes served) and answer a matching If-None-Match with 304
//
//   GET /__faults/arm?key=<id>&scenario=<tokens>   adds <tokens> to every later request under id <id> (a server that
//                                                 changes between visits at the same URL); an empty scenario disarms
// Stats also count `notModified` (304s served) under the id.
// Every response under /__faults/ has `Cache-Control: no-store`, so the browser's HTTP cache never hides a request.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { PassThrough } from 'node:stream';

/** The strict policy the README's "Content Security Policy" section documents; test/faults/csp.test.ts loads under it. */
export const STRICT_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'self'",
].join('; ');

const TYPES = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
};

function parse(segment) {
  const s = {
    id: segment,
    only: null,
    fail: 0,
    wait: 0,
    delay: 0,
    truncate: false,
    corrupt: false,
    missing: false,
    drop: null,
    patch: null,
    nullJson: false,
    html: false,
    stall: false,
    hang: false,
    etag: false,
    csp: false,
  };
  for (const token of segment.split(',')) {
    const [k, v = ''] = token.split('=');
    if (k === 'id') s.id = v;
    else if (k === 'only') s.only = v;
    else if (k === 'fail') s.fail = Number(v);
    else if (k === 'wait') s.wait = Number(v);
    else if (k === 'delay') s.delay = Number(v);
    else if (k === 'truncate') s.truncate = true;
    else if (k === 'corrupt') s.corrupt = true;
    else if (k === 'missing') s.missing = true;
    else if (k === 'drop') s.drop = v;
    else if (k === 'patch') s.patch = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
    else if (k === 'null') s.nullJson = true;
    else if (k === 'html') s.html = true;
    else if (k === 'stall') s.stall = true;
    else if (k === 'hang') s.hang = true;
    else if (k === 'etag') s.etag = true;
    else if (k === 'csp') s.csp = true;
  }
  return s;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The middleware; `rootDir` is the directory served. */
export function testServerFaults(rootDir) {
  /** id -> Map(path -> count) */
  const counts = new Map();
  /** `${scenario}|${path}` -> 503s already served */
  const failed = new Map();
  /** id -> extra scenario tokens set by /__faults/arm */
  const armed = new Map();
  /** id -> 304s served */
  const notModified = new Map();

  return async (ctx, next) => {
    if (!ctx.path.startsWith('/__faults/')) return next();
    // web-test-runner's own cacheMiddleware wraps every user middleware and, after they return, marks any path with
    // an extension `max-age=31536000`: the browser would then replay a cached 503 or skip a counted request. Keep
    // this response's Cache-Control at no-store whatever runs later.
    const set = ctx.response.set.bind(ctx.response);
    ctx.response.set = (field, value) =>
      typeof field === 'string' && field.toLowerCase() === 'cache-control' ? set(field, 'no-store') : set(field, value);
    ctx.set('Cache-Control', 'no-store');

    if (ctx.path === '/__faults/stats') {
      const key = String(ctx.query.key ?? '');
      const paths = Object.fromEntries(counts.get(key) ?? []);
      counts.delete(key);
      const n304 = notModified.get(key) ?? 0;
      notModified.delete(key);
      ctx.type = 'application/json';
      ctx.body = JSON.stringify({ total: Object.values(paths).reduce((a, b) => a + b, 0), paths, notModified: n304 });
      return;
    }
    if (ctx.path === '/__faults/arm') {
      const key = String(ctx.query.key ?? '');
      const scenario = String(ctx.query.scenario ?? '');
      if (scenario) armed.set(key, scenario);
      else armed.delete(key);
      ctx.body = 'armed';
      return;
    }

    const m = /^\/__faults\/([^/]+)(\/.*)$/.exec(ctx.path);
    if (!m) {
      ctx.status = 404;
      return;
    }
    let segment = decodeURIComponent(m[1]);
    const path = m[2];
    const id = parse(segment).id;
    if (armed.has(id)) segment = `${segment},${armed.get(id)},id=${id}`;
    const s = parse(segment);
    const perId = counts.get(s.id) ?? new Map();
    counts.set(s.id, perId);
    perId.set(path, (perId.get(path) ?? 0) + 1);

    const applies = s.only === null || path.includes(s.only);
    if (applies && s.hang) {
      // Headers never come; the request ends only when the client gives up.
      await new Promise((resolve) => ctx.req.once('close', resolve));
      return;
    }
    if (applies && s.wait > 0) await sleep(s.wait);
    if (applies && s.missing) {
      ctx.status = 404;
      ctx.body = 'not found (test server)';
      return;
    }
    if (applies && s.fail > 0) {
      const k = `${segment}|${path}`;
      const n = failed.get(k) ?? 0;
      if (n < s.fail) {
        failed.set(k, n + 1);
        ctx.status = 503;
        ctx.body = 'transient failure (test server)';
        return;
      }
    }

    if (applies && s.html) {
      ctx.status = 200;
      ctx.type = 'text/html';
      ctx.body = '<!doctype html>\n<html><head><title>App</title></head><body><div id="app"></div></body></html>\n';
      return;
    }
    const json = extname(path) === '.json';
    const drop = s.drop !== null && json;
    const patch = s.patch !== null && json;
    const nullJson = s.nullJson && json;
    if (!applies || !(s.truncate || s.corrupt || s.delay > 0 || drop || patch || nullJson || s.stall || s.etag)) {
      // Plain: let the dev server (and its plugins, e.g. for ORT's .mjs glue) serve the real path.
      ctx.url = path + (ctx.querystring ? `?${ctx.querystring}` : '');
      await next();
      ctx.set('Cache-Control', 'no-store');
      ctx.remove('ETag');
      ctx.remove('Last-Modified');
      if (s.csp) ctx.set('Content-Security-Policy', STRICT_CSP);
      return;
    }

    const file = normalize(join(rootDir, path));
    if (!file.startsWith(normalize(rootDir))) {
      ctx.status = 403;
      return;
    }
    let bytes;
    try {
      bytes = await readFile(file);
    } catch {
      ctx.status = 404;
      return;
    }
    if (drop || patch) {
      const obj = JSON.parse(bytes.toString('utf8'));
      if (drop) delete obj[s.drop];
      if (patch) Object.assign(obj, s.patch);
      bytes = Buffer.from(JSON.stringify(obj, null, 2) + '\n');
    }
    if (nullJson) bytes = Buffer.from('null\n');
    if (s.truncate) bytes = bytes.subarray(0, Math.floor(bytes.length / 2));
    if (s.corrupt) {
      bytes = Buffer.from(bytes);
      const i = Math.floor(bytes.length / 2);
      bytes[i] = bytes[i] ^ 0xff;
    }
    if (s.etag) {
      const tag = `"${createHash('sha1').update(bytes).digest('hex')}"`;
      if (ctx.get('If-None-Match') === tag) {
        notModified.set(s.id, (notModified.get(s.id) ?? 0) + 1);
        ctx.status = 304;
        ctx.set('ETag', tag);
        return;
      }
      ctx.set('ETag', tag);
    }
    ctx.status = 200;
    ctx.type = TYPES[extname(path)] ?? 'application/octet-stream';
    if (s.stall) {
      const body = new PassThrough();
      body.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      ctx.req.once('close', () => body.destroy());
      ctx.body = body;
    } else if (s.delay > 0) {
      const body = new PassThrough();
      const half = Math.floor(bytes.length / 2);
      body.write(bytes.subarray(0, half));
      setTimeout(() => body.end(bytes.subarray(half)), s.delay);
      ctx.body = body;
    } else {
      ctx.body = bytes;
    }
    ctx.length = bytes.length;
  };
}
