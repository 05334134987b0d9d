// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the layout A twin, second half.
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('A', 2);
