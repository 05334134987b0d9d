// The fault suite's kit: URLs on the fault-injecting server (tools/test-server-faults.mjs), a bound on every promise
// a case waits for (a hang fails the case instead of the suite's timeout, and every settle time is recorded), and the
// health check each case ends with: a fresh load, one click, a mask at IoU >= 0.9.

import { expect } from '@open-wc/testing';
import { createSegmenter, type Segmenter, type SegmenterOptions } from '../../src/client/segmenter.js';
import { Sam2Error } from '../../src/shared/errors.js';
import { iou, objectsScene } from '../browser/helpers/scenes.js';

export const TWIN = 'demo/models/sam2-twin/manifest.json';
export const HF = 'demo/models/sam2-twin-hf/';
export const ORT_DIR = 'node_modules/onnxruntime-web/dist/';

/** The same server under another origin: localhost and 127.0.0.1 are different origins. */
export function otherOrigin(path: string): string {
  const u = new URL(path, location.href);
  u.hostname = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return u.href;
}

let counter = 0;
/** A unique id: cache keys start with the bundle URL, which carries it. */
export function uid(): string {
  return `f${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function faultUrl(scenario: string, path: string): string {
  return new URL(`/__faults/${scenario}/${path}`, location.href).href;
}

/** Makes the server add `scenario` to every later request under `id` (empty: back to normal). */
export async function arm(id: string, scenario: string): Promise<void> {
  await fetch(`/__faults/arm?key=${encodeURIComponent(id)}&scenario=${encodeURIComponent(scenario)}`);
}

export interface Stats {
  total: number;
  paths: Record<string, number>;
  notModified: number;
}

/** Requests made under `id` since the last call (the server resets them). */
export async function stats(id: string): Promise<Stats> {
  return (await (await fetch(`/__faults/stats?key=${encodeURIComponent(id)}`)).json()) as Stats;
}

export function count(s: Stats, test: (path: string) => boolean): number {
  return Object.entries(s.paths).reduce((n, [p, c]) => n + (test(p) ? c : 0), 0);
}

/** base64url of a JSON value, for the server's `patch=` token. */
export function b64json(v: unknown): string {
  return btoa(JSON.stringify(v)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The bound of every wait in a case. Generous: a load compiles ORT's .wasm in each new worker, which takes tens of
 * seconds on a loaded CI machine; a hang is still told apart from a slow load.
 */
export const SETTLE_MS = 150_000;

/** Suite-wide figures: cases tried and handled, and the longest any promise took to settle. */
export const figures = { tried: 0, handled: 0, longestMs: 0, longestWhat: '' };

/**
 * Waits for `p` at most `ms`: a promise that never settles fails the case with "hung" (the fault the suite is
 * about), and the time it took is recorded.
 */
export async function settles<T>(
  p: Promise<T>,
  what: string,
  ms = SETTLE_MS,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung: not settled after ${ms} ms`)), ms);
  });
  try {
    return { ok: true, value: await Promise.race([p, hung]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${what} hung`)) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    const dt = performance.now() - t0;
    if (dt > figures.longestMs) {
      figures.longestMs = dt;
      figures.longestWhat = what;
    }
  }
}

/** The Sam2Error `p` rejects with, within `ms`. */
export async function rejects(p: Promise<unknown>, what: string, ms?: number): Promise<Sam2Error> {
  const r = await settles(p, what, ms);
  if (r.ok) throw new Error(`${what}: expected a rejection, it resolved`);
  expect(r.error, String(r.error)).to.be.instanceOf(Sam2Error);
  return r.error as Sam2Error;
}

/** Resolves `p` within `ms`, failing the case on a rejection. */
export async function resolves<T>(p: Promise<T>, what: string, ms?: number): Promise<T> {
  const r = await settles(p, what, ms);
  if (!r.ok) throw r.error;
  return r.value;
}

/** One click on a known object of a fresh image segments it; `seg` defaults to a fresh segmenter on the plain twin. */
export async function healthCheck(seg?: Segmenter, extra: SegmenterOptions = {}): Promise<void> {
  const own = !seg;
  const s =
    seg ??
    createSegmenter({ device: 'wasm', model: new URL(`/${TWIN}`, location.href).href, ...extra } as SegmenterOptions);
  try {
    const { scene, centres } = objectsScene(320, 240);
    await resolves(s.setImage(scene.canvas), 'health setImage');
    const [x, y] = centres[1]!;
    const r = await resolves(s.segment({ points: [{ x, y, label: 'positive' }] }), 'health segment');
    const score = iou(r.mask.data, scene.truth(1));
    expect(score, `health check IoU ${score.toFixed(3)}`).to.be.at.least(0.9);
  } finally {
    if (own) s.dispose();
  }
}

/** Counts a case: tried now, handled when `body` passes. */
export async function faultCase(body: () => Promise<void>): Promise<void> {
  figures.tried++;
  await body();
  figures.handled++;
}

/** Prints the suite's figures (call from a top-level `after`). */
export function reportFigures(file: string): void {
  console.log(
    `faults ${file}: ${figures.handled}/${figures.tried} cases handled; longest settle ${figures.longestMs.toFixed(0)} ms (${figures.longestWhat})`,
  );
}
