// notify.js - the notifications indicator: how many unread
// notifications (mentions, followed tickets, assignments) the agent
// has, and the list of them, each opening its ticket.
//
// Model: GET /notifications answers the list and the unread count; it
// is asked again after live events (debounced) and every minute. When
// this tamed has no such endpoint the bell stays hidden.

import * as api from './api.js';
import { h, fill, ago, modal, warn, plural } from './dom.js';

const POLL_MS = 60000;
const KINDS = {
	'mention': 'mentioned you',
	'follower.added': 'added you as a follower',
	'ticket.assigned': 'assigned you',
	'message.received': 'new customer message',
	'reply.sent': 'replied',
	'note.added': 'added a note',
	'ticket.updated': 'changed the ticket',
	'ticket.merged': 'merged the ticket',
	'reply.bounced': 'a reply bounced',
	'reply.failed': 'a reply could not be delivered',
};

let bell = null;
let ctx = null;
let last = null;
let timer = null;
let poll = null;
let absent = false;

async function refresh() {
	if (!bell || absent)
		return;
	try {
		last = await api.get('/notifications?limit=30');
	} catch (e) {
		if (api.missing(e)) {
			absent = true;
			bell.hidden = true;
		}
		return;
	}
	bell.hidden = false;
	const n = last.unread || 0;
	bell.classList.toggle('unread', n > 0);
	bell.setAttribute('aria-label', plural(n, 'unread notification') +
		' (N)');
	bell.title = bell.getAttribute('aria-label');
	fill(bell, n ? h('span', 'badge', n > 99 ? '99+' : n) :
		null);
}

export function start(c, el) {
	ctx = c;
	bell = el;
	bell.onclick = open;
	refresh();
	clearInterval(poll);
	poll = setInterval(refresh, POLL_MS);
}

export function stop() {
	clearInterval(poll);
	if (bell)
		bell.hidden = true;
}

export function onLive() {
	clearTimeout(timer);
	timer = setTimeout(refresh, 500);
}

export async function open() {
	if (!bell || bell.hidden)
		return;
	await refresh();
	const list = (last && last.notifications) || [];
	const items = list.map((n) => h('li', n.read ? '' :
		'unread', h('button', { className: 'link',
		onclick: (e) => e.target.closest('dialog').done(n) },
	(n.actor ? n.actor.name + ' ' : '') + (KINDS[n.kind] || n.kind),
	n.ticket ? ': #' + n.ticket.id + ' ' + (n.ticket.subject || '') : ''),
	h('span', 'muted', ' ' + ago(n.created_at))));
	const r = await modal('Notifications', items.length ?
		h('ul', 'notes-list', items) :
		h('p', 'muted', 'Nothing new.'),
	last && last.unread ? [{ label: 'Mark all read', value: 'read' }] : []);
	if (r && r.id) {
		api.post('/notifications/read', { ids: [r.id] }).then(refresh,
			() => {});
		if (r.ticket)
			ctx.navigate('#/t/' + r.ticket.id);
	} else if (r === 'read') {
		try {
			await api.post('/notifications/read', {});
		} catch (e) {
			warn(e.message);
		}
		refresh();
	}
}
