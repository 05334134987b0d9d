// Shadow styles of <sam2-segmenter>.
import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
    position: relative;
    box-sizing: border-box;
    max-width: 100%;
    vertical-align: top;
    -webkit-tap-highlight-color: transparent;
  }

  :host([hidden]) {
    display: none;
  }

  .stage {
    position: relative;
    width: 100%;
    height: 100%;
    outline: none;
    /* Touch: a swipe scrolls the page and a pinch zooms it (for precise points on a small screen); a tap is a
       point and a long press the opposite label. The box tool takes one-finger drags for itself. */
    touch-action: pan-x pan-y pinch-zoom;
    user-select: none;
    -webkit-user-select: none;
    cursor: crosshair;
  }

  :host([mode='box']) .stage,
  :host([tool='box']) .stage {
    touch-action: pinch-zoom;
  }

  :host([mode='hover']) .stage {
    cursor: pointer;
  }

  .stage:focus-visible {
    outline: var(--sam2-focus-ring, 2px solid #1e90ff);
    outline-offset: 2px;
  }

  [part='media'] {
    display: block;
    width: 100%;
    height: 100%;
    max-width: 100%;
    object-fit: contain;
    -webkit-user-drag: none;
    pointer-events: none;
  }

  [part='overlay'] {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    pointer-events: none;
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
`;
