// The element's own states over the stage: loading (one overall progress figure, then compile), error (the message
// and a retry), and empty (no media). Each is a part with a default look, styleable through CSS properties and
// replaceable through a named slot (`loading`, `error`, `empty`); the host's `state` attribute says which shows.
import { css, html, nothing, type TemplateResult } from 'lit';
import { cssomStyle } from './cssom-style.js';
import type { OverallProgress } from './load-progress.js';
import type { Sam2SegmenterStrings } from './strings.js';

/** What the element shows over its stage. */
export type Sam2SegmenterState = 'empty' | 'loading' | 'error' | 'ready';

/** The state layer for `state`; nothing when ready. */
export function renderState(
  state: Sam2SegmenterState,
  text: Sam2SegmenterStrings,
  progress: OverallProgress,
  error: { code: string; message: string } | null,
  retry: () => void,
): TemplateResult | typeof nothing {
  if (state === 'loading') {
    const fraction = progress.phase === 'compile' ? 1 : progress.fraction;
    const label =
      progress.phase === 'compile' ? text.compiling : text.loading(progress.fraction, progress.loaded, progress.total);
    return html`<div class="state" part="state loading">
      <slot name="loading">
        <div class="state-box">
          <div
            class="progress"
            part="progress"
            role="progressbar"
            aria-label=${label}
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=${fraction === null ? nothing : Math.round(fraction * 100)}
          >
            <div
              class="progress-bar ${fraction === null ? 'indeterminate' : ''}"
              part="progress-bar"
              ${cssomStyle({ width: `${fraction === null ? 30 : fraction * 100}%` })}
            ></div>
          </div>
          <span part="state-text">${label}</span>
        </div>
      </slot>
    </div>`;
  }
  if (state === 'error') {
    return html`<div class="state" part="state error">
      <slot name="error">
        <div class="state-box" role="alert">
          <strong part="state-title">${text.errorTitle}</strong>
          <span part="state-text">${error?.message ?? ''}</span>
          <button type="button" part="retry" @click=${retry}>${text.retry}</button>
        </div>
      </slot>
    </div>`;
  }
  if (state === 'empty') {
    return html`<div class="state" part="state empty">
      <slot name="empty"><span part="state-text">${text.empty}</span></slot>
    </div>`;
  }
  return nothing;
}

/** Styles of the state layer. */
export const stateStyles = css`
  :host([state='empty']) .stage {
    min-width: var(--sam2-empty-min-width, 240px);
    min-height: var(--sam2-empty-min-height, 160px);
  }

  .state {
    position: absolute;
    inset: 0;
    display: grid;
    place-items: center;
    padding: 12px;
    box-sizing: border-box;
    background: var(--sam2-state-background, rgba(16, 24, 40, 0.55));
    color: var(--sam2-state-color, #fff);
    font: var(--sam2-state-font, 14px/1.4 system-ui, sans-serif);
    text-align: center;
  }

  .state[part~='empty'] {
    background: var(--sam2-empty-background, repeating-conic-gradient(#eaecf0 0 25%, #f9fafb 0 50%) 0 0 / 20px 20px);
    color: var(--sam2-empty-color, #475467);
  }

  .state-box {
    display: grid;
    gap: 8px;
    justify-items: center;
    max-width: min(90%, 360px);
    overflow-wrap: anywhere;
  }

  .progress {
    width: min(240px, 70vw);
    height: 6px;
    border-radius: 3px;
    overflow: hidden;
    background: var(--sam2-progress-track, rgba(255, 255, 255, 0.3));
  }

  .progress-bar {
    height: 100%;
    background: var(--sam2-progress-color, #fff);
    transition: width 0.2s linear;
  }

  .progress-bar.indeterminate {
    animation: sam2-indeterminate 1.2s ease-in-out infinite alternate;
  }

  @keyframes sam2-indeterminate {
    from {
      transform: translateX(-20%);
    }
    to {
      transform: translateX(250%);
    }
  }

  @media (prefers-reduced-motion: reduce) {
    .progress-bar,
    .progress-bar.indeterminate {
      transition: none;
      animation: none;
    }
  }

  [part='retry'] {
    font: inherit;
    padding: 6px 14px;
    border-radius: 6px;
    border: 1px solid currentColor;
    background: var(--sam2-button-background, #fff);
    color: var(--sam2-button-color, #1b1f24);
    cursor: pointer;
  }
`;
