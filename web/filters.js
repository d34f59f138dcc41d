// filters.js - saved filters (status, assignee, tag, priority, text),
// kept per agent by tamed (/api/v1/filters), and the ticket counts
// shown beside each view in the navigation.
//
// Model: a filter is {id, name, status:[...], assignee, tag,
// priority:[...], q}, each the list endpoint's own parameter (the server
// filters, so a page is full and a count is exact; a filter saved when
// priority was one name still works). The server's list is copied into
// localStorage, so that the navigation and a reload on #/filter/ID do
// not wait for it; load() brings it up to date. Filters an older Tame
// kept only in this browser are uploaded once, then forgotten here.
// Counts come from one list request per view (at most COUNT_MAX rows
// each, so a long queue shows "99+"), refreshed a few seconds after
// live events, never more often.

import * as api from './api.js';
import { h, toast, modal, field, personName, warn } from './dom.js';
import { VIEWS } from './inbox.js';
import { SORTS } from './queue.js';

const COUNT_MAX = 100;
const COUNT_DELAY_MS = 3000;
const STATUSES = ['new', 'open', 'pending', 'solved', 'closed'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

let me = null;
let saved = null;           // the agent's filters, as last known
const numbers = new Map();  // nav key -> "12" | "99+"
let timer = null;
let running = false;
// counts() was asked for while it ran: it runs once more after.
let again = false;

// Where this browser keeps its copy of the server's list, and where an
// older Tame kept the filters themselves.
const cacheKey = () => 'tame.filters.cache.' + (me ? me.id : 0);
const legacyKey = () => 'tame.filters.' + (me ? me.id : 0);

function readLocal(k) {
	try {
		const v = JSON.parse(localStorage.getItem(k) || '[]');
		return Array.isArray(v) ? v : [];
	} catch (e) {
		return [];
	}
}

function keep(all) {
	saved = all;
	try {
		localStorage.setItem(cacheKey(), JSON.stringify(all));
	} catch (e) {
		// full or refused: the copy is only a head start
	}
}

// The agent whose filters these are.
function setMe(agent) {
	if (me !== agent)
		saved = null;
	me = agent;
}

export function list() {
	if (!saved)
		saved = me ? readLocal(cacheKey()) : [];
	return saved;
}

export function get(id) {
	return list().find((f) => String(f.id) === String(id)) || null;
}

// The body that saves filter f (id: replace that one).
function body(f, id) {
	const b = { name: String(f.name || '').trim() || 'Filter',
		status: (f.status || []).filter((s) => STATUSES.includes(s)),
		assignee: String(f.assignee || ''), tag: String(f.tag || ''),
		priority: prios(f), q: String(f.q || ''),
		mailbox: String(f.mailbox || ''), sort: String(f.sort || '') };
	if (id)
		b.id = id;
	return b;
}

// Uploads the filters an older Tame kept in this browser, once; a
// filter the server refuses (400) is dropped, one that could not be
// sent is kept for the next time. Answers {oldId: newId}.
async function upload() {
	const moved = {};
	const legacy = readLocal(legacyKey());
	if (!legacy.length)
		return moved;
	localStorage.removeItem(legacyKey());
	const left = [];
	for (const f of legacy) {
		try {
			moved[f.id] = (await api.post('/filters', body(f))).filter.id;
		} catch (e) {
			if (e.status !== 400)
				left.push(f);
		}
	}
	if (left.length)
		localStorage.setItem(legacyKey(), JSON.stringify(left));
	return moved;
}

// Brings the list up to date from tamed (after uploading what only
// this browser had), redraws the navigation, and shows the filter the
// address names when it was not known before.
export async function load(ctx) {
	setMe(ctx.me);
	const agent = me;
	const hash = location.hash;
	const m = /^#\/filter\/([^/?]+)/.exec(hash);
	const known = m && get(m[1]);
	let moved;
	try {
		moved = await upload();
		const r = await api.get('/filters');
		if (me !== agent)
			return;
		keep(r.filters || []);
	} catch (e) {
		if (!api.missing(e))
			warn('Could not load the saved filters: ' + e.message);
		return;
	}
	if (ctx.me)
		ctx.renderNav();
	if (!m || location.hash !== hash)
		return;
	if (moved[m[1]])
		location.replace('#/filter/' + moved[m[1]] +
			hash.slice(m[0].length));
	else if (!known && get(m[1]))
		window.dispatchEvent(new HashChangeEvent('hashchange'));
}

// The priorities of filter f, as a list (none: any).
function prios(f) {
	const p = f.priority || [];
	return (Array.isArray(p) ? p : [p]).filter((x) => PRIORITIES.includes(x));
}

// The list endpoint's parameters of filter f.
export function params(f) {
	return { status: f.status && f.status.length ? f.status.join(',') :
		'any', assignee: f.assignee || '', tag: f.tag || '',
	priority: prios(f).join(','), q: f.q || '', mailbox: f.mailbox || '' };
}

export function countOf(navKey) {
	return numbers.get(navKey);
}

function targets(ctx) {
	const out = [];
	for (const v of VIEWS)
		if (v.count)
			out.push(['inbox/' + v.id, v.params, null]);
	for (const f of list())
		out.push(['filter/' + f.id, params(f), f]);
	for (const m of ctx.mailboxes)
		out.push(['mailbox/' + m.id, { status: 'new,open,pending',
			mailbox: m.id }, null]);
	return out;
}

// Counts every view again (and draws the navigation).
export async function counts(ctx) {
	setMe(ctx.me);
	if (running) {
		// a filter saved meanwhile is not among the targets of this run
		again = true;
		return;
	}
	running = true;
	again = false;
	try {
		await ctx.ready;
		await Promise.all(targets(ctx).map(async ([k, p, f]) => {
			try {
				const r = await api.get('/tickets' + api.qs({ ...p,
					limit: COUNT_MAX }));
				const n = r.tickets.length;
				numbers.set(k, r.next_cursor || n >= COUNT_MAX ?
					(COUNT_MAX - 1) + '+' : String(n));
			} catch (e) {
				numbers.delete(k);
			}
		}));
	} finally {
		running = false;
	}
	if (ctx.me)
		ctx.renderNav();
	if (again && ctx.me)
		counts(ctx);
}

export function onLive(ctx) {
	if (timer)
		return;
	timer = setTimeout(() => {
		timer = null;
		if (ctx.me && document.visibilityState !== 'hidden')
			counts(ctx);
	}, COUNT_DELAY_MS);
}

// The dialog to create a filter (seed: what the current view shows) or
// change one (seed.id set). Goes to the filter when saved.
export async function edit(ctx, seed = {}) {
	setMe(ctx.me);
	const old = seed.id ? get(seed.id) : null;
	const f = old || seed;
	const name = h('input', { id: 'filter-name', required: true,
		value: f.name || '' });
	const boxes = STATUSES.map((s) => h('label', 'check',
		h('input', { type: 'checkbox', value: s,
			checked: (f.status || ['new', 'open', 'pending']).includes(s) }),
		' ' + s));
	const assignee = h('select', { id: 'filter-assignee' },
		[['', 'Anyone'], ['me', 'Me'], ['none', 'Nobody']].concat(
			ctx.agents.map((a) => [String(a.id), personName(a)])).map(
			([v, l]) => h('option', { value: v,
				selected: String(f.assignee || '') === v }, l)));
	const tag = h('input', { id: 'filter-tag', value: f.tag || '',
		autocomplete: 'off' });
	const prioBoxes = PRIORITIES.map((p) => h('label', 'check',
		h('input', { type: 'checkbox', value: p, name: 'filter-priority',
			checked: prios(f).includes(p) }), ' ' + p));
	const q = h('input', { id: 'filter-q', value: f.q || '',
		placeholder: 'words in subject or messages' });
	const mailbox = h('select', { id: 'filter-mailbox' },
		[['', 'Any mailbox']].concat(ctx.mailboxes.map((m) =>
			[String(m.id), m.name || m.address])).map(([v, l]) =>
			h('option', { value: v,
				selected: String(f.mailbox || '') === v }, l)));
	const sort = h('select', { id: 'filter-sort' }, SORTS.map(([v, l]) =>
		h('option', { value: v, selected: (f.sort || 'oldest') === v },
			l)));
	const read = () => {
		if (!name.value.trim()) {
			warn('Give the filter a name.');
			name.focus();
			return false;
		}
		return {
			name: name.value.trim(),
			status: boxes.map((b) => b.firstChild).filter((c) => c.checked)
				.map((c) => c.value),
			assignee: assignee.value, tag: tag.value.trim(),
			priority: prioBoxes.map((b) => b.firstChild).filter((c) =>
				c.checked).map((c) => c.value), q: q.value.trim(),
			mailbox: mailbox.value, sort: sort.value,
		};
	};
	const buttons = [{ label: 'Save filter', primary: true, value: read }];
	if (old)
		buttons.push({ label: 'Delete', danger: true, value: 'delete' });
	const r = await modal(old ? 'Change filter' : 'Save a filter',
		h('div', 'form-grid', field('Name', name),
			h('fieldset', {}, h('legend', {}, 'Status'), boxes),
			field('Assignee', assignee), field('Tag', tag),
			h('fieldset', {}, h('legend', {}, 'Priority (none: any)'),
				prioBoxes), field('Text', q), field('Mailbox', mailbox),
			field('Sort', sort)),
		buttons, () => name.focus());
	if (!r)
		return;
	let done;
	try {
		done = r === 'delete' ? await api.del('/filters/' + old.id) :
			(await api.post('/filters', body(r, old && old.id))).filter;
	} catch (e) {
		warn('Could not ' + (r === 'delete' ? 'delete' : 'save') +
			' the filter: ' + e.message);
		return;
	}
	if (r === 'delete') {
		keep(list().filter((x) => x.id !== old.id));
		numbers.delete('filter/' + old.id);
		toast('Filter “' + old.name + '” deleted.');
		ctx.renderNav();
		ctx.navigate('#/inbox/unassigned');
		return;
	}
	keep(old ? list().map((x) => x.id === old.id ? done : x) :
		list().concat([done]));
	ctx.renderNav();
	ctx.navigate('#/filter/' + done.id);
	counts(ctx);
}
