// run.mjs - the browser tests of the web app, in Debian's chromium: one
// tamed (own data directory, free loopback ports, an SMTP sink as its
// relay) and one chromium serve every test file (fixture.mjs); each test
// sends the mail it needs. Run: node run.mjs (TAME_BUILD names the build
// directory; TAME_SCREENSHOTS=DIR also saves the screenshots to DIR).

import './fixture.mjs';
import './basics.mjs';
import './admin.mjs';
import './many.mjs';
import './mass.mjs';
import './compose.mjs';
import './original.mjs';
import './spoof.mjs';
import './inline.mjs';
import './keyboard.mjs';
import './finding.mjs';
import './time.mjs';
import './outliers.mjs';
import './trends.mjs';
import './scale.mjs';
import './live.mjs';
import './shots.mjs';
