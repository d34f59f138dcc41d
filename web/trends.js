// trends.js - tickets about the same problem, grouped by tamed: a strip
// above the inbox (the rising trends first, then those with the most
// tickets to answer; label, how many to answer of how many open,
// growth) with a link to every trend (#/trends, trend_manage.js), the
// head of a trend's view with what an agent does to it, and "reply to
// all" - one text, personalised, sent to each customer in their own
// thread, after a preview of who gets it.
//
// Model: GET /trends and GET /trends/ID; when this tamed has no trends
// (404) or is still building them (503), the strip stays empty. What
// changes a trend (rename, merge, move out) is in trend_manage.js,
// loaded when first used.

import * as api from './api.js';
import { h, fill, ago, toast, warn, modal, plural } from './dom.js';
import { pages, listPath } from './queue.js';

const STRIP_MAX = 6;
// Younger than this, a trend has no usual rate to compare with: what it
// did so far is the burst itself.
const USUAL_AFTER_MS = 2 * 24 * 3600 * 1000;

function usual(perHour) {
	return perHour >= 1 ? Math.round(perHour * 10) / 10 + ' an hour' :
		perHour * 24 >= 1 ? 'about ' + Math.round(perHour * 24) + ' a day' :
			'less than one a day';
}

// The growth of trend t: "↑ 161 today" (rising) or "+3 today", with
// the counts behind it on hover.
export function growth(t, now = Date.now()) {
	const g = t.growth || {};
	const up = g.rising || (g.ratio || 0) >= 2;
	// without a first_seen (or one that is no date) the tooltip says
	// nothing of it rather than "first seen NaN ago"
	const seen = t.first_seen ? Date.parse(t.first_seen) : NaN;
	const since = isNaN(seen) ? '' : ago(t.first_seen, now);
	const young = since !== '' && now - seen < USUAL_AFTER_MS;
	return h('span', {
		className: 'growth' + (up ? ' up' : ''),
		title: (g.last_hour || 0) + ' in the last hour, ' +
			(g.last_day || 0) + ' in the last day' + (young ?
			'; new: first seen ' + (since === 'now' ? 'just now' : since +
				' ago') : g.usual_per_hour !== undefined ? ', usually ' +
				usual(g.usual_per_hour) : ''),
	}, (up ? '↑ ' : '+') + (g.last_day || 0) + ' today');
}

// How many of trend t's open tickets are still to answer (a tamed
// without to_answer: all).
export const left = (t) => t.to_answer === undefined ? t.open_count :
	t.to_answer;

// How many of trend t's open tickets are still to answer (the others
// wait on their customer): "161 to answer", "2 to answer · 161" (unit
// after the total).
export function toAnswer(t, unit = '') {
	const n = left(t);
	return n === t.open_count ? n + ' to answer' : (n ? n + ' to answer' :
		'all answered') + ' · ' + t.open_count + unit;
}

// The same, in words for a screen reader.
export function toAnswerSaid(t) {
	return left(t) + ' of ' + t.open_count + ' open tickets to answer' +
		((t.growth || {}).rising ? ', rising' : '');
}

// Fills el with the trends worth a look; el stays hidden without any.
export async function strip(el) {
	let r;
	try {
		r = await api.get('/trends?sort=rising&limit=' + STRIP_MAX);
	} catch (e) {
		el.hidden = true;
		return;
	}
	const list = r.trends;
	const total = r.total === undefined ? list.length : r.total;
	el.hidden = !list.length;
	fill(el, h('span', 'nav-title', 'Trends'),
		list.map((t) => h('a', {
			href: '#/trend/' + t.id, className: 'trend',
			'aria-label': 'Trend ' + t.label.text + ', ' + toAnswerSaid(t),
		}, h('span', 'label', t.label.text),
		h('span', 'n', toAnswer(t)), growth(t))),
		total > list.length ? h('a', { href: '#/trends',
			className: 'all-trends small' }, 'All ' + total + ' trends') :
			null);
}

// What run(m) answers, m being trend_manage.js (loaded when first
// used): what changed, or null.
export async function manage(run) {
	let m;
	try {
		m = await import('./trend_manage.js');
	} catch (e) {
		warn('Could not load this: ' + e.message);
		return null;
	}
	return run(m);
}

// The head of trend t's view: how many to answer, growth, and what an
// agent does to it; changed() runs after a change, onReply is Reply to
// all.
export function head(t, onReply, changed) {
	const act = (run) => () => manage(run).then((r) => r && changed());
	return h('div', 'trend-head',
		h('span', { className: 'muted answer', 'aria-label':
			toAnswerSaid(t) }, toAnswer(t, ' open')), growth(t),
		h('button', { className: 'small', id: 'trend-rename',
			onclick: act((m) => m.rename(t)) }, 'Rename…'),
		h('button', { className: 'small', id: 'trend-merge',
			onclick: act((m) => m.mergeIn(t)) }, 'Merge a trend in…'),
		h('button', { className: 'primary', id: 'reply-all',
			'aria-keyshortcuts': 'Shift+R', onclick: onReply },
		'Reply to all…'));
}

// The mass reply to trend id: preview, exclusions, send to the
// customers shown (ticket_ids), not to whoever joined the trend since.
// Those answered lately start unchecked (bulk.js); the send waits the
// seconds of Undo, which opens the dialog again with what was written.
// The latest preview is the point the agent looks from
// (since_event_id): tamed leaves out whoever is answered, solved,
// closed or merged after it.
export async function replyAll(id) {
	let first, bulk;
	try {
		first = await api.post('/trends/' + id + '/reply',
			{ text: 'Hi {{customer.first_name}},', preview: true });
		bulk = await import('./bulk.js');
	} catch (e) {
		if (e.code === 'too_many')
			return splitOff(id);
		warn('Cannot answer this trend: ' + e.message);
		return null;
	}
	let since = first.since_event_id || null;
	const names = new Map(first.recipients.map((r) => [r.ticket_id,
		r.customer && (r.customer.name || r.customer.email)]));
	const rcpt = (list) => list.map((r) => ({ ...r,
		name: r.customer && r.customer.name,
		email: r.customer && r.customer.email }));
	let body = null;
	for (;;) {
		body = await bulk.replyDialog({
			title: 'Reply to everyone in this trend', again: body,
			recipients: rcpt(first.recipients).map((r) => ({ ...r,
				text: null, already_sent: null })),
			preview: async (b) => {
				const p = await api.post('/trends/' + id + '/reply',
					{ ...b, exclude: [], ticket_ids: undefined,
						preview: true });
				since = p.since_event_id || since;
				return rcpt(p.recipients);
			},
		});
		if (!body)
			return null;
		const r = await bulk.hold('the reply to ' +
			plural(body.ticket_ids.length, 'customer'), () => send(id, since ?
			{ ...body, since_event_id: since } : body,
			(left) => bulk.leftOut(left, names)));
		if (r !== bulk.UNDONE)
			return r;
	}
}

// Trend id, too large for one reply (tamed answers 2,000 open tickets
// at most): after asking, the 2,000 of its tickets waiting longest go
// into a trend of their own (POST /trends/ID/split), which is answered
// then; the others stay, for the next reply.
async function splitOff(id) {
	if (!await modal('Answer this trend in parts', h('p', {}, 'One reply ' +
		'reaches 2,000 customers at most. Split off the 2,000 waiting ' +
		'longest into a trend of their own and answer them now? The ' +
		'others stay here.'),
	[{ label: 'Split off and answer', primary: true, value: true }]))
		return null;
	let r;
	try {
		const p = await pages(api.get, (n, c) => listPath({ status:
			'new,open,pending', trend: id }, 'oldest', 'any', '', n, c),
		2000);
		r = await api.post('/trends/' + id + '/split',
			{ ticket_ids: p.tickets.map((t) => t.id) });
	} catch (e) {
		warn('Not split: ' + e.message);
		return null;
	}
	return replyAll(r.trend.id);
}

// POSTs the mass reply body to trend id; says how it went (said: the
// words for those tamed left out, bulk.leftOut).
async function send(id, body, said) {
	let r;
	try {
		r = await api.postOnce('/trends/' + id + '/reply', body);
	} catch (e) {
		warn('Nothing was sent: ' + e.message);
		return null;
	}
	const had = (r.already_sent || []).length;
	toast(plural(r.count, 'customer') + ' answered' + (r.failed && r.failed.length ? ', ' + r.failed.length +
		' failed' : '') + (r.excluded.length ? ', ' + r.excluded.length +
		' left out' : '') + (had ? ', ' + had + ' not again: they had ' +
		'this very text already' : '') + said(r.skipped) + '.',
	{ kind: r.failed && r.failed.length ? 'bad' : '',
		timeout: r.skipped && r.skipped.length ? 10000 : 4000 });
	return r;
}
