// Minimal Lit hosts for controller tests: each builds only the controllers under test on a plain stage (an <img> or
// <canvas> as media, and the overlay canvas), so a controller's behaviour is seen without the element around it.
import { LitElement, css, html } from 'lit';
import { EngineController } from '../../../src/components/controllers/engine-controller.js';
import { MediaController, type Sam2SegmenterSource } from '../../../src/components/controllers/media-controller.js';
import { OverlayController } from '../../../src/components/controllers/overlay-controller.js';
import type { SegmenterOptions } from '../../../src/client/segmenter.js';

const stageStyles = css`
  :host {
    display: block;
    position: relative;
    width: 320px;
    height: 240px;
  }
  [part='media'],
  [part='overlay'] {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: contain;
  }
`;

/** A host with a media and an overlay controller, recording what the media controller reports. */
export class MediaHost extends LitElement {
  static override styles = stageStyles;
  static override properties = { src: { type: String }, source: { attribute: false } };
  declare src: string | undefined;
  declare source: Sam2SegmenterSource | null | undefined;
  readonly calls: string[] = [];
  readonly overlay = new OverlayController(this, () => ({
    media: this.renderRoot?.querySelector<HTMLElement>('[part="media"]') ?? null,
    overlay: this.renderRoot?.querySelector<HTMLCanvasElement>('[part="overlay"]') ?? null,
  }));
  readonly media = new MediaController(this, {
    input: () => ({ source: this.source ?? null, src: this.src }),
    overlay: this.overlay,
    busy: () => false,
    willChange: (why) => this.calls.push(`willChange:${why}`),
    changed: (decoding, time) => {
      // Tests read rejections from `media.decoding` themselves.
      decoding.catch(() => undefined);
      this.calls.push(time === undefined ? 'changed' : `changed:${time}`);
    },
  });

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('src') || changed.has('source')) this.media.load();
  }

  protected override render() {
    const url = this.media.objectUrl;
    return html`${url === null ? html`<canvas part="media"></canvas>` : html`<img part="media" src=${url} alt="" />`}
      <canvas part="overlay"></canvas>`;
  }
}
customElements.define('test-media-host', MediaHost);

/** A host with only an engine controller, on the options given. */
export class EngineHost extends LitElement {
  static override properties = { loading: { type: String } };
  declare loading: string;
  options: SegmenterOptions = { device: 'wasm' };
  readonly events: string[] = [];
  readonly engine = new EngineController(this, {
    options: () => this.options,
    loading: () => this.loading,
    onReady: (info) => this.events.push(`ready:${info.backend}`),
    onProgress: () => undefined,
    onError: (e) => this.events.push(`error:${(e as { code?: string }).code}`),
  });

  constructor() {
    super();
    this.loading = 'lazy';
  }
}
customElements.define('test-engine-host', EngineHost);
