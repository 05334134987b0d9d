// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the canonical four-graph (sam2-video-4g/1) twin.
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('4g');
