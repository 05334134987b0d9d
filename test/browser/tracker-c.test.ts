// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the layout C (edgetam-video-twin-c: dynamic memory) twin.
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('C');
