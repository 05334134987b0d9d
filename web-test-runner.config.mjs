// Browser tests, in three groups:
//   wasm   - every file in test/browser: plain headless Chromium, ORT 'wasm' execution provider
//   webgpu - the parity files (webgpuFiles below): headless Chromium with WebGPU on SwiftShader (a CPU Vulkan implementation bundled with
//            Chromium), ORT 'webgpu' execution provider. No physical GPU needed, but it is slow.
//   faults - the fault suite (test/faults): a fault-injecting server, broken storage, killed workers, removed
//            elements; each case ends with a health check. WASM only: faults are about delivery, not kernels.
// Tests read their group's backend from window.__SAM2_TEST_BACKEND__ (test/browser/helpers/backend.ts).
//
// Run a subset: `npm run test:browser -- --group webgpu --files test/browser/infra.test.ts`
// (tools/run-browser-tests.mjs turns --files into BROWSER_TEST_FILES; with plain `web-test-runner`,
// --files does NOT narrow a group, so set BROWSER_TEST_FILES=a.test.ts,b.test.ts yourself).
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { ortRuntimePassthrough, tsSourceForJs } from './tools/ort-dev-server-plugin.mjs';
import { mediabunnyBrowserShim } from './tools/mediabunny-dev-server-plugin.mjs';
import { testServerFaults } from './tools/test-server-faults.mjs';
import { sendTouchPlugin } from './tools/test-touch-plugin.mjs';

const rootDir = fileURLToPath(new URL('.', import.meta.url));
const only = process.env.BROWSER_TEST_FILES?.split(',');
const testFiles = only ?? 'test/browser/**/*.test.ts';
const faultFiles = only ?? 'test/faults/**/*.test.ts';
// WebGPU on SwiftShader is slow: that group runs the files that hold backend parity checks (graph contracts, engine
// outputs, a short clip tracked on each export layout, GPU transfer counts), not every behaviour test a second time.
const webgpuFiles = only ?? [
  'test/browser/infra.test.ts',
  'test/browser/twins.test.ts',
  'test/browser/engine.test.ts',
  'test/browser/transfer.test.ts',
  'test/browser/tracker-a.test.ts',
  'test/browser/tracker-b512.test.ts',
  'test/browser/tracker-c.test.ts',
  'test/browser/video-exports.test.ts',
];

// Debian's /usr/bin/chromium is a wrapper script that adds distro flags; it works with puppeteer.
const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

// Flags for a quiet, reproducible browser in containers/CI.
const baseArgs = [
  // Containers usually run as root without user namespaces; Chromium's sandbox refuses to start.
  '--no-sandbox',
  // No update checks, sync, or other background traffic (CI has no internet; avoids timeouts/noise).
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Docker's default /dev/shm is 64 MB; large tensors would crash the renderer.
  '--disable-dev-shm-usage',
];

// Verified on Chromium 156 (Debian bookworm), headless (puppeteer's default '--headless=new'):
// '--enable-unsafe-webgpu' alone already yields a SwiftShader adapter on a GPU-less Linux box
// (Linux WebGPU is still behind this flag). '--use-webgpu-adapter=swiftshader' pins SwiftShader
// so results do not depend on whatever GPU/driver a developer machine has. '--enable-features=Vulkan'
// was not needed. Note: the adapter is a fallback adapter without 'shader-f16'.
const webgpuArgs = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

function chromium(name, extraArgs) {
  const launcher = chromeLauncher({
    launchOptions: {
      executablePath,
      headless: true,
      args: [...baseArgs, ...extraArgs],
    },
  });
  // Both groups use Chromium; a distinct name keeps their lines apart in the reporter output.
  launcher.name = `Chromium (${name})`;
  return launcher;
}

// The backend global must exist before any test module is evaluated, so it is set in a classic
// script that precedes the test framework's module script.
function testRunnerHtmlFor(backend) {
  return (testFramework) => `<!doctype html>
<html>
  <head><meta charset="utf-8"></head>
  <body>
    <script>window.__SAM2_TEST_BACKEND__ = ${JSON.stringify(backend)};</script>
    <script type="module" src="${testFramework}"></script>
  </body>
</html>`;
}

function group(name, extraArgs, files = testFiles, backend = name) {
  return {
    name,
    files,
    browsers: [chromium(name, extraArgs)],
    testRunnerHtml: testRunnerHtmlFor(backend),
  };
}

export default {
  rootDir,
  nodeResolve: true,
  middleware: [testServerFaults(rootDir), tsSourceForJs(rootDir)],
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022' }),
    ortRuntimePassthrough(),
    mediabunnyBrowserShim(),
    sendTouchPlugin(),
  ],
  // No top-level `files`: wtr would run them as an extra 'default' group, i.e. a third time.
  groups: [group('wasm', []), group('webgpu', webgpuArgs, webgpuFiles), group('faults', [], faultFiles, 'wasm')],
  // The machine has 2 cores and SwiftShader is CPU-bound: one browser, one test file at a time.
  concurrentBrowsers: 1,
  concurrency: 1,
  // @open-wc/testing pulls in lit's development build, which announces itself in every test file.
  filterBrowserLogs: ({ args }) => !(typeof args[0] === 'string' && args[0].startsWith('Lit is in dev mode')),
  // SwiftShader WebGPU and wasm inference on real models are slow; generous limits avoid flakes.
  browserStartTimeout: 60_000,
  testsStartTimeout: 120_000,
  testsFinishTimeout: 20 * 60_000,
  testFramework: {
    config: { timeout: 120_000 },
  },
};
