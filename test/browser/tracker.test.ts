// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the canonical four-graph twin (sam2-video-4g/1),
// first half (the long clips of this layout do not fit one runner time box together).
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('4g', 1);
