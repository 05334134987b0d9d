// Test-only views into a <sam2-segmenter>'s controllers, so that the shipped element carries no test hooks. Lit's
// public `addController` is wrapped (once, before any element is built) to remember each element's controllers;
// nothing is replaced or faked.
import type { ReactiveController } from 'lit';
import type { Segmenter } from '../../../src/client/segmenter.js';
import { EngineController } from '../../../src/components/controllers/engine-controller.js';
import { Sam2SegmenterElement } from '../../../src/components/sam2-segmenter.js';

const controllers = new WeakMap<object, ReactiveController[]>();
const proto = Sam2SegmenterElement.prototype as Sam2SegmenterElement & { __sam2TestHooks?: true };
if (!proto.__sam2TestHooks) {
  const add = proto.addController;
  Object.defineProperty(proto, 'addController', {
    configurable: true,
    value(this: Sam2SegmenterElement, c: ReactiveController): void {
      let list = controllers.get(this);
      if (!list) controllers.set(this, (list = []));
      list.push(c);
      add.call(this, c);
    },
  });
  proto.__sam2TestHooks = true;
}

/** The controller of class `type` that `el` was built with. */
export function controllerOf<T extends ReactiveController>(
  el: Sam2SegmenterElement,
  type: abstract new (...args: never[]) => T,
): T {
  const c = controllers.get(el)?.find((x): x is T => x instanceof type);
  if (!c) throw new Error(`no ${type.name} recorded for this element (import element-hooks before creating it)`);
  return c;
}

/** The element's current segmenter, or null when it holds none. */
export function segmenterOf(el: Sam2SegmenterElement): Segmenter | null {
  return controllerOf(el, EngineController).existing;
}
