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
// Every response under /__faults/ has `Cache-Control: no-store`, so the browser's HTTP cache never hides a request.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { PassThrough } from 'node:stream';

const TYPES = { '.json': 'application/json', '.onnx': 'application/octet-stream', '.wasm': 'application/wasm', '.mjs': 'text/javascript' };

function parse(segment) {
  const s = { id: segment, only: null, fail: 0, wait: 0, delay: 0, truncate: false, corrupt: false, missing: false, drop: null };
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
      ctx.type = 'application/json';
      ctx.body = JSON.stringify({ total: Object.values(paths).reduce((a, b) => a + b, 0), paths });
      return;
    }

    const m = /^\/__faults\/([^/]+)(\/.*)$/.exec(ctx.path);
    if (!m) {
      ctx.status = 404;
      return;
    }
    const segment = decodeURIComponent(m[1]);
    const path = m[2];
    const s = parse(segment);
    const perId = counts.get(s.id) ?? new Map();
    counts.set(s.id, perId);
    perId.set(path, (perId.get(path) ?? 0) + 1);

    const applies = s.only === null || path.includes(s.only);
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

    const drop = s.drop !== null && extname(path) === '.json';
    if (!applies || !(s.truncate || s.corrupt || s.delay > 0 || drop)) {
      // Plain: let the dev server (and its plugins, e.g. for ORT's .mjs glue) serve the real path.
      ctx.url = path + (ctx.querystring ? `?${ctx.querystring}` : '');
      await next();
      ctx.set('Cache-Control', 'no-store');
      ctx.remove('ETag');
      ctx.remove('Last-Modified');
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
    if (drop) {
      const json = JSON.parse(bytes.toString('utf8'));
      delete json[s.drop];
      bytes = Buffer.from(JSON.stringify(json, null, 2) + '\n');
    }
    if (s.truncate) bytes = bytes.subarray(0, Math.floor(bytes.length / 2));
    if (s.corrupt) {
      bytes = Buffer.from(bytes);
      const i = Math.floor(bytes.length / 2);
      bytes[i] = bytes[i] ^ 0xff;
    }
    ctx.status = 200;
    ctx.type = TYPES[extname(path)] ?? 'application/octet-stream';
    if (s.delay > 0) {
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
