// Zero configuration: Vite bundles the worker and emits onnxruntime-web's files and the twin model from the package's
// `new URL(…, import.meta.url)` references.
import 'sam2-segmenter';

const seg = document.querySelector('sam2-segmenter')!; // typed: Sam2SegmenterElement
const status = document.querySelector('output')!;
seg.addEventListener('ready', (e) => (status.value = `ready on ${e.detail.backend}`));
seg.addEventListener('error', (e) => (status.value = `error ${e.detail.code}: ${e.detail.message}`));
seg.addEventListener('mask-change', (e) => (status.value = `mask of ${e.detail.mask.area} px`));
