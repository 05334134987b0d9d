// InputController in the real element on the twin model: real pointer and keyboard input (CDP) on a stage whose CSS
// size differs from the image's, turned into prompts at the right natural-pixel coordinates.
import { expect, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { PromptController } from '../../../src/components/controllers/prompt-controller.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterElement } from '../../../src/components/sam2-segmenter.js';
import { controllerOf } from '../helpers/element-hooks.js';
import { click, clientPoint, drag, mount, rightClick, sceneUrl } from '../helpers/element-input.js';
import { iou, objectsScene } from '../helpers/scenes.js';

const W = 400;
const H = 200;
const natural = { width: W, height: H };
const { scene, centres } = objectsScene(W, H);
// 600×200 CSS px, contain: scale 1, 100 px bars left and right.
const STYLE = 'width: 600px; height: 200px';

async function nextMask(el: Sam2SegmenterElement, act: () => Promise<unknown>): Promise<Sam2MaskChangeDetail> {
  const event = oneEvent(el, 'mask-change');
  await act();
  return (await event).detail;
}

describe('InputController', function () {
  this.timeout(300_000);
  let url = '';
  before(async () => {
    url = await sceneUrl(scene);
  });
  after(() => URL.revokeObjectURL(url));

  it('a click becomes a positive point at the natural pixel under it; a right-click a negative one', async () => {
    const el = await mount(url, STYLE);
    const prompts = controllerOf(el, PromptController);
    const [cx, cy] = centres[1]!;
    const d = await nextMask(el, () => click(clientPoint(el, natural, cx, cy)));
    const p = prompts.current!.points[0]!;
    expect(p.label).to.equal('positive');
    // Whole CSS pixels at scale 1: within a pixel.
    expect(p.x).to.be.closeTo(cx, 1);
    expect(p.y).to.be.closeTo(cy, 1);
    expect(iou(d.mask.data, scene.truth(1))).to.be.at.least(0.9);
    await nextMask(el, () => rightClick(clientPoint(el, natural, 30, 180)));
    const n = prompts.current!.points[1]!;
    expect(n.label).to.equal('negative');
    expect(n.x).to.be.closeTo(30, 1);
    expect(n.y).to.be.closeTo(180, 1);
    // A click on the letterbox bar (outside the image) prompts nothing.
    const r = el.getBoundingClientRect();
    await click([Math.round(r.left + 50), Math.round(r.top + 100)]);
    await new Promise((res) => setTimeout(res, 200));
    expect(prompts.length).to.equal(2);
  });

  it('a drag becomes a box in natural pixels; Enter on the keyboard crosshair adds its point', async () => {
    const el = await mount(url, STYLE);
    const prompts = controllerOf(el, PromptController);
    const d = await nextMask(el, () =>
      drag(clientPoint(el, natural, 0.45 * W - 6, 0.6 * H - 6), clientPoint(el, natural, 0.85 * W + 6, 0.85 * H + 6)),
    );
    const box = prompts.current!.box!;
    expect(box.x0).to.be.closeTo(0.45 * W - 6, 1);
    expect(box.y0).to.be.closeTo(0.6 * H - 6, 1);
    expect(box.x1).to.be.closeTo(0.85 * W + 6, 1);
    expect(box.y1).to.be.closeTo(0.85 * H + 6, 1);
    expect(iou(d.mask.data, scene.truth(2))).to.be.at.least(0.9);

    el.clear();
    // Keyboard: focus the stage, the crosshair starts at the centre; Enter adds it there.
    const stage = el.shadowRoot!.querySelector('[part="base"]') as HTMLElement;
    stage.focus();
    await nextMask(el, () => sendKeys({ press: 'Enter' }));
    const p = prompts.current!.points[0]!;
    expect([p.x, p.y]).to.deep.equal([W / 2, H / 2]);
  });
});
