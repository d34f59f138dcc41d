// live.js - live updates from tamed: GET /api/v1/events as server-sent
// events. The browser's EventSource reconnects by itself and sends
// Last-Event-ID, so a short outage loses nothing; after a long one (or a
// restart of tamed) the server says "reset" and the views reload.
//
// One stream for all tabs: over HTTP/1.1 a browser opens at most six
// connections to a host, and an open stream holds one for good, so six
// tabs of the app (an agent opening tickets in new tabs) would leave no
// connection for anything else and every tab would hang. So the tabs of
// this origin elect one of them with a Web Lock; that tab alone holds
// the stream and passes each event and its own state to the others on
// a BroadcastChannel. When it closes (or signs out) its lock is
// released and the next tab in line opens the stream, resuming after the
// last event id it heard (?last_event_id=). Where Web Locks are missing
// (not a secure context) each tab opens a stream of its own, as before.
//
// Events reach listeners as {type: 'ticket.created' | 'ticket.updated' |
// 'reset', ticketId}.

const TYPES = ['ticket.created', 'ticket.updated', 'reset'];
const LOCK = 'tame-live';

const shared = typeof BroadcastChannel === 'function' &&
	typeof navigator !== 'undefined' && navigator.locks &&
	typeof navigator.locks.request === 'function';

let started = false;
let source = null;    // this tab's stream, when it holds one
let channel = null;   // to the other tabs of this origin
let waiting = null;   // aborts this tab's place in line for the lock
let release = null;   // gives the lock up
let lastId = '';      // the newest event id heard, for a takeover
let state = 'off';
const listeners = new Set();
let stateEl = null;

function setState(s) {
	state = s;
	if (!stateEl)
		return;
	stateEl.className = 'live ' + s;
	stateEl.title = s === 'on' ? 'Live updates on' :
		'Live updates reconnecting';
	stateEl.setAttribute('aria-label', stateEl.title);
}

function emit(type, data) {
	let ticketId = null;
	try {
		ticketId = JSON.parse(data || '{}').ticket_id || null;
	} catch (e) {
		return;
	}
	for (const fn of listeners)
		fn({ type, ticketId });
}

// This tab's state, told to the others when it holds the stream.
function announce(s) {
	setState(s);
	if (channel)
		channel.postMessage({ kind: 'state', state: s });
}

function open() {
	source = new EventSource('/api/v1/events' + (lastId ?
		'?last_event_id=' + encodeURIComponent(lastId) : ''));
	source.onopen = () => announce('on');
	source.onerror = () => announce('off');
	for (const type of TYPES)
		source.addEventListener(type, (e) => {
			if (e.lastEventId)
				lastId = e.lastEventId;
			if (channel)
				channel.postMessage({ kind: 'event', type, data: e.data,
					id: e.lastEventId });
			emit(type, e.data);
		});
}

function hear({ data: m }) {
	if (!m || typeof m !== 'object')
		return;
	if (m.kind === 'event' && !source) {
		if (m.id)
			lastId = String(m.id);
		emit(m.type, m.data);
	} else if (m.kind === 'state' && !source) {
		setState(m.state === 'on' ? 'on' : 'off');
	} else if (m.kind === 'hello' && source) {
		channel.postMessage({ kind: 'state', state });
	}
}

// Waits in line for the lock; holds the stream while it has it, until
// stop() releases it.
function queue() {
	const ctl = new AbortController();
	waiting = ctl;
	navigator.locks.request(LOCK, { signal: ctl.signal }, () => {
		if (waiting !== ctl)
			return null;
		waiting = null;
		open();
		return new Promise((resolve) => { release = resolve; });
	}).catch(() => {});
}

export function start(indicator) {
	stateEl = indicator;
	setState(state);
	if (started)
		return;
	started = true;
	if (!shared) {
		open();
		return;
	}
	channel = new BroadcastChannel(LOCK);
	channel.onmessage = hear;
	channel.postMessage({ kind: 'hello' });
	queue();
}

export function stop() {
	started = false;
	if (waiting)
		waiting.abort();
	waiting = null;
	if (source)
		source.close();
	source = null;
	if (release)
		release();
	release = null;
	if (channel)
		channel.close();
	channel = null;
	setState('off');
}

export function subscribe(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}
