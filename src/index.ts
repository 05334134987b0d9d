// The package entry (dist/sam2-segmenter.js): importing it registers <sam2-segmenter>; it also exports the
// element class, the mask object and the headless engine API for hosts that draw their own UI.
export * from './components/sam2-segmenter.js';
export { Sam2Mask } from './components/mask.js';
export type { CutoutOptions, MaskPolygonOptions, Sam2MaskSource } from './components/mask.js';
export { trackVideo } from './components/tracking-session.js';
export type {
  TrackExport,
  TrackFrame,
  TrackFramePrompt,
  TrackMode,
  TrackOptions,
  TrackSource,
  TrackSummary,
  TrackedObject,
  TrackingSession,
} from './components/tracking-session.js';
export * from './engine/index.js';
