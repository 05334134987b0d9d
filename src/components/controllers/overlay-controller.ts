// Draws the overlay canvas: the mask (an alpha bitmap tinted with 'source-in' compositing), an optional hover
// preview, prompt markers, the box being dragged, and the keyboard crosshair. The canvas covers the media's box at
// devicePixelRatio resolution; natural pixels map onto it through the media's rendered content rectangle, which
// also maps pointer positions back to natural pixels.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { MaskOverlay, PromptBox, PromptPoint } from '../../shared/types.js';
import { contentRect, parseObjectFit, parseObjectPosition, type Rect } from '../geometry.js';

/** The elements the overlay needs from the host's shadow root. */
export interface OverlayElements {
  media: HTMLElement | null;
  overlay: HTMLCanvasElement | null;
}

/** Where the media's natural pixels are on screen. */
export interface MediaLayout {
  /** Natural size of the media. */
  natural: { width: number; height: number };
  /** Rendered content rectangle in client (viewport) CSS pixels. */
  client: Rect;
}

type Point = { x: number; y: number };
type Scratch = OffscreenCanvas | HTMLCanvasElement;

function scratch(width: number, height: number, reuse: Scratch | null): Scratch {
  const c =
    reuse ??
    (typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : document.createElement('canvas'));
  if (c.width !== width) c.width = width;
  if (c.height !== height) c.height = height;
  return c;
}

function ctx2d(c: Scratch): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  return c.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
}

function px(value: string, fallback: number): number {
  const n = parseFloat(value);
  return Number.isFinite(n) ? n : fallback;
}

/** Colours of tracked objects 2, 3, ... (object 1 uses --sam2-mask-color). */
const PALETTE = [
  'rgb(255, 140, 0)',
  'rgb(50, 205, 50)',
  'rgb(220, 20, 160)',
  'rgb(255, 215, 0)',
  'rgb(0, 206, 209)',
  'rgb(148, 0, 211)',
];

/** The colour object `id` is drawn in: object 1 the host's `--sam2-mask-color`, others a fixed palette. */
export function objectColour(id: number, hostColour = 'rgb(30, 144, 255)'): string {
  return id === 1 ? hostColour : PALETTE[(((id - 2) % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/** Mask overlay and prompt markers for the host's media. */
export class OverlayController implements ReactiveController {
  /** Natural size of the media; null before an image is decoded. */
  natural: { width: number; height: number } | null = null;
  /** Prompt points and box to mark, in natural pixels. */
  points: readonly PromptPoint[] = [];
  box: PromptBox | null = null;
  /** The box being dragged, in natural pixels. */
  dragBox: PromptBox | null = null;
  /** Keyboard crosshair in natural pixels; null hides it. */
  crosshair: Point | null = null;

  #mask: MaskOverlay | null = null;
  #preview: MaskOverlay | null = null;
  /** Prompted objects' masks by object id (owned by the caller), and the one prompts go to (drawn last). */
  #objects: ReadonlyMap<number, MaskOverlay> = new Map();
  #activeObject = 1;
  /** Masks of a tracked video frame, by object id. */
  #tracked = new Map<number, MaskOverlay>();
  #frame = 0;
  #resize: ResizeObserver | null = null;
  #observed: Element | null = null;
  #tint: Scratch | null = null;
  #ring: Scratch | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly elements: () => OverlayElements,
  ) {
    host.addController(this);
  }

  /** Replaces the mask (the previous bitmap is closed). */
  setMask(mask: MaskOverlay | null): void {
    if (this.#mask !== mask) this.#mask?.bitmap.close();
    this.#mask = mask;
    this.requestDraw();
  }

  /** Replaces the hover preview (the previous bitmap is closed). */
  setPreview(mask: MaskOverlay | null): void {
    if (this.#preview !== mask) this.#preview?.bitmap.close();
    this.#preview = mask;
    this.requestDraw();
  }

  /** Replaces the tracked objects' masks (the previous bitmaps are closed); an empty map clears them. */
  setTracked(masks: ReadonlyMap<number, MaskOverlay>): void {
    for (const [id, b] of this.#tracked) if (masks.get(id) !== b) b.bitmap.close();
    this.#tracked = new Map(masks);
    this.requestDraw();
  }

  /**
   * The prompted objects' masks, each in its colour, `active` on top; the caller owns the bitmaps (they are not
   * closed here).
   */
  setObjects(masks: ReadonlyMap<number, MaskOverlay>, active: number): void {
    this.#objects = new Map(masks);
    this.#activeObject = active;
    this.requestDraw();
  }

  /** Whether a hover preview is shown. */
  get hasPreview(): boolean {
    return this.#preview !== null;
  }

  /** The media's natural size and rendered content rectangle, or null before an image is shown. */
  layout(): MediaLayout | null {
    const { media } = this.elements();
    const natural = this.natural;
    if (!media || !natural) return null;
    const r = media.getBoundingClientRect();
    const cs = getComputedStyle(media);
    // The content box: object-fit places the media inside it, not inside the border box.
    const left = px(cs.borderLeftWidth, 0) + px(cs.paddingLeft, 0);
    const top = px(cs.borderTopWidth, 0) + px(cs.paddingTop, 0);
    const width = r.width - left - px(cs.borderRightWidth, 0) - px(cs.paddingRight, 0);
    const height = r.height - top - px(cs.borderBottomWidth, 0) - px(cs.paddingBottom, 0);
    if (!(width > 0 && height > 0)) return null;
    const c = contentRect(
      { width, height },
      natural,
      parseObjectFit(cs.objectFit),
      parseObjectPosition(cs.objectPosition),
    );
    return { natural, client: { x: r.left + left + c.x, y: r.top + top + c.y, width: c.width, height: c.height } };
  }

  /** Natural-pixel position of a client point, with whether it lies on the visible media. */
  clientToNatural(clientX: number, clientY: number): { x: number; y: number; inside: boolean } | null {
    const layout = this.layout();
    if (!layout) return null;
    const { natural, client } = layout;
    const x = ((clientX - client.x) / client.width) * natural.width;
    const y = ((clientY - client.y) / client.height) * natural.height;
    let inside = x >= 0 && y >= 0 && x <= natural.width && y <= natural.height;
    // With object-fit: cover the content overflows the box and the overflow is clipped: only the box is visible.
    const { media } = this.elements();
    if (inside && media) {
      const r = media.getBoundingClientRect();
      inside = clientX >= r.left && clientX <= r.right && clientY >= r.top && clientY <= r.bottom;
    }
    return { x, y, inside };
  }

  /** Natural pixels per CSS pixel along x and y (how far a one-pixel pointer or key move goes). */
  naturalPerCss(): { x: number; y: number } {
    const layout = this.layout();
    if (!layout) return { x: 1, y: 1 };
    return { x: layout.natural.width / layout.client.width, y: layout.natural.height / layout.client.height };
  }

  /** Schedules a redraw in the next animation frame. */
  requestDraw(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.draw();
    });
  }

  hostConnected(): void {
    this.#resize ??= new ResizeObserver(() => this.requestDraw());
    this.#observed = null;
  }

  hostUpdated(): void {
    const { overlay } = this.elements();
    // The overlay canvas covers the stage: observing it follows every size change of the element.
    if (overlay && this.#observed !== overlay) {
      this.#resize?.disconnect();
      try {
        // Device pixels also change with zoom and devicePixelRatio, where the CSS size does not.
        this.#resize?.observe(overlay, { box: 'device-pixel-content-box' });
      } catch {
        this.#resize?.observe(overlay);
      }
      this.#observed = overlay;
    }
    this.requestDraw();
  }

  hostDisconnected(): void {
    this.#resize?.disconnect();
    this.#observed = null;
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }

  /** Draws everything now. */
  draw(): void {
    const { overlay } = this.elements();
    if (!overlay) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const o = overlay.getBoundingClientRect();
    const w = Math.max(1, Math.round(o.width * dpr));
    const h = Math.max(1, Math.round(o.height * dpr));
    if (overlay.width !== w) overlay.width = w;
    if (overlay.height !== h) overlay.height = h;
    const ctx = overlay.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const layout = this.layout();
    if (!layout) return;

    // Content rectangle in overlay device pixels.
    const c: Rect = {
      x: (layout.client.x - o.left) * dpr,
      y: (layout.client.y - o.top) * dpr,
      width: layout.client.width * dpr,
      height: layout.client.height * dpr,
    };
    const sx = c.width / layout.natural.width;
    const sy = c.height / layout.natural.height;
    const toCanvas = (p: Point): Point => ({ x: c.x + p.x * sx, y: c.y + p.y * sy });

    const style = getComputedStyle(this.host);
    const color = style.getPropertyValue('--sam2-mask-color').trim() || 'rgb(30, 144, 255)';
    const opacity = px(style.getPropertyValue('--sam2-mask-opacity'), 0.5);
    const outlineColor = style.getPropertyValue('--sam2-outline-color').trim() || 'rgb(255, 255, 255)';
    const outlineWidth = px(style.getPropertyValue('--sam2-outline-width'), 2) * dpr;

    for (const [id, mask] of this.#tracked) {
      // Object 1 takes the host's colour; others a fixed palette, so objects keep their colour across frames.
      this.#drawMask(ctx, mask, c, w, h, objectColour(id, color), opacity, outlineColor, outlineWidth);
    }
    const active = this.#objects.get(this.#activeObject);
    for (const [id, mask] of this.#objects) {
      if (mask !== active)
        this.#drawMask(ctx, mask, c, w, h, objectColour(id, color), opacity, outlineColor, outlineWidth);
    }
    const activeColour = objectColour(this.#activeObject, color);
    if (active) this.#drawMask(ctx, active, c, w, h, activeColour, opacity, outlineColor, outlineWidth);
    if (this.#mask) this.#drawMask(ctx, this.#mask, c, w, h, color, opacity, outlineColor, outlineWidth);
    if (this.#preview)
      this.#drawMask(ctx, this.#preview, c, w, h, activeColour, opacity * 0.6, outlineColor, outlineWidth / 2);

    ctx.lineWidth = 2 * dpr;
    if (this.box)
      this.#drawBox(
        ctx,
        toCanvas({ x: this.box.x0, y: this.box.y0 }),
        toCanvas({ x: this.box.x1, y: this.box.y1 }),
        dpr,
        false,
      );
    if (this.dragBox) {
      this.#drawBox(
        ctx,
        toCanvas({ x: this.dragBox.x0, y: this.dragBox.y0 }),
        toCanvas({ x: this.dragBox.x1, y: this.dragBox.y1 }),
        dpr,
        true,
      );
    }
    for (const p of this.points) this.#drawMarker(ctx, toCanvas(p), p.label === 'positive', dpr);
    if (this.crosshair) this.#drawCrosshair(ctx, toCanvas(this.crosshair), dpr);
  }

  #drawMask(
    ctx: CanvasRenderingContext2D,
    mask: MaskOverlay,
    c: Rect,
    w: number,
    h: number,
    color: string,
    opacity: number,
    outlineColor: string,
    outlineWidth: number,
  ): void {
    const natural = this.natural;
    const [bx, by, bw, bh] = mask.bbox;
    if (!natural || !(bw > 0 && bh > 0)) return;
    // The mask's box on the canvas, and the region it touches with its outline: every pass below works on that
    // region only, so drawing a mask costs the object's area, not the canvas's.
    const sx = c.width / natural.width;
    const sy = c.height / natural.height;
    const dx = c.x + bx * sx;
    const dy = c.y + by * sy;
    const dw = bw * sx;
    const dh = bh * sy;
    const pad = Math.ceil(Math.max(0, outlineWidth)) + 2;
    const x0 = Math.max(0, Math.floor(dx) - pad);
    const y0 = Math.max(0, Math.floor(dy) - pad);
    const rw = Math.min(w, Math.ceil(dx + dw) + pad) - x0;
    const rh = Math.min(h, Math.ceil(dy + dh) + pad) - y0;
    if (rw <= 0 || rh <= 0) return;

    // The mask bitmap is scaled once, into a tint canvas of the region's size (drawing a canvas copies all of it,
    // so it is no larger than the region); the outline stamps that canvas (its alpha is the mask), so a large
    // photo's mask is drawn once per frame, not nine times.
    const tint = (this.#tint = scratch(rw, rh, this.#tint));
    const t = ctx2d(tint);
    t.globalCompositeOperation = 'source-over';
    t.clearRect(0, 0, rw, rh);
    t.drawImage(mask.bitmap, dx - x0, dy - y0, dw, dh);
    t.globalCompositeOperation = 'source-in';
    t.fillStyle = color;
    t.fillRect(0, 0, rw, rh);
    ctx.globalAlpha = Math.min(1, Math.max(0, opacity));
    ctx.drawImage(tint, x0, y0);
    ctx.globalAlpha = 1;
    if (!(outlineWidth > 0)) return;

    // Outline: the mask dilated by stamping it at eight offsets, minus the mask itself, tinted.
    const ring = (this.#ring = scratch(rw, rh, this.#ring));
    const r = ctx2d(ring);
    r.globalCompositeOperation = 'source-over';
    r.clearRect(0, 0, rw, rh);
    const d = outlineWidth;
    for (const [ox, oy] of [
      [-1, 0],
      [1, 0],
      [0, -1],
      [0, 1],
      [-0.7, -0.7],
      [0.7, -0.7],
      [-0.7, 0.7],
      [0.7, 0.7],
    ] as const) {
      r.drawImage(tint, ox * d, oy * d);
    }
    r.globalCompositeOperation = 'destination-out';
    r.drawImage(tint, 0, 0);
    r.globalCompositeOperation = 'source-in';
    r.fillStyle = outlineColor;
    r.fillRect(0, 0, rw, rh);
    ctx.drawImage(ring, x0, y0);
  }

  #drawBox(ctx: CanvasRenderingContext2D, a: Point, b: Point, dpr: number, dashed: boolean): void {
    ctx.save();
    ctx.setLineDash(dashed ? [6 * dpr, 4 * dpr] : []);
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.6)';
    ctx.lineWidth = 4 * dpr;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2 * dpr;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.restore();
  }

  #drawMarker(ctx: CanvasRenderingContext2D, p: Point, positive: boolean, dpr: number): void {
    const r = 7 * dpr;
    ctx.save();
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    ctx.fillStyle = positive ? '#1ea03c' : '#d81e1e';
    ctx.fill();
    ctx.lineWidth = 1.5 * dpr;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    // + for positive, − for negative, so the label does not rely on colour alone.
    ctx.beginPath();
    ctx.lineWidth = 2 * dpr;
    ctx.moveTo(p.x - r * 0.55, p.y);
    ctx.lineTo(p.x + r * 0.55, p.y);
    if (positive) {
      ctx.moveTo(p.x, p.y - r * 0.55);
      ctx.lineTo(p.x, p.y + r * 0.55);
    }
    ctx.stroke();
    ctx.restore();
  }

  #drawCrosshair(ctx: CanvasRenderingContext2D, p: Point, dpr: number): void {
    const r = 12 * dpr;
    ctx.save();
    for (const [style, width] of [
      ['rgba(0, 0, 0, 0.7)', 4],
      ['#ffffff', 2],
    ] as const) {
      ctx.strokeStyle = style;
      ctx.lineWidth = width * dpr;
      ctx.beginPath();
      ctx.moveTo(p.x - r, p.y);
      ctx.lineTo(p.x - r / 3, p.y);
      ctx.moveTo(p.x + r / 3, p.y);
      ctx.lineTo(p.x + r, p.y);
      ctx.moveTo(p.x, p.y - r);
      ctx.lineTo(p.x, p.y - r / 3);
      ctx.moveTo(p.x, p.y + r / 3);
      ctx.lineTo(p.x, p.y + r);
      ctx.stroke();
    }
    ctx.restore();
  }
}
