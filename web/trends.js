// trends.js - tickets about the same problem, grouped by tamed: a strip
// above the inbox (label, open tickets, growth), the head of a trend's
// own view, and "reply to all" - one text, personalised, sent to each
// customer in their own thread, after a preview of who gets it.
//
// Model: GET /trends and GET /trends/ID; when this tamed has no trends
// (404) or is still building them (503), the strip stays empty.

import * as api from './api.js';
import { h, fill, toast, warn } from './dom.js';

const STRIP_MAX = 6;

function growth(t) {
	const g = t.growth || {};
	const up = g.rising || (g.ratio || 0) >= 2;
	return h('span', {
		className: 'growth' + (up ? ' up' : ''),
		title: (g.last_hour || 0) + ' in the last hour, ' +
			(g.last_day || 0) + ' in the last day' +
			(g.usual_per_hour !== undefined ? ', usually ' +
				g.usual_per_hour + ' an hour' : ''),
	}, (up ? '↑ ' : '+') + (g.last_day || 0) + ' today');
}

// Fills el with the trends worth a look; el stays hidden without any.
export async function strip(el) {
	let list;
	try {
		list = (await api.get('/trends?limit=' + STRIP_MAX)).trends;
	} catch (e) {
		el.hidden = true;
		return;
	}
	el.hidden = !list.length;
	fill(el, h('span', { className: 'nav-title' }, 'Trends'),
		list.map((t) => h('a', {
			href: '#/trend/' + t.id, className: 'trend',
			'aria-label': 'Trend ' + t.label.text + ', ' + t.open_count +
				' open tickets',
		}, h('span', { className: 'label' }, t.label.text),
		h('span', { className: 'n' }, t.open_count), growth(t))));
}

// The head of a trend's view; null when the trend is unknown.
export async function head(id, onReply) {
	let t;
	try {
		t = (await api.get('/trends/' + id)).trend;
	} catch (e) {
		return null;
	}
	return h('div', { className: 'trend-head' },
		h('span', { className: 'muted' }, t.open_count + ' open'), growth(t),
		h('button', { type: 'button', className: 'primary', id: 'reply-all',
			'aria-keyshortcuts': 'Shift+R', onclick: onReply },
		'Reply to all…'));
}

// The mass reply to trend id: preview, exclusions, send to the
// customers shown (ticket_ids), not to whoever joined the trend since.
export async function replyAll(id) {
	let first;
	try {
		first = await api.post('/trends/' + id + '/reply',
			{ text: '{{customer.first_name}}', preview: true });
	} catch (e) {
		warn('Cannot answer this trend: ' + e.message);
		return null;
	}
	const rcpt = (list) => list.map((r) => ({ ticket_id: r.ticket_id,
		subject: r.subject, name: r.customer && r.customer.name,
		email: r.customer && r.customer.email, text: r.text }));
	let bulk;
	try {
		bulk = await import('./bulk.js');
	} catch (e) {
		warn('Cannot answer this trend: ' + e.message);
		return null;
	}
	const body = await bulk.replyDialog({
		title: 'Reply to everyone in this trend',
		recipients: rcpt(first.recipients).map((r) => ({ ...r, text: null })),
		preview: async (b) => rcpt((await api.post('/trends/' + id +
			'/reply', { ...b, exclude: [], ticket_ids: undefined,
			preview: true })).recipients),
	});
	if (!body)
		return null;
	let r;
	try {
		r = await api.postOnce('/trends/' + id + '/reply', body);
	} catch (e) {
		warn('Nothing was sent: ' + e.message);
		return null;
	}
	toast(r.count + ' customer' + (r.count === 1 ? '' : 's') +
		' answered' + (r.failed && r.failed.length ? ', ' + r.failed.length +
		' failed' : '') + (r.excluded.length ? ', ' + r.excluded.length +
		' left out' : '') + '.', { kind: r.failed && r.failed.length ?
		'bad' : '' });
	return r;
}
