// Every text <sam2-segmenter> shows or announces, in one replaceable object: a host sets `el.strings = { ... }` with
// any subset (the rest stay English). Texts with figures are functions, so a language can place and inflect them.

/** The element's texts; give any subset to the `strings` property. */
export interface Sam2SegmenterStrings {
  /** Help read with the image (its accessible description), for pointer and keyboard. */
  help: string;
  /** Announced when a mask is shown after a prompt. */
  maskUpdated: (area: number, objectId: number) => string;
  /** Announced after undo. */
  undone: (area: number, objectId: number) => string;
  /** Announced after redo. */
  redone: (area: number, objectId: number) => string;
  /** Announced when the prompts are cleared. */
  cleared: string;
  /** Announced when a new object starts. */
  objectAdded: (objectId: number) => string;
  /** Announced when prompts go to another object. */
  objectSelected: (objectId: number) => string;
  /** Loading overlay while files download; `fraction` is 0–1 over every file, or null while the total is unknown. */
  loading: (fraction: number | null, loadedBytes: number, totalBytes: number) => string;
  /** Loading overlay while the model compiles for the backend. */
  compiling: string;
  /** Title of the error state. */
  errorTitle: string;
  /** The retry button of the error state. */
  retry: string;
  /** Empty state: no `src` or `source`. */
  empty: string;
  /** The prompt-mode control and its choices. */
  modeLabel: string;
  modePositive: string;
  modeNegative: string;
  modeBox: string;
  /** On-element controls. */
  undo: string;
  redo: string;
  clear: string;
  newObject: string;
  /** The object picker and each object's name. */
  objectLabel: string;
  objectName: (objectId: number) => string;
}

// Grouped by hand: a new Intl.NumberFormat cost the first announcement 40 ms on the page's thread.
const count = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const megabytes = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/** English texts, used for anything a host does not replace. */
export const DEFAULT_STRINGS: Readonly<Sam2SegmenterStrings> = Object.freeze({
  help:
    'Click or press Enter to add the object under the cursor; Alt-click, right-click or Shift+Enter to exclude; drag ' +
    'for a box; on a touch screen, choose Include, Exclude or Box first, then tap or drag. Arrow keys move the cursor, ' +
    'Backspace or Ctrl+Z undoes, Ctrl+Y or Ctrl+Shift+Z redoes, N starts a new object, Escape clears.',
  maskUpdated: (area: number, objectId: number) => `Object ${objectId} updated, ${count(area)} pixels`,
  undone: (area: number, objectId: number) => `Undone, object ${objectId}, ${count(area)} pixels`,
  redone: (area: number, objectId: number) => `Redone, object ${objectId}, ${count(area)} pixels`,
  cleared: 'Selection cleared',
  objectAdded: (objectId: number) => `New object ${objectId}`,
  objectSelected: (objectId: number) => `Prompts go to object ${objectId}`,
  loading: (fraction: number | null, loaded: number, total: number) =>
    fraction !== null
      ? `Loading model, ${Math.floor(fraction * 100)}% of ${megabytes(total)}`
      : loaded > 0
        ? `Loading model, ${megabytes(loaded)}`
        : 'Loading model',
  compiling: 'Preparing model',
  errorTitle: 'Something went wrong',
  retry: 'Try again',
  empty: 'No image yet',
  modeLabel: 'Prompt mode',
  modePositive: 'Include',
  modeNegative: 'Exclude',
  modeBox: 'Box',
  undo: 'Undo',
  redo: 'Redo',
  clear: 'Clear',
  newObject: 'New object',
  objectLabel: 'Object',
  objectName: (objectId: number) => `Object ${objectId}`,
});

/** The defaults with a host's replacements on top (ignoring replacements of the wrong type). */
export function resolveStrings(given: Partial<Sam2SegmenterStrings> | null | undefined): Sam2SegmenterStrings {
  const out: Sam2SegmenterStrings = { ...DEFAULT_STRINGS };
  if (!given || typeof given !== 'object') return out;
  for (const key of Object.keys(DEFAULT_STRINGS) as (keyof Sam2SegmenterStrings)[]) {
    const v = given[key];
    if (v !== undefined && typeof v === typeof DEFAULT_STRINGS[key])
      (out as unknown as Record<string, unknown>)[key] = v;
  }
  return out;
}
