// Each web-test-runner group (see web-test-runner.config.mjs) runs the same test files in a browser
// launched with different flags, and injects the backend it targets as a global before the test
// framework loads. Tests read it here instead of guessing from feature detection, so a webgpu group
// whose browser lost WebGPU fails loudly rather than quietly testing wasm twice.

export type TestBackend = 'wasm' | 'webgpu';

declare global {
  interface Window {
    __SAM2_TEST_BACKEND__?: string;
  }
}

export function testBackend(): TestBackend {
  const value = window.__SAM2_TEST_BACKEND__;
  if (value === 'wasm' || value === 'webgpu') return value;
  throw new Error(
    `window.__SAM2_TEST_BACKEND__ is ${JSON.stringify(value)}; run browser tests through ` +
      '`npm run test:browser` so a group (wasm|webgpu) sets it.',
  );
}
