// JSX types for <sam2-segmenter> in React 19, which sets custom-element props as properties when the element has one
// (so `source`, `model` and the rest take their typed values) and adds `on<event-name>` props as listeners of that
// exact event name (`onmask-change` listens to `mask-change`).
//
// Opt in once, e.g. in a .d.ts of your app or beside your first import of the element:
//   import type {} from 'sam2-segmenter/react';
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type {
  Sam2ErrorEvent,
  Sam2ImageEncodedEvent,
  Sam2MaskChangeEvent,
  Sam2ModelProgressEvent,
  Sam2ReadyEvent,
  Sam2SegmenterElement,
  Sam2TrackEndEvent,
  Sam2TrackFrameEvent,
} from '../dist/types/index.js';

type ElementProps = Partial<
  Pick<
    Sam2SegmenterElement,
    | 'src'
    | 'source'
    | 'model'
    | 'device'
    | 'mode'
    | 'label'
    | 'wasmPaths'
    | 'workerUrl'
    | 'loading'
    | 'fps'
    | 'dtype'
    | 'noCache'
    | 'persistStorage'
    | 'tool'
    | 'controls'
    | 'strings'
  >
>;

/** Props of `<sam2-segmenter>` in JSX: the element's properties and its events as `on<event-name>`. */
export interface Sam2SegmenterJSXProps
  extends Omit<DetailedHTMLProps<HTMLAttributes<Sam2SegmenterElement>, Sam2SegmenterElement>, 'onError'>, ElementProps {
  onready?: (event: Sam2ReadyEvent) => void;
  'onmodel-progress'?: (event: Sam2ModelProgressEvent) => void;
  'onmask-change'?: (event: Sam2MaskChangeEvent) => void;
  'onimage-encoded'?: (event: Sam2ImageEncodedEvent) => void;
  'ontrack-frame'?: (event: Sam2TrackFrameEvent) => void;
  'ontrack-end'?: (event: Sam2TrackEndEvent) => void;
  onerror?: (event: Sam2ErrorEvent) => void;
}

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'sam2-segmenter': Sam2SegmenterJSXProps;
    }
  }
}
