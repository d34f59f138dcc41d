// live.js - live updates from tamed: GET /api/v1/events as server-sent
// events. The browser's EventSource reconnects by itself and sends
// Last-Event-ID, so a short outage loses nothing; after a long one (or a
// restart of tamed) the server says "reset" and the views reload.
//
// Events reach listeners as {type: 'ticket.created' | 'ticket.updated' |
// 'reset', ticketId}.

let source = null;
const listeners = new Set();
let stateEl = null;

function setState(s) {
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

export function start(indicator) {
	stateEl = indicator;
	if (source)
		return;
	source = new EventSource('/api/v1/events');
	source.onopen = () => setState('on');
	source.onerror = () => setState('off');
	for (const type of ['ticket.created', 'ticket.updated', 'reset'])
		source.addEventListener(type, (e) => emit(type, e.data));
}

export function stop() {
	if (source)
		source.close();
	source = null;
	setState('off');
}

export function subscribe(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}
