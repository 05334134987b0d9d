// Served from the page's own origin: the worker runs this module, which loads the real one from the CDN.
import 'https://cdn.jsdelivr.net/npm/sam2-segmenter@0.1.0/dist/sam2.worker.js';
