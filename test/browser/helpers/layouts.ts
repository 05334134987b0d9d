// The twin of each bundle layout as a tracker layout on one backend: canonical 4g (demo/models/sam2-twin), the
// public video exports A (sam2.1-video-twin-a), B at 512 (sam2.1-video-twin-b512) and C (edgetam-video-twin-c).
import { createSession } from './ort.js';
import type { TestBackend } from './backend.js';
import { VIDEO_BASE } from './twin.js';
import { loadConstants } from '../../../src/engine/tracker/constants.js';
import { canonicalLayout } from '../../../src/engine/layouts/canonical.js';
import { fixedBankLayout } from '../../../src/engine/layouts/fixed-bank.js';
import { edgeTamLayout } from '../../../src/engine/layouts/edgetam.js';
import { parseExportConstants, parseNoMemorySidecar } from '../../../src/engine/layouts/export-constants.js';
import {
  VIDEO_A_CONTRACT,
  VIDEO_B512_CONTRACT,
  VIDEO_C_CONTRACT,
  VIDEO_4G_CONTRACT,
  type BundleContract,
} from '../../../src/engine/contracts.js';
import type { GraphRunner, TrackerLayout } from '../../../src/engine/layouts/layout.js';

export type LayoutName = '4g' | 'A' | 'B512' | 'C';
export const LAYOUTS: readonly LayoutName[] = ['4g', 'A', 'B512', 'C'];

const root = (p: string) => new URL(`/demo/models/${p}`, location.href).href;
export const TWIN_A = root('sam2.1-video-twin-a/');
export const TWIN_B512 = root('sam2.1-video-twin-b512/');
export const TWIN_C = root('edgetam-video-twin-c/');
export const TWIN_C_SIDECAR = root('sidecars/edgetam-video-twin-c.json');

/** Where each layout's twin graphs are, by contract graph name, and its contract. */
export const TWIN_GRAPHS: Record<LayoutName, { contract: BundleContract; files: Record<string, string> }> = {
  '4g': {
    contract: VIDEO_4G_CONTRACT,
    files: Object.fromEntries(
      ['image_encoder', 'mask_decoder', 'memory_encoder', 'memory_attention'].map((g) => [g, `${VIDEO_BASE}${g}.onnx`]),
    ),
  },
  A: {
    contract: VIDEO_A_CONTRACT,
    files: Object.fromEntries(
      ['vision_encoder', 'mask_decoder', 'memory_encoder', 'memory_attention', 'pointer_tpos'].map((g) => [
        g,
        `${TWIN_A}onnx/${g}.onnx`,
      ]),
    ),
  },
  B512: {
    contract: VIDEO_B512_CONTRACT,
    files: Object.fromEntries(
      ['vision_encoder', 'mask_decoder', 'memory_encoder', 'memory_attention', 'pointer_tpos'].map((g) => [
        g,
        `${TWIN_B512}onnx/${g}.onnx`,
      ]),
    ),
  },
  C: {
    contract: VIDEO_C_CONTRACT,
    files: Object.fromEntries(
      ['vision_encoder', 'mask_decoder', 'memory_encoder', 'memory_attention'].map((g) => [g, `${TWIN_C}${g}.onnx`]),
    ),
  },
};

const json = async (url: string): Promise<unknown> => (await fetch(url)).json();

/** A factory of fresh layouts (fresh per tracker: layouts hold per-clip caches) over one set of sessions. */
export interface LayoutTwin {
  name: LayoutName;
  make(): TrackerLayout;
  /** Graph runs per graph name, counted across every layout made. */
  calls: Record<string, number>;
}

/** Opens one layout's twin graphs on `backend`. */
export async function openLayoutTwin(name: LayoutName, backend: TestBackend): Promise<LayoutTwin> {
  const { files } = TWIN_GRAPHS[name];
  const sessions = Object.fromEntries(
    await Promise.all(Object.entries(files).map(async ([g, url]) => [g, await createSession(url, backend)] as const)),
  );
  const calls: Record<string, number> = Object.fromEntries(Object.keys(files).map((g) => [g, 0]));
  const run = (g: string): GraphRunner => ({
    run: (feeds, fetches) => {
      calls[g]!++;
      return (fetches ? sessions[g]!.run(feeds, [...fetches]) : sessions[g]!.run(feeds)) as ReturnType<
        GraphRunner['run']
      >;
    },
  });
  if (name === '4g') {
    const C = await loadConstants(VIDEO_BASE + 'constants.json');
    const graphs = {
      imageEncoder: run('image_encoder'),
      maskDecoder: run('mask_decoder'),
      memoryEncoder: run('memory_encoder'),
      memoryAttention: run('memory_attention'),
    };
    return { name, calls, make: () => canonicalLayout(graphs, C) };
  }
  if (name === 'C') {
    const K = parseExportConstants(await json(TWIN_C + 'constants.json'));
    const noMem = parseNoMemorySidecar(await json(TWIN_C_SIDECAR), TWIN_C_SIDECAR);
    const graphs = {
      visionEncoder: run('vision_encoder'),
      maskDecoder: run('mask_decoder'),
      memoryEncoder: run('memory_encoder'),
      memoryAttention: run('memory_attention'),
    };
    return { name, calls, make: () => edgeTamLayout(graphs, K, noMem, VIDEO_C_CONTRACT.id) };
  }
  const base = name === 'A' ? TWIN_A : TWIN_B512;
  const K = parseExportConstants(await json(base + 'constants.json'));
  const S = K.imageSize!;
  const graphs = {
    visionEncoder: run('vision_encoder'),
    maskDecoder: run('mask_decoder'),
    memoryEncoder: run('memory_encoder'),
    memoryAttention: run('memory_attention'),
    pointerTpos: run('pointer_tpos'),
  };
  return { name, calls, make: () => fixedBankLayout(graphs, K, S, TWIN_GRAPHS[name].contract.id) };
}
