// webpack 5 with no loaders or rules: it bundles the worker from `new Worker(new URL(…))` and emits the runtime files
// and the twin model as asset modules.
import 'sam2-segmenter';

const seg = document.querySelector('sam2-segmenter');
const status = document.getElementById('status');
seg.addEventListener('ready', (e) => (status.value = `ready on ${e.detail.backend}`));
seg.addEventListener('error', (e) => (status.value = `error ${e.detail.code}: ${e.detail.message}`));
seg.addEventListener('mask-change', (e) => (status.value = `mask of ${e.detail.mask.area} px`));
