// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the layout A (sam2.1-video-twin-a: fixed bank, S = 1024) twin.
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('A');
