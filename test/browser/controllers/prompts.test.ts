// PromptController in the real element on the twin model: the history (each prompt an entry holding the full
// prompt so far), undo back through it (the earlier mask shown again without a decode, then an empty mask), clear,
// and a rejected prompt leaving the history as it was.
import { expect, oneEvent } from '@open-wc/testing';
import { PromptController } from '../../../src/components/controllers/prompt-controller.js';
import type { Sam2MaskChangeDetail, Sam2SegmenterElement } from '../../../src/components/sam2-segmenter.js';
import { controllerOf } from '../helpers/element-hooks.js';
import { mount, sceneUrl } from '../helpers/element-input.js';
import { rejection } from '../helpers/rejection.js';
import { iou, objectsScene } from '../helpers/scenes.js';

const W = 320;
const H = 180;
const { scene, centres } = objectsScene(W, H);

async function nextMask(el: Sam2SegmenterElement, act: () => unknown): Promise<Sam2MaskChangeDetail> {
  const event = oneEvent(el, 'mask-change');
  await act();
  return (await event).detail;
}

describe('PromptController', function () {
  this.timeout(300_000);
  let url = '';
  before(async () => {
    url = await sceneUrl(scene);
  });
  after(() => URL.revokeObjectURL(url));

  it('keeps a history of full prompts; undo restores the earlier mask, then clears; clear empties it', async () => {
    const el = await mount(url, 'width: 320px; height: 180px');
    const prompts = controllerOf(el, PromptController);
    expect(prompts.length).to.equal(0);
    const a = await el.segment({ points: [{ x: centres[0]![0], y: centres[0]![1], label: 'positive' }] });
    expect(iou(a.mask.data, scene.truth(0))).to.be.at.least(0.9);
    const box = { x0: 0.45 * W - 4, y0: 0.6 * H - 4, x1: 0.85 * W + 4, y1: 0.85 * H + 4 };
    const b = await el.segment({ points: [], box });
    expect(iou(b.mask.data, scene.truth(2))).to.be.at.least(0.9);
    expect(prompts.length).to.equal(2);
    expect(prompts.current!.box).to.deep.equal(box);
    expect(prompts.current!.detail).to.equal(b);

    // Undo shows the first entry's own result again (the same detail, no new decode).
    const undone = await nextMask(el, () => el.undo());
    expect(undone).to.equal(a);
    expect(prompts.length).to.equal(1);
    const empty = await nextMask(el, () => el.undo());
    expect(empty.mask.area).to.equal(0);
    expect([empty.mask.width, empty.mask.height]).to.deep.equal([W, H]);
    expect(prompts.length).to.equal(0);

    await el.segment({ points: [{ x: centres[1]![0], y: centres[1]![1], label: 'positive' }] });
    const cleared = await nextMask(el, () => el.clear());
    expect(cleared.mask.area).to.equal(0);
    expect(prompts.current).to.equal(null);
  });

  it('an invalid prompt rejects with invalid-prompt, fires error, and leaves the history unchanged', async () => {
    const el = await mount(url, 'width: 320px; height: 180px');
    const prompts = controllerOf(el, PromptController);
    await el.segment({ points: [{ x: centres[0]![0], y: centres[0]![1], label: 'positive' }] });
    const errored = oneEvent(el, 'error');
    const e = await rejection(el.segment({ points: [{ x: Number.NaN, y: 3, label: 'positive' }] }));
    expect(e.code).to.equal('invalid-prompt');
    expect((await errored).detail.code).to.equal('invalid-prompt');
    expect(prompts.length).to.equal(1);
    // Still usable: a point added to the current prompt refines it.
    const more = await el.segment({
      points: [...prompts.current!.points, { x: centres[0]![0] + 10, y: centres[0]![1], label: 'positive' }],
    });
    expect(iou(more.mask.data, scene.truth(0))).to.be.at.least(0.9);
    expect(prompts.length).to.equal(2);
  });
});
