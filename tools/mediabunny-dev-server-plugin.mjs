// Dev-server plugin shared by web-test-runner.config.mjs and web-dev-server.config.mjs.
//
// Why: mediabunny's source.js and target.js import './node.js' (`export * as fs from 'node:fs/promises'`) for its
// file-path sources and targets. Its package.json maps that file to `false` for browsers, which bundlers honour but
// the dev server's import rewriting does not; the browser then fails on the Node builtin and the whole import graph
// with it. Serve the browser's view of the file instead: an empty `fs` namespace, never used in a browser.
const NODE_SHIM = /\/node_modules\/mediabunny\/dist\/modules\/src\/node\.js$/;

export function mediabunnyBrowserShim() {
  return {
    name: 'mediabunny-browser-shim',
    serve(context) {
      if (NODE_SHIM.test(context.path)) return { body: 'export const fs = undefined;\n', type: 'js' };
      return undefined;
    },
  };
}
