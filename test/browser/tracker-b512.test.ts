// The video tracker's behaviour suite (helpers/tracker-suite.ts) on the layout B (sam2.1-video-twin-b512: fixed bank, S = 512, fp16 inside) twin.
import { trackerSuite } from './helpers/tracker-suite.js';

trackerSuite('B512');
