// The two queues of the SDK, each on its own: the page's worker bridge (one queue per worker: call order, AbortSignal,
// restart after a crash) over a small real worker, and the worker's command queue (order, cancellation, supersession
// of queued prompts for one object).
import { expect } from '@open-wc/testing';
import { rejection } from './helpers/rejection.js';
import { WorkerBridge } from '../../src/client/worker-bridge.js';
import { CommandQueue } from '../../src/engine/command-queue.js';
import { unwrap } from '../../src/shared/errors.js';
import type { QueueWorkerApi } from './fixtures/queue.worker.js';

const QUEUE_WORKER = new URL('/test/browser/fixtures/queue.worker.ts', location.href).href;

function bridge(): { b: WorkerBridge<QueueWorkerApi, string>; workers: Worker[] } {
  const workers: Worker[] = [];
  const b = new WorkerBridge<QueueWorkerApi, string>({
    createWorker: () => {
      const w = new Worker(QUEUE_WORKER, { type: 'module' });
      workers.push(w);
      return w;
    },
    init: async (remote) => unwrap(await remote.init()),
    cancel: (remote, callId) => void remote.cancel(callId),
  });
  return { b, workers };
}

const work = (
  b: WorkerBridge<QueueWorkerApi, string>,
  name: string,
  ms: number,
  signal?: AbortSignal,
): Promise<string> => b.call(signal, async (remote, callId) => ({ result: remote.work(name, ms, callId) }));

describe('worker bridge: one queue to the worker', () => {
  it('starts the worker on the first call, not before', async () => {
    const { b, workers } = bridge();
    expect(workers.length).to.equal(0);
    await work(b, 'a', 0);
    expect(workers.length).to.equal(1);
    b.dispose();
  });

  it('runs calls in call order, whatever their durations', async () => {
    const { b } = bridge();
    const results = await Promise.all([work(b, 'slow', 60), work(b, 'fast', 0), work(b, 'mid', 20)]);
    const id = await b.ready();
    expect(results).to.deep.equal([`slow@${id}`, `fast@${id}`, `mid@${id}`]);
    expect(await b.remote!.started()).to.deep.equal(['slow', 'fast', 'mid']);
    b.dispose();
  });

  it('an aborted call rejects with aborted at once, and the worker skips it while it is queued', async () => {
    const { b } = bridge();
    await b.ready();
    const ctl = new AbortController();
    const first = work(b, 'first', 80);
    const queued = work(b, 'queued', 0, ctl.signal);
    const last = work(b, 'last', 0);
    await new Promise((r) => setTimeout(r, 20));
    ctl.abort();
    expect((await rejection(queued)).code).to.equal('aborted');
    await Promise.all([first, last]);
    expect(await b.remote!.started()).to.deep.equal(['first', 'last']);
    const pre = new AbortController();
    pre.abort();
    expect((await rejection(work(b, 'never', 0, pre.signal))).code).to.equal('aborted');
    b.dispose();
  });

  it('a crashed worker fails its calls with worker-crashed and is replaced on the next call', async () => {
    const { b, workers } = bridge();
    const before = await b.ready();
    const inFlight = work(b, 'long', 2000);
    await new Promise((r) => setTimeout(r, 20));
    await b.remote!.crash();
    expect((await rejection(inFlight)).code).to.equal('worker-crashed');
    const after = await work(b, 'next', 0);
    expect(workers.length).to.equal(2);
    expect(after).to.match(/^next@/);
    expect(after).to.not.equal(`next@${before}`);
    expect(await b.remote!.started()).to.deep.equal(['next']);
    b.dispose();
  });

  it('dispose() rejects queued and later calls with aborted', async () => {
    const { b } = bridge();
    const running = work(b, 'a', 50);
    const queued = work(b, 'b', 0);
    b.dispose();
    expect((await rejection(running)).code).to.equal('aborted');
    expect((await rejection(queued)).code).to.equal('aborted');
    expect((await rejection(work(b, 'c', 0))).code).to.equal('aborted');
  });
});

describe('engine command queue', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('runs commands one at a time in arrival order', async () => {
    const q = new CommandQueue();
    const log: string[] = [];
    let running = 0;
    let overlap = false;
    const cmd = (name: string, ms: number) =>
      q.run(undefined, async () => {
        overlap ||= running > 0;
        running++;
        log.push(name);
        await sleep(ms);
        running--;
        return name;
      });
    expect(await Promise.all([cmd('a', 30), cmd('b', 0), cmd('c', 10)])).to.deep.equal(['a', 'b', 'c']);
    expect(log).to.deep.equal(['a', 'b', 'c']);
    expect(overlap).to.equal(false);
  });

  it('a newer prompt for one object supersedes its queued one; other objects and a running one are not affected', async () => {
    const q = new CommandQueue();
    const ran: string[] = [];
    const prompt = (id: number, objectId: number, ms = 0) =>
      q.run(
        id,
        async () => {
          ran.push(`${id}`);
          await sleep(ms);
          return id;
        },
        { supersede: `segment:${objectId}` },
      );
    const running = prompt(1, 1, 40);
    await sleep(10);
    // 1 has started; 2 and 4 queue for object 1, 3 for object 2.
    const older = prompt(2, 1);
    const other = prompt(3, 2);
    const newer = prompt(4, 1);
    expect(await running).to.equal(1);
    expect((await rejection(older)).code).to.equal('aborted');
    expect(await other).to.equal(3);
    expect(await newer).to.equal(4);
    expect(ran).to.deep.equal(['1', '3', '4']);
  });

  it('cancel() skips a queued command and frees what it was given; a started one runs to its end', async () => {
    const q = new CommandQueue();
    const skipped: number[] = [];
    const cmd = (id: number, ms: number) =>
      q.run(id, async () => (await sleep(ms), id), { onSkip: () => skipped.push(id) });
    const a = cmd(1, 30);
    const b = cmd(2, 0);
    await sleep(10);
    q.cancel(1);
    q.cancel(2);
    expect(await a).to.equal(1);
    expect((await rejection(b)).code).to.equal('aborted');
    expect(skipped).to.deep.equal([2]);
    q.cancel(99);
    expect(await cmd(3, 0)).to.equal(3);
  });
});
