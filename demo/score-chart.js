// A small SVG chart of each object's score per frame, from a session's toJSON(): one line per object in its colour
// (predicted IoU while SAM 2 sees it), a shaded band where it was lost, and a ring where it came back.
const NS = 'http://www.w3.org/2000/svg';
export const OBJECT_COLOURS = ['#1e90ff', '#f04438', '#12b76a', '#f79009', '#7a5af8', '#ee46bc', '#06aed4', '#667085'];

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** An <svg> of `track` (a TrackExport); `colourOf(objectId)` picks each object's colour. */
export function scoreChart(track, colourOf = (id) => OBJECT_COLOURS[(id - 1) % OBJECT_COLOURS.length]) {
  const W = 720;
  const H = 180;
  const pad = { l: 36, r: 10, t: 10, b: 26 };
  const frames = track.frames;
  const first = frames.length ? frames[0].frame : 0;
  const last = frames.length ? frames[frames.length - 1].frame : 1;
  const ids = [...new Set(frames.flatMap((f) => f.objects.map((o) => o.objectId)))].sort((a, b) => a - b);
  const x = (frame) => pad.l + ((frame - first) / Math.max(1, last - first)) * (W - pad.l - pad.r);
  const y = (score) => pad.t + (1 - score) * (H - pad.t - pad.b);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  svg.append(el('title', {}, `Score per frame for ${ids.length} object(s), frames ${first}–${last}`));
  // Axes: score 0, 0.5, 1 and a few frame ticks.
  for (const s of [0, 0.5, 1]) {
    svg.append(el('line', { x1: pad.l, x2: W - pad.r, y1: y(s), y2: y(s), stroke: '#e4e7ec' }));
    svg.append(
      el('text', { x: pad.l - 6, y: y(s) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#667085' }, s.toFixed(1)),
    );
  }
  const step = Math.max(1, Math.ceil((last - first) / 8 / 10) * 10);
  for (let f = Math.ceil(first / step) * step; f <= last; f += step) {
    svg.append(el('text', { x: x(f), y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#667085' }, String(f)));
  }
  ids.forEach((id, row) => {
    const colour = colourOf(id);
    const seen = frames.map((f) => ({ frame: f.frame, o: f.objects.find((o) => o.objectId === id) }));
    // Lost: frames where the object is tracked but SAM 2 does not see it (object score ≤ 0).
    let lostFrom = null;
    const bandY = H - pad.b - 6 - row * 5;
    const flush = (to) => {
      if (lostFrom === null) return;
      svg.append(
        el('rect', {
          x: x(lostFrom) - 1,
          y: pad.t,
          width: Math.max(2, x(to) - x(lostFrom) + 2),
          height: H - pad.t - pad.b,
          fill: colour,
          'fill-opacity': 0.08,
        }),
      );
      svg.append(
        el('rect', {
          x: x(lostFrom) - 1,
          y: bandY,
          width: Math.max(2, x(to) - x(lostFrom) + 2),
          height: 4,
          fill: colour,
        }),
      );
      lostFrom = null;
    };
    let d = '';
    let wasLost = false;
    for (const { frame, o } of seen) {
      if (!o) continue;
      const lost = !(o.objectScore > 0);
      if (lost) {
        if (lostFrom === null) lostFrom = frame;
        d += ` M${x(frame).toFixed(1)},${y(0).toFixed(1)}`;
      } else {
        flush(frame);
        d += `${d && !wasLost ? ' L' : ' M'}${x(frame).toFixed(1)},${y(o.score).toFixed(1)}`;
        if (wasLost)
          svg.append(
            el('circle', { cx: x(frame), cy: y(o.score), r: 4, fill: 'none', stroke: colour, 'stroke-width': 2 }),
          );
      }
      wasLost = lost;
    }
    if (lostFrom !== null) flush(last);
    svg.append(
      el('path', { d: d.trim(), fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-linejoin': 'round' }),
    );
    svg.append(
      el(
        'text',
        { x: W - pad.r, y: pad.t + 12 + row * 14, 'text-anchor': 'end', 'font-size': 12, fill: colour },
        `object ${id}`,
      ),
    );
  });
  return svg;
}
