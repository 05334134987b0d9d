// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the layout A twin (sam2.1-video-twin-a: fixed bank,
// S = 1024), first half (the whole suite does not fit one runner time box on this layout).
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('A', 1);
