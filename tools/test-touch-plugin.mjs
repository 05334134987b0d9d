// web-test-runner command `send-touch`: real touch input through the Chrome DevTools Protocol, which
// @web/test-runner-commands does not offer. The browser's own gesture handling runs (touch-action, scrolling), so
// a test sees what a phone user would: a tap, a long press, a one-finger drag, or a swipe that scrolls the page.
//   { type: 'tap', position: [x, y] }
//   { type: 'press', position, ms }                 touch down, hold `ms`, up
//   { type: 'drag', from: [x, y], to: [x, y], steps } touch down, moves, up
//   { type: 'swipe', position, dy, steps }          one finger moving up `dy` CSS px from `position`
export function sendTouchPlugin() {
  return {
    name: 'send-touch',
    async executeCommand({ command, payload, session }) {
      if (command !== 'send-touch') return undefined;
      const page = session.browser.getPage(session.id);
      const cdp = await page.createCDPSession();
      try {
        await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 2 });
        const touch = (type, [x, y]) =>
          cdp.send('Input.dispatchTouchEvent', {
            type,
            touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1, radiusX: 4, radiusY: 4, force: 1 }],
          });
        const wait = (ms) => new Promise((r) => setTimeout(r, ms));
        switch (payload.type) {
          case 'tap':
            await touch('touchStart', payload.position);
            await wait(30);
            await touch('touchEnd', payload.position);
            return true;
          case 'press':
            await touch('touchStart', payload.position);
            await wait(payload.ms ?? 700);
            await touch('touchEnd', payload.position);
            return true;
          case 'drag': {
            const [ax, ay] = payload.from;
            const [bx, by] = payload.to;
            const steps = payload.steps ?? 8;
            await touch('touchStart', payload.from);
            for (let i = 1; i <= steps; i++) {
              await wait(16);
              await touch('touchMove', [ax + ((bx - ax) * i) / steps, ay + ((by - ay) * i) / steps]);
            }
            await touch('touchEnd', payload.to);
            return true;
          }
          case 'swipe': {
            // One finger moving up `dy` px: the browser's own gesture handling decides whether the page scrolls
            // (Input.synthesizeScrollGesture's touch source does not scroll in headless Chromium; these events do).
            const [x, y] = payload.position;
            const dy = payload.dy ?? 200;
            const steps = payload.steps ?? 12;
            await touch('touchStart', [x, y]);
            for (let i = 1; i <= steps; i++) {
              await wait(16);
              await touch('touchMove', [x, y - (dy * i) / steps]);
            }
            await touch('touchEnd', [x, y - dy]);
            return true;
          }
          default:
            throw new Error(`send-touch: unknown type ${payload.type}`);
        }
      } finally {
        await cdp.detach().catch(() => undefined);
      }
    },
  };
}
