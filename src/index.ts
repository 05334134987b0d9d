// The package entry (dist/sam2-segmenter.js): importing it registers <sam2-segmenter>; it also re-exports the
// headless API (sam2-segmenter/headless) for hosts that draw their own UI.
export * from './components/sam2-segmenter.js';
export * from './headless.js';
