// The README's "Content Security Policy": a page served with exactly those directives loads the element, its worker
// and onnxruntime-web, and segments, with no CSP violation.
import { expect } from '@open-wc/testing';
import type { CspReport } from './fixtures/csp-page.js';
import { faultCase, reportFigures, settles, uid } from './fault-kit.js';

after(() => reportFigures('csp'));

describe('faults: strict Content-Security-Policy', function () {
  this.timeout(200_000);

  it('the element loads, segments and reports no violation under the documented policy', () =>
    faultCase(async () => {
      const id = uid();
      const frame = document.createElement('iframe');
      const report = new Promise<CspReport>((resolve) => {
        const onMessage = (e: MessageEvent) => {
          const data = e.data as (CspReport & { visit?: string }) | null;
          if (e.source !== frame.contentWindow || data?.visit !== id) return;
          window.removeEventListener('message', onMessage);
          resolve(data);
        };
        window.addEventListener('message', onMessage);
      });
      // The page and everything under this prefix (the worker script included) carry the policy header.
      frame.src = `/__faults/id=${id},csp/test/faults/fixtures/csp-page.html?id=${id}`;
      document.body.append(frame);
      try {
        const r = await settles(report, 'page under CSP').catch((e: unknown) => {
          // No report: say how far the page got (a module blocked by the policy never even sets its stage).
          const w = frame.contentWindow as unknown as { cspStage?: string; cspViolations?: string[] } | null;
          throw new Error(
            `${String(e)}; page stage: ${w?.cspStage ?? 'its module never ran'}; violations: ${JSON.stringify(w?.cspViolations ?? [])}`,
          );
        });
        if (!r.ok) throw r.error;
        expect(r.value.error, r.value.error).to.equal(undefined);
        expect(r.value.violations).to.deep.equal([]);
        expect(r.value.iou).to.be.at.least(0.9);
        // The policy really applied: an inline script is refused in that document.
        const doc = frame.contentDocument!;
        const probe = doc.createElement('script');
        probe.textContent = 'window.__inlineRan = true';
        doc.body.append(probe);
        expect((frame.contentWindow as unknown as { __inlineRan?: boolean }).__inlineRan).to.equal(undefined);
      } finally {
        frame.remove();
      }
    }));
});
