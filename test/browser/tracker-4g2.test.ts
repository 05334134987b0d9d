// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the canonical four-graph twin, second half.
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('4g', 2);
