// Where the media's pixels land on screen, and back: the rendered content box of a replaced element inside its
// box, for every `object-fit`, from its CSS size and natural size. Pure functions, no DOM reads.

/** An axis-aligned rectangle in CSS pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The `object-fit` values browsers implement. */
export type ObjectFit = 'contain' | 'cover' | 'fill' | 'none' | 'scale-down';

/** One `object-position` component: a fraction of the free space plus a length in CSS pixels. */
export interface PositionComponent {
  fraction: number;
  offset: number;
}

const CENTER: PositionComponent = { fraction: 0.5, offset: 0 };

/** Normalises a computed `object-fit` value (unknown values fall back to the CSS initial value, `fill`). */
export function parseObjectFit(value: string | null | undefined): ObjectFit {
  switch ((value ?? '').trim()) {
    case 'contain':
    case 'cover':
    case 'none':
    case 'scale-down':
      return value!.trim() as ObjectFit;
    default:
      return 'fill';
  }
}

function component(token: string | undefined): PositionComponent {
  if (!token) return CENTER;
  // Computed values are `<percentage>`, `<length>` (px) or `calc(<percentage> + <length>)`.
  const pct = /(-?[\d.]+)%/.exec(token);
  const px = /(-?[\d.]+)px/.exec(token);
  if (!pct && !px) return CENTER;
  return { fraction: pct ? Number(pct[1]) / 100 : 0, offset: px ? Number(px[1]) : 0 };
}

/** Parses a computed `object-position` (two components, x then y); anything unexpected means centred. */
export function parseObjectPosition(value: string | null | undefined): [PositionComponent, PositionComponent] {
  const tokens = (value ?? '').trim().match(/calc\([^)]*\)|\S+/g) ?? [];
  return [component(tokens[0]), component(tokens[1])];
}

/**
 * The rectangle, relative to the box's top-left corner, that the media's natural pixels are drawn into. It can be
 * larger than the box (`cover`, `none`); the parts outside are clipped by the browser.
 */
export function contentRect(
  box: { width: number; height: number },
  natural: { width: number; height: number },
  fit: ObjectFit = 'contain',
  position: [PositionComponent, PositionComponent] = [CENTER, CENTER],
): Rect {
  const { width: bw, height: bh } = box;
  const { width: nw, height: nh } = natural;
  if (!(nw > 0 && nh > 0 && bw > 0 && bh > 0)) return { x: 0, y: 0, width: bw, height: bh };
  let width = bw;
  let height = bh;
  if (fit !== 'fill') {
    const contain = Math.min(bw / nw, bh / nh);
    let scale: number;
    if (fit === 'contain') scale = contain;
    else if (fit === 'cover') scale = Math.max(bw / nw, bh / nh);
    else if (fit === 'none') scale = 1;
    else scale = Math.min(1, contain);
    width = nw * scale;
    height = nh * scale;
  }
  const [px, py] = position;
  return {
    x: (bw - width) * px.fraction + px.offset,
    y: (bh - height) * py.fraction + py.offset,
    width,
    height,
  };
}

/** Natural-pixel coordinates of a point given relative to the box, with whether it falls on the media. */
export function toNatural(
  content: Rect,
  natural: { width: number; height: number },
  x: number,
  y: number,
): { x: number; y: number; inside: boolean } {
  const nx = ((x - content.x) / content.width) * natural.width;
  const ny = ((y - content.y) / content.height) * natural.height;
  return { x: nx, y: ny, inside: nx >= 0 && ny >= 0 && nx <= natural.width && ny <= natural.height };
}

/** Box-relative CSS coordinates of a natural-pixel point. */
export function fromNatural(
  content: Rect,
  natural: { width: number; height: number },
  x: number,
  y: number,
): { x: number; y: number } {
  return {
    x: content.x + (x / natural.width) * content.width,
    y: content.y + (y / natural.height) * content.height,
  };
}
