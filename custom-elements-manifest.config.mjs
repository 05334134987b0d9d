// `npm run build` writes dist/custom-elements.json (the package's `customElements` field) with
// @custom-elements-manifest/analyzer. The analyzer reads the element's JSDoc (@event, @csspart, @cssproperty) and its
// Lit `static properties`; this plugin corrects what it cannot infer:
// - internal state (`_announcement`, a Lit `state: true` property) is neither a public field nor an attribute;
// - `#emit(type, detail)` dispatches `new CustomEvent(type, …)`, which the analyzer reports as an event named `type`;
// - each event gets its type (`CustomEvent<Detail>`) from `Sam2SegmenterEventMap` in src/components/events.ts;
// - the two source modules (class, definition) are one shipped module, dist/sam2-segmenter.js.
import { readFileSync } from 'node:fs';

const EVENTS_TS = 'src/components/events.ts';

/** `name: Type;` lines of the `Sam2SegmenterEventMap` interface, resolved through the `type X = CustomEvent<…>` aliases. */
function eventTypes() {
  const src = readFileSync(EVENTS_TS, 'utf8');
  const map = /export interface Sam2SegmenterEventMap \{([^}]*)\}/.exec(src);
  if (!map) throw new Error(`${EVENTS_TS}: Sam2SegmenterEventMap not found`);
  const aliases = new Map([...src.matchAll(/export type (\w+) = (CustomEvent<[^;]+>);/g)].map((m) => [m[1], m[2]]));
  const out = new Map();
  for (const m of map[1].matchAll(/^\s*'?([\w-]+)'?\s*:\s*(\w+);/gm)) out.set(m[1], aliases.get(m[2]) ?? m[2]);
  return out;
}

function sam2Fixups() {
  return {
    name: 'sam2-fixups',
    packageLinkPhase({ customElementsManifest }) {
      const types = eventTypes();
      for (const mod of customElementsManifest.modules) {
        for (const decl of mod.declarations ?? []) {
          if (decl.kind !== 'class') continue;
          const internal = (n) => n.startsWith('_') || n.startsWith('#');
          decl.members = (decl.members ?? []).filter((m) => !internal(m.name) && m.privacy !== 'private');
          decl.attributes = (decl.attributes ?? []).filter((a) => !internal(a.name) && !internal(a.fieldName ?? ''));
          if (!decl.customElement) continue;
          decl.events = (decl.events ?? []).filter((e) => types.has(e.name));
          for (const e of decl.events) e.type = { text: types.get(e.name) };
          for (const name of types.keys()) {
            if (!decl.events.some((e) => e.name === name))
              throw new Error(`custom-elements.json: no @event doc for "${name}"`);
          }
        }
      }
      const shipped = { kind: 'javascript-module', path: 'dist/sam2-segmenter.js', declarations: [], exports: [] };
      for (const mod of customElementsManifest.modules) {
        shipped.declarations.push(...(mod.declarations ?? []));
        for (const e of mod.exports ?? []) {
          if (e.declaration?.module) e.declaration.module = shipped.path;
          if (e.name !== '*' && !shipped.exports.some((x) => x.kind === e.kind && x.name === e.name))
            shipped.exports.push(e);
        }
      }
      for (const d of shipped.declarations) {
        if (d.superclass?.module?.startsWith('/src/')) d.superclass.module = shipped.path;
      }
      customElementsManifest.modules = [shipped];
    },
  };
}

export default {
  globs: ['src/components/sam2-segmenter.component.ts', 'src/components/sam2-segmenter.ts'],
  outdir: 'dist',
  litelement: true,
  plugins: [sam2Fixups()],
};
