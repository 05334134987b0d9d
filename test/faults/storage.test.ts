// Fault suite, storage that never answers. Its own file (its own page): the hang is made with a blocked IndexedDB
// upgrade, which every connection of the origin must release, so nothing else in this page may hold the database.

import { expect } from '@open-wc/testing';
import { createSegmenter } from '../../src/client/segmenter.js';
import { CACHE_DB, CACHE_STORE } from '../../src/shared/cache.js';
import { TWIN, faultCase, faultUrl, healthCheck, reportFigures, resolves, uid } from './fault-kit.js';

after(() => reportFigures('storage'));

describe('faults: storage', function () {
  this.timeout(600_000);

  it('#4 an IndexedDB that never answers does not hang the load: storage warning, then ready', () =>
    faultCase(async () => {
      // A real hang: a connection that ignores `versionchange` blocks an upgrade, and every later open of the
      // database (the worker's) waits behind that upgrade.
      const holder = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(CACHE_DB);
        // On a fresh profile this creates the database: with the model store, as the cache would.
        r.onupgradeneeded = () => r.result.createObjectStore(CACHE_STORE);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const upgrade = indexedDB.open(CACHE_DB, holder.version + 1);
      const upgraded = new Promise<void>((res) => {
        upgrade.onsuccess = () => {
          upgrade.result.close();
          res();
        };
        upgrade.onerror = () => res();
      });
      const warnings: string[] = [];
      const s = createSegmenter({
        device: 'wasm',
        model: faultUrl(`id=${uid()}`, TWIN),
        onWarning: (w) => warnings.push(w.code),
      });
      try {
        await resolves(s.ready, 'load with a hung IndexedDB');
        expect(warnings).to.deep.equal(['storage']);
        await healthCheck(s);
      } finally {
        s.dispose();
        holder.close();
        await upgraded;
      }
    }));
});
