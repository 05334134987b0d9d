import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STRINGS, resolveStrings } from '../../src/components/strings.js';

test('a host replaces any subset of the texts; wrong types and unknown keys are ignored', () => {
  const s = resolveStrings({
    cleared: 'Auswahl gelöscht',
    maskUpdated: (a, id) => `Objekt ${id}: ${a} Pixel`,
    undo: 3 as unknown as string,
  });
  assert.equal(s.cleared, 'Auswahl gelöscht');
  assert.equal(s.maskUpdated(12, 2), 'Objekt 2: 12 Pixel');
  assert.equal(s.undo, DEFAULT_STRINGS.undo);
  assert.equal(s.help, DEFAULT_STRINGS.help);
  assert.equal(resolveStrings(null).retry, 'Try again');
});

test('the loading text says what is known: nothing, bytes, or a share of a total', () => {
  assert.equal(DEFAULT_STRINGS.loading(null, 0, 0), 'Loading model');
  assert.equal(DEFAULT_STRINGS.loading(null, 2_500_000, 0), 'Loading model, 2.5 MB');
  assert.equal(DEFAULT_STRINGS.loading(0.426, 1e6, 40e6), 'Loading model, 42% of 40 MB');
});
