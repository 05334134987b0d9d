// Page for tools/export-check/run.mjs: tracks a generated clip and exports it three ways; the node side writes the
// files out and asks ffprobe/ffmpeg whether they play. Nothing leaves the machine.
import { createSegmenter } from '../../src/client/segmenter.js';
import { trackVideo } from '../../src/client/tracking-session.js';
import { makeClip } from '../clips/synthetic-clip.js';

declare global {
  interface Window {
    __exportCheck?: {
      done: boolean;
      error?: string;
      frames?: number;
      timestamps?: number[];
      files?: Record<string, string>;
    };
  }
}

async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function main(): Promise<void> {
  const frames = 24;
  const clip = await makeClip({
    width: 320,
    height: 240,
    fps: 30000 / 1001,
    frames,
    keyInterval: 12,
    draw: (g, i) => {
      g.fillStyle = '#fafafa';
      g.fillRect(0, 0, 320, 240);
      g.fillStyle = '#d81e1e';
      g.fillRect(30 + 8 * i, 90, 48, 48);
    },
  });
  const seg = createSegmenter({
    device: 'wasm',
    wasmPaths: '/node_modules/onnxruntime-web/dist/',
    workerUrl: new URL('/src/workers/sam2.worker.ts', location.href),
  });
  try {
    const session = trackVideo(seg, clip.blob, {
      prompts: [{ frame: 0, points: [{ x: 54, y: 114, label: 'positive' }] }],
    });
    const summary = await session.finished;
    if (summary.source !== 'demux') throw new Error(`expected the demux path, got ${summary.source}`);
    const files: Record<string, string> = { source: await base64(clip.blob) };
    for (const kind of ['cutout', 'matte', 'overlay'] as const)
      files[kind] = await base64(await session.exportVideo({ kind }));
    window.__exportCheck = { done: true, frames, timestamps: clip.timestamps, files };
  } finally {
    seg.dispose();
  }
}

main().catch((e: unknown) => {
  window.__exportCheck = { done: true, error: String(e instanceof Error ? e.stack : e) };
});
