// The layering of src/ (docs/architecture.md), read from the import statements themselves: one folder per thread,
// each importing only the folder below it, no cycles, no file over 500 lines, and no DOM in the worker-only engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

interface Import {
  /** Path relative to src/ of the imported file, or the bare package name. */
  target: string;
  typeOnly: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Source without comments and string contents of template literals, so words in prose never count as references. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const re =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?([\s\S]*?)\s+from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g;
  for (const m of text.matchAll(re)) {
    const spec = m[4] ?? m[5] ?? m[6]!;
    const clause = m[3] ?? '';
    // `import { type A, type B }` is elided like `import type`.
    const names = /^\{([\s\S]*)\}$/.exec(clause.trim())?.[1];
    const allTypes =
      names !== undefined &&
      names
        .split(',')
        .filter((n) => n.trim())
        .every((n) => /^\s*type\s/.test(n));
    const typeOnly = m[2] !== undefined || allTypes;
    const target = spec.startsWith('.') ? relative(src, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
    out.push({ target, typeOnly });
  }
  return out;
}

const files = walk(src).map((abs) => {
  const text = readFileSync(abs, 'utf8');
  return { path: relative(src, abs), text, body: code(text), imports: importsOf(abs, code(text)) };
});

function layer(path: string): string {
  const i = path.indexOf('/');
  return i < 0 ? 'entry' : path.slice(0, i);
}

/** Which of our folders each folder may import (value imports; client may also import the worker's API as a type). */
const ALLOWED: Record<string, readonly string[]> = {
  entry: ['entry', 'components', 'client', 'shared'],
  components: ['components', 'client', 'shared'],
  client: ['client', 'shared'],
  workers: ['workers', 'engine', 'shared'],
  engine: ['engine', 'shared'],
  shared: ['shared'],
};

test('the import parser sees the imports it must judge', () => {
  const segmenter = files.find((f) => f.path === 'client/segmenter.ts')!;
  assert.ok(segmenter.imports.some((i) => i.target === 'workers/sam2.worker.ts' && i.typeOnly));
  assert.ok(segmenter.imports.some((i) => i.target === 'comlink' && !i.typeOnly));
  assert.ok(files.length > 30);
});

test('each folder imports only the folders below it', () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = layer(f.path);
    for (const i of f.imports) {
      if (!i.target.endsWith('.ts')) continue;
      const to = layer(i.target);
      if (ALLOWED[from]!.includes(to)) continue;
      // The page reaches the worker only through its API type (the worker script itself is started by URL).
      if (from === 'client' && i.target === 'workers/sam2.worker.ts' && i.typeOnly) continue;
      bad.push(`${f.path} → ${i.target}${i.typeOnly ? ' (type)' : ''}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('packages stay on their side: no onnxruntime on the page, no Lit outside the element', () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = layer(f.path);
    for (const i of f.imports) {
      if (i.target.startsWith('onnxruntime-web') && from !== 'engine') bad.push(`${f.path} → ${i.target}`);
      if (/^lit($|\/)|^@lit\//.test(i.target) && from !== 'components') bad.push(`${f.path} → ${i.target}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the worker-only engine never names the DOM', () => {
  const bad = files
    .filter((f) => layer(f.path) === 'engine' || layer(f.path) === 'workers')
    .flatMap((f) => [...f.body.matchAll(/\b(document|window|HTMLElement)\b/g)].map((m) => `${f.path}: ${m[0]}`));
  assert.deepEqual(bad, []);
});

test('no import cycles under src', () => {
  const graph = new Map(files.map((f) => [f.path, f.imports.map((i) => i.target).filter((t) => t.endsWith('.ts'))]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});

test('every import resolves to a file under src', () => {
  const known = new Set(files.map((f) => f.path));
  const missing = files.flatMap((f) =>
    f.imports.filter((i) => i.target.endsWith('.ts') && !known.has(i.target)).map((i) => `${f.path} → ${i.target}`),
  );
  assert.deepEqual(missing, []);
});

test('no file under src is over 500 lines', () => {
  const long = files
    .map((f) => ({ path: f.path, lines: f.text.split('\n').length - (f.text.endsWith('\n') ? 1 : 0) }))
    .filter((f) => f.lines > 500);
  assert.deepEqual(long, []);
});
