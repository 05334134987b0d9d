// The committed twin bundles are exactly what the generator makes, and the generator is deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildTwinFiles } from '../../tools/twins/generate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('regenerating the twins gives byte-identical files', () => {
  const a = buildTwinFiles();
  const b = buildTwinFiles();
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [path, bytes] of a) assert.ok(Buffer.from(bytes).equals(Buffer.from(b.get(path)!)), path);
});

test('the committed twin files match the generator (run `npm run twins` after changing it)', () => {
  for (const [path, bytes] of buildTwinFiles()) {
    const committed = readFileSync(root + path);
    assert.ok(committed.equals(Buffer.from(bytes)), `${path} differs from the generator's output`);
  }
});
