// `sam2-segmenter/headless` in a page: importing it defines no custom element and loads neither Lit nor
// onnxruntime-web, from the sources and from the build. Each import runs in a fresh iframe document (this test page
// itself has Lit loaded by @open-wc/testing); the package entry is the control that shows the checks can see both.
import { expect } from '@open-wc/testing';
import type { EntryReport } from './fixtures/headless-page.js';

async function load(entry: string): Promise<EntryReport> {
  const frame = document.createElement('iframe');
  const received = new Promise<EntryReport>((resolve) => {
    const onMessage = (e: MessageEvent<{ type?: string; report: EntryReport }>): void => {
      if (e.source !== frame.contentWindow || e.data?.type !== 'sam2-entry-report') return;
      window.removeEventListener('message', onMessage);
      resolve(e.data.report);
    };
    window.addEventListener('message', onMessage);
  });
  frame.src = `/test/browser/fixtures/headless-page.html?entry=${encodeURIComponent(entry)}`;
  document.body.append(frame);
  try {
    const report = await received;
    expect(report.ok, report.error).to.equal(true);
    return report;
  } finally {
    frame.remove();
  }
}

const fromLit = (url: string): boolean => /\/node_modules\/(lit|lit-html|lit-element|@lit)\//.test(url);
const fromOrt = (url: string): boolean => /onnxruntime-web|ort-wasm/.test(url);

for (const [name, headless, full] of [
  ['sources', '/src/headless.ts', '/src/index.ts'],
  ['build', '/dist/headless.js', '/dist/sam2-segmenter.js'],
] as const) {
  describe(`the headless entry (${name})`, () => {
    it('defines no custom element and loads neither Lit nor onnxruntime-web', async () => {
      const r = await load(headless);
      expect(r.exports).to.include.members(['createSegmenter', 'trackVideo', 'Sam2Mask', 'Sam2Error', 'isSam2Error']);
      expect(r.exports).to.not.include('Sam2SegmenterElement');
      expect(r.defined).to.equal(false);
      expect(r.litGlobals).to.deep.equal([]);
      expect(r.scripts!.filter(fromLit)).to.deep.equal([]);
      expect(r.scripts!.filter(fromOrt)).to.deep.equal([]);
    });

    it('control: the package entry defines the element and loads Lit', async () => {
      const r = await load(full);
      expect(r.exports).to.include.members(['createSegmenter', 'Sam2SegmenterElement']);
      expect(r.defined).to.equal(true);
      expect(r.litGlobals!.length).to.be.greaterThan(0);
    });
  });
}
