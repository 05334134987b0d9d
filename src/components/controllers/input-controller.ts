// Pointer and keyboard input on the element's stage, turned into prompts in the media's natural pixels: a click adds
// a point (Alt or right button: negative), a drag draws a box, hover mode previews under the pointer; the keyboard
// moves a crosshair (arrows), adds points (Enter, Space; Shift+Enter negative), undoes (Backspace, Ctrl/Cmd+Z) and
// clears (Escape). The host binds the handlers on its stage.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PromptBox } from '../../shared/types.js';
import type { OverlayController } from './overlay-controller.js';
import type { PromptController } from './prompt-controller.js';

/** How pointer input prompts: `click` points (drag for a box), `box` boxes first, `hover` previews under the pointer. */
export type Sam2SegmenterMode = 'click' | 'box' | 'hover';

/** Pointer travel (CSS px) that turns a press into a box drag, per mode. */
const DRAG_THRESHOLD = { click: 4, box: 1, hover: 4 } as const;
/** Crosshair steps in CSS pixels: arrow keys, and with Shift. */
const KEY_STEP = 4;
const KEY_STEP_LARGE = 32;

/** How long a still touch is held to add a negative point (the touch stand-in for Alt-click / right-click). */
const LONG_PRESS_MS = 500;

interface Drag {
  pointerId: number;
  startX: number;
  startY: number;
  moved: boolean;
  negative: boolean;
  /** A long press already added its point: the release adds nothing. */
  done: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** What the input controller drives. */
export interface InputControllerOptions {
  overlay: OverlayController;
  prompts: PromptController;
  /** The host's pointer mode. */
  mode(): Sam2SegmenterMode;
  /** Whether a plain click or tap adds a negative point (the `negative` tool); Alt and long presses invert it. */
  negative?(): boolean;
  /** Redo, and a new object (keyboard shortcuts). */
  redo?(): void;
  newObject?(): void;
}

/** The stage's pointer and keyboard handlers. */
export class InputController implements ReactiveController {
  #drag: Drag | null = null;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: InputControllerOptions,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.#endDrag();
  }

  #endDrag(): void {
    clearTimeout(this.#drag?.timer);
    this.#drag = null;
  }

  #negative(inverted: boolean): boolean {
    return (this.options.negative?.() ?? false) !== inverted;
  }

  readonly onPointerDown = (e: PointerEvent): void => {
    // Right button: the contextmenu event that follows adds the negative point.
    if (e.button !== 0 || !e.isPrimary) return;
    this.options.overlay.crosshair = null;
    const stage = e.currentTarget as HTMLElement;
    try {
      stage.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events have no active pointer to capture.
    }
    const drag: Drag = {
      pointerId: e.pointerId,
      startX: e.clientX,
      startY: e.clientY,
      moved: false,
      negative: e.altKey,
      done: false,
      timer: undefined,
    };
    this.#drag = drag;
    if (e.pointerType === 'touch' && this.options.mode() !== 'box') {
      // A long press is the touch screen's right click: the opposite label.
      const { clientX, clientY } = e;
      drag.timer = setTimeout(() => {
        if (this.#drag !== drag || drag.moved) return;
        drag.done = true;
        const p = this.options.overlay.clientToNatural(clientX, clientY);
        if (p?.inside) this.options.prompts.addPoint(p.x, p.y, this.#negative(true));
      }, LONG_PRESS_MS);
    }
  };

  readonly onPointerMove = (e: PointerEvent): void => {
    const { overlay, prompts } = this.options;
    const drag = this.#drag;
    const mode = this.options.mode();
    if (drag && drag.pointerId === e.pointerId) {
      if (
        !drag.moved &&
        Math.hypot(e.clientX - drag.startX, e.clientY - drag.startY) > (DRAG_THRESHOLD[mode] ?? DRAG_THRESHOLD.click)
      ) {
        drag.moved = true;
        clearTimeout(drag.timer);
        prompts.cancelHover();
      }
      if (drag.moved) {
        overlay.dragBox = this.#boxBetween(drag.startX, drag.startY, e.clientX, e.clientY);
        overlay.requestDraw();
      }
      return;
    }
    if (mode === 'hover' && e.buttons === 0) {
      const p = overlay.clientToNatural(e.clientX, e.clientY);
      if (p?.inside) prompts.hover(p.x, p.y);
      else prompts.cancelHover();
    }
  };

  readonly onPointerUp = (e: PointerEvent): void => {
    const { overlay, prompts } = this.options;
    const drag = this.#drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    this.#endDrag();
    overlay.dragBox = null;
    if (drag.done) return;
    if (drag.moved) {
      const box = this.#boxBetween(drag.startX, drag.startY, e.clientX, e.clientY);
      overlay.requestDraw();
      if (box && box.x1 - box.x0 >= 1 && box.y1 - box.y0 >= 1) prompts.setBox(box);
      return;
    }
    const p = overlay.clientToNatural(e.clientX, e.clientY);
    if (p?.inside) prompts.addPoint(p.x, p.y, this.#negative(drag.negative || e.altKey));
  };

  readonly onPointerCancel = (): void => {
    // The browser took the gesture (a swipe that scrolls the page, a pinch): no prompt.
    this.#endDrag();
    this.options.overlay.dragBox = null;
    this.options.overlay.requestDraw();
  };

  readonly onPointerLeave = (): void => {
    if (!this.#drag) this.options.prompts.cancelHover();
  };

  readonly onContextMenu = (e: MouseEvent): void => {
    e.preventDefault();
    // A touch long press also opens the context menu: its point is already added.
    const pressed = this.#drag?.done === true;
    this.#endDrag();
    if (pressed) return;
    const p = this.options.overlay.clientToNatural(e.clientX, e.clientY);
    if (p?.inside) this.options.prompts.addPoint(p.x, p.y, this.#negative(true));
  };

  readonly onFocus = (e: FocusEvent): void => {
    const stage = e.currentTarget as HTMLElement;
    // Keyboard focus shows the crosshair; a click's focus does not.
    if (stage.matches(':focus-visible')) this.#showCrosshair();
  };

  readonly onBlur = (): void => {
    this.options.overlay.crosshair = null;
    this.options.overlay.requestDraw();
  };

  readonly onKeyDown = (e: KeyboardEvent): void => {
    const { overlay, prompts } = this.options;
    const key = e.key;
    if (key === 'Escape') {
      if (prompts.length === 0 && !overlay.hasPreview) return;
      e.preventDefault();
      prompts.clear();
      return;
    }
    const mod = e.ctrlKey || e.metaKey;
    if (mod && (key.toLowerCase() === 'y' || (e.shiftKey && key.toLowerCase() === 'z'))) {
      e.preventDefault();
      this.options.redo?.();
      return;
    }
    if ((key === 'n' || key === 'N') && !mod && !e.altKey && this.options.newObject) {
      e.preventDefault();
      this.options.newObject();
      return;
    }
    if (key === 'Backspace' || (mod && !e.shiftKey && key.toLowerCase() === 'z')) {
      e.preventDefault();
      void prompts.undo();
      return;
    }
    if (key.startsWith('Arrow')) {
      const c = this.#showCrosshair();
      const n = overlay.natural;
      if (!c || !n) return;
      e.preventDefault();
      const scale = overlay.naturalPerCss();
      const step = e.shiftKey ? KEY_STEP_LARGE : KEY_STEP;
      const dx = key === 'ArrowLeft' ? -1 : key === 'ArrowRight' ? 1 : 0;
      const dy = key === 'ArrowUp' ? -1 : key === 'ArrowDown' ? 1 : 0;
      c.x = Math.min(n.width - 0.5, Math.max(0.5, c.x + dx * step * scale.x));
      c.y = Math.min(n.height - 0.5, Math.max(0.5, c.y + dy * step * scale.y));
      overlay.requestDraw();
      return;
    }
    if (key === 'Enter' || key === ' ') {
      const c = this.#showCrosshair();
      if (!c) return;
      e.preventDefault();
      prompts.addPoint(c.x, c.y, this.#negative(key === 'Enter' && e.shiftKey));
    }
  };

  #showCrosshair(): { x: number; y: number } | null {
    const { overlay } = this.options;
    const n = overlay.natural;
    if (!n) return null;
    overlay.crosshair ??= { x: n.width / 2, y: n.height / 2 };
    overlay.requestDraw();
    return overlay.crosshair;
  }

  /** The box spanned by two client points, clamped to the media, in natural pixels. */
  #boxBetween(ax: number, ay: number, bx: number, by: number): PromptBox | null {
    const { overlay } = this.options;
    const a = overlay.clientToNatural(ax, ay);
    const b = overlay.clientToNatural(bx, by);
    const n = overlay.natural;
    if (!a || !b || !n) return null;
    const cx = (v: number) => Math.min(n.width, Math.max(0, v));
    const cy = (v: number) => Math.min(n.height, Math.max(0, v));
    return {
      x0: cx(Math.min(a.x, b.x)),
      y0: cy(Math.min(a.y, b.y)),
      x1: cx(Math.max(a.x, b.x)),
      y1: cy(Math.max(a.y, b.y)),
    };
  }
}
