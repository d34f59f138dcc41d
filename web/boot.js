// boot.js - the first module of the agents' app. It imports only small
// modules, so it runs as soon as the page is parsed, and asks at once
// for what the first view needs: the live updates, the session and, when
// the route is a view of the queue, the first page of its list. Then it
// loads the app (app.js), whose modules index.html has preloaded in the
// meantime; the app takes those answers instead of asking again.
//
// The live stream is opened before the list is asked for, as the app
// always did, so no change made after the list was read goes unseen; and
// an event that arrives before the list was taken drops it (it is asked
// for again). Without a session both answer 401 and the app shows the
// sign-in form, which stops the stream.

import * as api from './api.js';
import * as live from './live.js';
import { firstListPath } from './queue.js';

live.start(document.getElementById('live-state'));
live.subscribe(() => api.dropEarly());

// {agent} (null when not signed in) or {error}.
export const session = api.restoreSession().then((agent) => ({ agent }),
	(error) => ({ error }));

const first = firstListPath(location.hash);
if (first)
	api.prefetch(first);

import('./app.js').catch((e) => {
	// the page may have come with the app shown (rows drawn by tamed)
	document.getElementById('app').hidden = true;
	document.getElementById('login').hidden = false;
	document.getElementById('login-error').textContent =
		'Tame could not load: ' + e.message;
});
