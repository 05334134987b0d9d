// Optional on-element controls (the `controls` attribute): the prompt tool (include / exclude / box), which works
// by touch where modifier keys and right clicks do not exist, undo, redo, clear, a new object and the object prompts
// go to. Plain buttons and a select, so keyboard and screen readers get them for free; 44 px touch targets.
import { css, html, type TemplateResult } from 'lit';
import { cssomStyle } from './cssom-style.js';
import type { Sam2SegmenterStrings } from './strings.js';

/** What a tap or click adds: a positive point, a negative point, or (dragging) a box. */
export type Sam2PromptTool = 'positive' | 'negative' | 'box';

/** What the controls show and call. */
export interface ControlsModel {
  text: Sam2SegmenterStrings;
  tool: Sam2PromptTool;
  objects: readonly number[];
  active: number;
  colourOf(objectId: number): string;
  canUndo: boolean;
  canRedo: boolean;
  canClear: boolean;
  setTool(tool: Sam2PromptTool): void;
  undo(): void;
  redo(): void;
  clear(): void;
  newObject(): void;
  selectObject(objectId: number): void;
}

/** The toolbar. */
export function renderControls(m: ControlsModel): TemplateResult {
  const t = m.text;
  const tool = (value: Sam2PromptTool, label: string, glyph: string) =>
    html`<button
      type="button"
      part="control tool ${value === m.tool ? 'tool-active' : ''}"
      aria-pressed=${value === m.tool ? 'true' : 'false'}
      @click=${() => m.setTool(value)}
    >
      <span aria-hidden="true">${glyph}</span> ${label}
    </button>`;
  return html`<div class="controls" part="controls" role="toolbar" aria-label=${t.modeLabel}>
    <div class="group" role="group" aria-label=${t.modeLabel}>
      ${tool('positive', t.modePositive, '+')} ${tool('negative', t.modeNegative, '−')} ${tool('box', t.modeBox, '▭')}
    </div>
    <div class="group">
      <button type="button" part="control undo" ?disabled=${!m.canUndo} @click=${m.undo}>${t.undo}</button>
      <button type="button" part="control redo" ?disabled=${!m.canRedo} @click=${m.redo}>${t.redo}</button>
      <button type="button" part="control clear" ?disabled=${!m.canClear} @click=${m.clear}>${t.clear}</button>
    </div>
    <div class="group">
      <label class="object" part="object">
        <span class="swatch" ${cssomStyle({ background: m.colourOf(m.active) })}></span>
        <span class="visually-hidden">${t.objectLabel}</span>
        <select
          part="object-select"
          aria-label=${t.objectLabel}
          @change=${(e: Event) => m.selectObject(Number((e.target as HTMLSelectElement).value))}
        >
          ${m.objects.map((id) => html`<option value=${id} ?selected=${id === m.active}>${t.objectName(id)}</option>`)}
        </select>
      </label>
      <button type="button" part="control new-object" @click=${m.newObject}>${t.newObject}</button>
    </div>
  </div>`;
}

/** Styles of the toolbar. */
export const controlStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 12px;
    padding: 6px 0 0;
    font: var(--sam2-controls-font, 14px/1.2 system-ui, sans-serif);
  }

  .group {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    align-items: center;
  }

  .controls button,
  .controls select {
    font: inherit;
    min-height: 44px;
    min-width: 44px;
    padding: 0 12px;
    border-radius: 8px;
    border: 1px solid var(--sam2-control-border, #98a2b3);
    background: var(--sam2-control-background, #fff);
    color: var(--sam2-control-color, #1b1f24);
    cursor: pointer;
  }

  .controls button[aria-pressed='true'] {
    /* 5.9:1 against white text (WCAG AA). */
    background: var(--sam2-control-active-background, #0b5cad);
    border-color: var(--sam2-control-active-background, #0b5cad);
    color: var(--sam2-control-active-color, #fff);
  }

  .controls button:disabled {
    opacity: 0.45;
    cursor: default;
  }

  .controls button:focus-visible,
  .controls select:focus-visible {
    outline: var(--sam2-focus-ring, 2px solid #1e90ff);
    outline-offset: 2px;
  }

  .object {
    display: inline-flex;
    align-items: center;
    gap: 6px;
  }

  .swatch {
    width: 14px;
    height: 14px;
    border-radius: 50%;
    border: 1px solid rgba(0, 0, 0, 0.3);
  }
`;
