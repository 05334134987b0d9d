// Defines <sam2-segmenter>. Importing this module registers the tag in a browser (once, even if loaded twice).
import { Sam2SegmenterElement } from './sam2-segmenter.component.js';

export { Sam2SegmenterElement } from './sam2-segmenter.component.js';
export type {
  Sam2SegmenterElementEventMap,
  Sam2SegmenterMode,
  Sam2SegmenterPrompt,
  Sam2SegmenterSource,
} from './sam2-segmenter.component.js';
export type * from './events.js';
export { DEFAULT_STRINGS } from './strings.js';
export type { Sam2SegmenterStrings } from './strings.js';

// Browsers only. In Node (SSR: Next, Astro, SvelteKit) Lit's server build installs a registry shim; defining there
// would let server renderers emit an element that can only run in a browser, so importing defines nothing.
if (typeof window !== 'undefined' && typeof customElements !== 'undefined' && !customElements.get('sam2-segmenter')) {
  customElements.define('sam2-segmenter', Sam2SegmenterElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'sam2-segmenter': Sam2SegmenterElement;
  }
}
