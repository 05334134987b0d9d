const seg = document.querySelector('sam2-segmenter');
const status = document.getElementById('status');
seg.addEventListener('ready', (e) => (status.value = `ready on ${e.detail.backend}`));
seg.addEventListener('error', (e) => (status.value = `error ${e.detail.code}: ${e.detail.message}`));
seg.addEventListener('mask-change', (e) => (status.value = `mask of ${e.detail.mask.area} px`));
