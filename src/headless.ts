// `sam2-segmenter/headless`: the page-side API without the element. Importing it defines no custom element and
// loads neither Lit nor onnxruntime-web (those live in the element and in the worker).
export * from './client/index.js';
