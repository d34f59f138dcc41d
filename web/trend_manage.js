// trend_manage.js - what an agent does to trends, beside what trends.js
// shows: rename one, merge another into it (picked from every trend,
// the most alike first), move tickets out of it (from the ticket page's
// trend chip, or the rows selected in a trend's view); and the list of
// every trend (#/trends), which the strip's "All N trends" opens.
//
// Model: PATCH /trends/ID, POST /trends/ID/merge, POST
// /tickets/ID/trend/remove, GET /trends/ID/similar, and GET /trends
// without samples (every trend in one answer, a few hundred bytes
// each). tamed keeps every decision and its grouping never undoes one:
// a merged trend's address leads to the trend it went into, a ticket
// moved out is never grouped back into that trend. Each action answers
// what changed (null when nothing did); the caller draws again.

import * as api from './api.js';
import { h, fill, ago, toast, modal, field, warn, fuzzy, picker,
	menuButton, plural } from './dom.js';
import { growth, toAnswer, toAnswerSaid, left } from './trends.js';

// Trends one answer of GET /trends holds without their samples.
const ALL_MAX = 5000;
// Trends the merge picker draws at once (typing narrows them).
const PICK_SHOWN = 100;
// Rows the list of trends draws before "Show all": the first are the
// ones that matter (rising, most to answer), and a desk's 2,000 rows
// take a browser a few hundred milliseconds; a search finds the rest.
const LIST_SHOWN = 200;

// A trend's label: a trend's object has {text}, a ticket's trend a string.
const labelOf = (t) => typeof t.label === 'string' ? t.label : t.label.text;

// Names trend t, or gives it back its automatic name; the trend as
// changed, or null.
export async function rename(t) {
	const auto = (t.label.words || []).join(', ');
	const input = h('input', { id: 'trend-name', autocomplete: 'off',
		maxLength: 200, value: t.label.named ? t.label.text : '',
		placeholder: auto });
	const v = await modal('Rename the trend', field('Name', input,
		'Every ticket of the trend shows it; tickets about the same ' +
		'problem still join the trend.'),
	[{ label: 'Rename', primary: true, value: () => input.value.trim() ?
		{ label: input.value.trim() } : false }].concat(t.label.named ?
		[{ label: 'Back to “' + auto + '”', value: { label: null } }] : []),
	() => input.select());
	if (!v)
		return null;
	let r;
	try {
		r = await api.patch('/trends/' + t.id, v);
	} catch (e) {
		warn('Not renamed: ' + e.message);
		return null;
	}
	toast(v.label ? 'The trend is “' + r.trend.label.text + '”.' :
		'The trend has its automatic name again.');
	return r.trend;
}

// Merges a trend the agent picks into trend t: the trends most alike
// first (when tamed knows them), then the largest. The trend as it is
// now, or null.
export async function mergeIn(t) {
	let all;
	let alike;
	try {
		[all, alike] = await Promise.all([api.get('/trends?samples=0&' +
			'min_open=1&limit=' + ALL_MAX), api.get('/trends/' + t.id +
			'/similar').then((r) => r.similar, () => [])]);
	} catch (e) {
		warn('Could not load the trends: ' + e.message);
		return null;
	}
	const near = new Map(alike.map((x) => [x.id, x.score]));
	const others = alike.concat(all.trends.filter((x) => x.id !== t.id &&
		!near.has(x.id)));
	if (!others.length) {
		toast('There is no other trend to merge in.');
		return null;
	}
	const from = await picker('Merge a trend into “' + t.label.text + '”',
		others, { id: 'merge-trend', label: 'Trends', button: 'Merge in',
			hint: 'Type to find a trend', max: PICK_SHOWN,
			key: (x) => 'merge-trend-' + x.id,
			score: (q, x) => fuzzy(q, x.label.text),
			intro: h('p', 'muted', 'Every ticket of the ' +
				'trend you pick joins this one, solved ones too, and its ' +
				'address leads here from now on (its name too, when this ' +
				'one has none). The grouping never undoes a merge. The ' +
				'trends most alike come first, then the largest.'),
			row: (x) => [h('strong', {}, x.label.text), ' ',
				h('span', { className: 'muted', 'aria-label': ', ' +
					toAnswerSaid(x) }, toAnswer(x, ' open')),
				near.has(x.id) ? h('span', { className: 'pill small',
					title: 'how much its tickets use the words of this ' +
						'trend\'s' }, Math.round(near.get(x.id) * 100) +
					'% alike') : null] });
	if (!from)
		return null;
	let r;
	try {
		r = await api.post('/trends/' + from.id + '/merge', { into: t.id });
	} catch (e) {
		warn('Not merged: ' + e.message);
		return null;
	}
	toast('“' + from.label.text + '” is now part of “' +
		r.trend.label.text + '”: ' + toAnswer(r.trend, ' open') + '.');
	return r.trend;
}

// Moves tickets ids out of trend t, each into a trend of its own, after
// asking. {moved: [ids]}, or null when none moved.
export async function moveOut(ids, t) {
	const one = ids.length === 1;
	const it = one ? 'it' : 'them';
	if (!await modal(one ? 'Move #' + ids[0] + ' out of the trend' :
		'Move ' + ids.length + ' tickets out of the trend',
	h('p', {}, (one ? 'It goes' : 'Each goes') + ' into a trend of its ' +
		'own, for good: the grouping never puts ' + it + ' back into “' +
		labelOf(t) + '”, and a reply to all of that trend no longer ' +
		'reaches ' + it + '.'),
	[{ label: 'Move out', primary: true, value: true }]))
		return null;
	const moved = [];
	const failed = [];
	for (const id of ids) {
		try {
			await api.post('/tickets/' + id + '/trend/remove', {});
			moved.push(id);
		} catch (e) {
			failed.push('#' + id + ' (' + e.message + ')');
		}
	}
	toast(one && failed.length ? 'Not moved: ' + failed[0] :
		(one ? '#' + ids[0] : moved.length + ' of ' + ids.length +
			' tickets') + ' moved out of “' + labelOf(t) + '”.' +
		(failed.length ? ' Not: ' + failed.join(', ') : ''),
	{ kind: failed.length ? 'bad' : '' });
	return moved.length ? { moved } : null;
}

// The trend chip of ticket tk (which has a trend), with a menu of what
// can be done to the trend; changed() runs after a change.
export function chip(tk, changed) {
	const act = (run) => async () => {
		let t;
		try {
			t = (await api.get('/trends/' + tk.trend.id)).trend;
		} catch (e) {
			warn(e.status === 404 ? 'This trend has no open ticket now.' :
				'Could not load the trend: ' + e.message);
			return;
		}
		if (await run(t))
			changed();
	};
	return h('span', 'trend-chip-wrap',
		h('a', { className: 'chip trend-chip', href: '#/trend/' +
			tk.trend.id, title: 'Tickets about the same problem' },
		'trend: ' + tk.trend.label),
		menuButton('▾', [
			{ label: 'Rename the trend…', run: act(rename) },
			{ label: 'Merge a trend into it…', run: act(mergeIn) },
			{ label: 'Move #' + tk.id + ' out of the trend…',
				run: act((t) => moveOut([tk.id], t)) }],
		{ id: 'trend-menu', className: 'ghost small chip-menu',
			'aria-label': 'Trend actions', title: 'Trend actions' }));
}

// #/trends: every trend with how many to answer, open, growth and age,
// the rising ones first; a few letters of a label find one.
export class TrendsView {
	constructor(ctx, main) {
		this.ctx = ctx;
		this.all = [];
		this.timer = null;
		this.shown = LIST_SHOWN;
		this.countEl = h('span', 'count-total muted');
		this.findEl = h('input', { type: 'search', id: 'trends-find',
			autocomplete: 'off', placeholder: 'Find a trend',
			'aria-label': 'Find a trend', oninput: () => this.draw() });
		this.smallEl = h('input', { type: 'checkbox', id: 'trends-small',
			onchange: () => this.load() });
		this.tbody = h('tbody');
		this.emptyEl = h('p', { className: 'muted', hidden: true });
		this.moreEl = h('button', { className: 'ghost more',
			hidden: true, onclick: () => {
				this.shown = Infinity;
				this.draw();
			} });
		fill(main, h('div', 'page trends-page',
			h('div', 'list-head', h('h1', {}, 'Trends'),
				this.countEl, h('span', 'spacer'),
				this.findEl),
			h('p', 'muted', 'Tickets about the same ' +
				'problem, grouped as they come in: the rising ones first ' +
				'(↑), then those with the most to answer (the others ' +
				'wait on their customer). Open one to rename it, merge ' +
				'another into it, move tickets out or answer them all.'),
			h('label', 'check small', this.smallEl,
				' Trends of one or two tickets too'),
			h('table', 'grid trends-table',
				h('thead', {}, h('tr', {}, ['Trend', 'To answer', 'Open',
					'Last day', 'First seen'].map((x) => h('th',
					{ scope: 'col' }, x)))), this.tbody), this.emptyEl,
			this.moreEl));
		this.load();
	}

	async load() {
		let r;
		try {
			r = await api.get('/trends?samples=0&sort=rising&limit=' +
				ALL_MAX + (this.smallEl.checked ? '&min_open=1' : ''));
		} catch (e) {
			if (this.destroyed)
				return;
			this.all = [];
			fill(this.tbody);
			this.emptyEl.hidden = false;
			this.emptyEl.textContent = api.missing(e) || e.status === 503 ?
				'This server has no trends to show now.' :
				'Could not load the trends: ' + e.message;
			return;
		}
		if (this.destroyed)
			return;
		this.all = r.trends;
		this.countEl.textContent = plural(r.total, 'trend') + (r.total > r.trends.length ?
			', the first ' + r.trends.length + ' shown' : '');
		document.title = 'Trends (' + r.total + ') · Tame';
		this.draw();
	}

	// The rows whose label has what is typed, the first LIST_SHOWN of
	// them until "Show all".
	draw() {
		const q = this.findEl.value.trim().toLowerCase();
		const hits = q ? this.all.filter((t) =>
			t.label.text.toLowerCase().includes(q)) : this.all;
		const now = Date.now();
		fill(this.tbody, hits.slice(0, this.shown).map((t) => h('tr', {},
			h('td', 'label', h('a', { href: '#/trend/' + t.id,
				'aria-label': t.label.text + ', ' + toAnswerSaid(t) },
			t.label.text)),
			h('td', 'num', String(left(t))),
			h('td', 'num', String(t.open_count)),
			h('td', {}, growth(t, now)),
			h('td', 'muted', ago(t.first_seen, now)))));
		this.moreEl.hidden = hits.length <= this.shown;
		this.moreEl.textContent = 'Show all ' + hits.length;
		this.emptyEl.hidden = hits.length > 0;
		this.emptyEl.textContent = q ? 'No trend matches “' + q + '”.' :
			'No trend yet: tickets about the same problem are grouped ' +
			'as they come in.';
	}

	onLive() {
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.load(), 2000);
	}

	destroy() {
		this.destroyed = true;
		clearTimeout(this.timer);
	}
}
