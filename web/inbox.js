// inbox.js - the queue: one view (Unassigned, Mine, All open, Pending,
// Solved, All, or a mailbox), sorted, searched, worked with the keyboard.
//
// Model: the list is one or more pages of GET /tickets; the cursor row
// is a ticket id, kept across reloads of the list, which happen when a
// live event says something changed (debounced: a burst of mail is one
// reload). The list is a listbox whose active row is announced through
// aria-activedescendant, so the focus stays on the list while j/k move.
// Besides the cursor, rows can be checked (click, shift-click for a
// range, x, * for all in view) and worked on together (bulk.js); the
// checked set survives reloads and forgets rows that left the view.

import * as api from './api.js';
import { h, fill, keepPlace, ago, age, stamp, avatar, personName, toast,
	warn, mayTake, flat, plural } from './dom.js';
import * as trends from './trends.js';
import * as filters from './filters.js';
import { toneChips, flagChips } from './tone.js';
import { VIEWS, PAGE, SORTS, listPath, pages } from './queue.js';

export { VIEWS };


// The priority filter of the list head (the server's ?priority=).
const PRIOS = [
	['any', 'Any priority'],
	['urgent', 'Urgent'],
	['urgent,high', 'High and urgent'],
	['high', 'High'],
	['normal', 'Normal'],
	['low', 'Low'],
];

// Messages in a thread from which it counts as sticky (and from which
// it is worth a glance).
const COUNT_HOT = 12;
const COUNT_WARM = 6;
// A customer waiting longer than this is shown as such.
const LONG_WAIT_S = 24 * 3600;
// How often the list asks who is on which ticket.
const HERE_MS = 10000;
// How often the waiting times are drawn again (minutes at their finest).
const AGES_MS = 60000;

// The hash of list hash with ?select=ID, to come back to the same row.
export function withSelect(hash, id) {
	const [base, query] = hash.split('?');
	const p = new URLSearchParams(query || '');
	p.set('select', id);
	return base + '?' + p.toString();
}

export class InboxView {
	constructor(ctx, main, spec) {
		this.ctx = ctx;
		this.spec = spec;
		const v = VIEWS.find((x) => x.id === spec.view);
		const mb = spec.mailbox &&
			ctx.mailboxes.find((m) => m.id === spec.mailbox);
		const f = spec.filter;
		this.title = v ? v.label : f ? f.name : spec.trend ? 'Trend' :
			mb ? (mb.name || mb.address) : 'Mailbox';
		this.params = v ? { ...v.params } : f ? filters.params(f) :
			spec.trend ? { status: 'new,open,pending', trend: spec.trend } :
				{ status: 'new,open,pending', mailbox: spec.mailbox };
		this.sort = spec.sort || (v ? v.sort : f && f.sort ? f.sort :
			'oldest');
		this.prio = spec.priority || this.params.priority || 'any';
		this.q = spec.q;
		this.tickets = [];
		this.next = null;
		this.selId = spec.select;
		this.timer = null;
		this.seen = null;
		this.checked = new Set();
		this.anchor = null;
		this.trend = null;      // in a trend's view, the trend once read
		this.build(main);
		this.name();
		// the count is read out once the list is there (emptied first,
		// so that the same count after another search is read too), not
		// at each live update
		this.said = document.getElementById('said');
		this.said.textContent = '';
		this.load();
		this.here = new Map();
		this.hereTimer = setInterval(() => this.presence(), HERE_MS);
		this.agesTimer = setInterval(() => this.ages(), AGES_MS);
		this.showTrends = !spec.trend && !f && (!v || v.id !== 'solved');
		// what is beside the rows comes after them (see app.js)
		ctx.whenPainted.then(() => {
			if (this.destroyed)
				return;
			this.presence();
			if (spec.trend)
				this.trendHead();
			else if (this.showTrends)
				trends.strip(this.trendsEl);
		});
		// the first rows may be painted before the agents' list came:
		// the assignees' avatars are drawn again with it
		if (!ctx.agents.length)
			ctx.ready.then(() => {
				if (!this.destroyed && this.seen && ctx.agents.length &&
				    this.tickets.some((t) => t.assignee))
					this.render(new Set());
			});
		if (spec.mailbox && !mb)
			ctx.ready.then(() => {
				const m = ctx.mailboxes.find((x) => x.id === spec.mailbox);
				if (m && !this.destroyed)
					this.name(m.name || m.address);
			});
	}

	// The list's name, in its heading and the page's title with the
	// count, so that a tab and a screen reader say where the agent is.
	name(text) {
		if (text)
			this.titleEl.firstChild.textContent = text;
		document.title = (this.q ? 'Search: ' + this.q :
			this.titleEl.firstChild.textContent) + (this.seen ? ' (' +
			this.tickets.length + (this.next ? '+' : '') + ')' : '') +
			' · Tame';
	}

	build(main) {
		this.countEl = h('span', 'count-total muted');
		const sort = h('select', {
			id: 'sort', onchange: () => this.go({ sort: sort.value }),
		}, SORTS.map(([id, label]) => h('option',
			{ value: id, selected: id === this.sort }, label)));
		const prios = PRIOS.some(([id]) => id === this.prio) ? PRIOS :
			PRIOS.concat([[this.prio, this.prio]]);
		const prio = h('select', {
			id: 'priority', 'aria-label': 'Priority',
			onchange: () => this.go({ priority: prio.value }),
		}, prios.map(([id, label]) => h('option',
			{ value: id, selected: id === this.prio }, label)));
		this.listEl = h('ol', {
			className: 'rows', role: 'listbox', tabindex: '0',
			'aria-label': this.title + ' tickets',
		});
		this.moreEl = h('button', {
			className: 'ghost more', hidden: true,
			onclick: () => this.load({ more: true }),
		}, 'Load more');
		this.emptyEl = h('p', { className: 'empty', hidden: true });
		// a search in a view looks in that view; every ticket is a
		// click away (a customer's answered tickets are not Unassigned)
		this.titleEl = h('h1', {}, this.title,
			this.q ? h('span', 'muted',
				' matching “' + this.q + '”') : null,
			this.q && this.spec.view !== 'all' ? h('a', {
				className: 'small all-search', href: '#/inbox/all?q=' +
					encodeURIComponent(this.q) }, 'Search all tickets') :
				null);
		this.trendsEl = h('nav', { className: 'trends', hidden: true,
			'aria-label': 'Trends' });
		this.allEl = h('input', { type: 'checkbox', id: 'check-all',
			'aria-label': 'Select all in view', 'aria-keyshortcuts': '*',
			onchange: () => this.checkAll(this.allEl.checked) });
		this.barEl = h('div', { className: 'bulkbar', hidden: true,
			role: 'toolbar', 'aria-label': 'Selected tickets' });
		this.extraEl = h('span', 'head-extra');
		const f = this.spec.filter;
		// a trend's head (what it has, what can be done to it) is a line
		// of its own under the title
		const trend = !!this.spec.trend;
		// into the page at once, or with the first rows when they take the
		// place of rows the page came with (spec.first): one frame for both
		this.mount = () => {
			this.mount = null;
			delete main.dataset.first;
			fill(main, this.trendsEl, h('div', 'list-head',
				this.allEl, this.titleEl, this.countEl,
				trend ? null : this.extraEl,
				f ? h('button', { className: 'link small',
					onclick: () => filters.edit(this.ctx, { id: f.id }) },
				'Edit filter') : null,
				h('span', 'spacer'), prio,
				h('label', { for: 'sort', className: 'muted' }, 'Sort'),
				sort), trend ? this.extraEl : null,
			this.barEl, this.listEl, this.emptyEl, this.moreEl);
			this.listEl.focus();
		};
		if (!this.spec.first)
			this.mount();
	}

	// Who else has a ticket of the list open, or is answering it.
	async presence() {
		let r;
		try {
			r = await api.get('/presence');
		} catch (e) {
			if (api.missing(e))
				clearInterval(this.hereTimer);
			return;
		}
		this.here = new Map();
		for (const p of r.presence)
			this.here.set(p.ticket_id, (this.here.get(p.ticket_id) || [])
				.concat(p));
		for (const row of this.listEl.children)
			this.drawHere(row);
	}

	drawHere(row) {
		const list = this.here.get(Number(row.dataset.id)) || [];
		const el = row.querySelector('.here');
		el.title = list.map((p) => personName(p.agent) + ' is ' + p.state)
			.join(', ');
		fill(el, list.map((p) => avatar(p.agent, 'small ' + p.state)));
	}

	// The head of a trend's view (trends.js), drawn again after every
	// change to the trend, the focus kept on the control used.
	async trendHead() {
		let t = null;
		try {
			t = (await api.get('/trends/' + this.spec.trend)).trend;
		} catch (e) {
			// no open ticket in it (or no trends on this server)
		}
		if (this.destroyed)
			return;
		this.trend = t;
		const was = document.activeElement;
		const keep = this.extraEl.contains(was) && was.id;
		fill(this.extraEl, t && trends.head(t, () => this.replyAll(),
			() => this.trendChanged()));
		if (keep && document.getElementById(keep))
			document.getElementById(keep).focus();
		this.name(t ? 'Trend: ' + t.label.text :
			'No open tickets in this trend');
		this.drawCount();
	}

	trendChanged() {
		this.trendHead();
		this.load({ quiet: true });
	}

	// Moves the checked rows out of this trend (trend_manage.js).
	async moveOut() {
		const ids = this.tickets.filter((t) => this.checked.has(t.id))
			.map((t) => t.id);
		const r = await trends.manage((m) => m.moveOut(ids, this.trend));
		if (!r || this.destroyed)
			return;
		for (const id of r.moved)
			this.checked.delete(id);
		this.trendChanged();
		this.listEl.focus();
	}

	// (a trend too large for one reply is split first: drawn again
	// even when the reply is not sent)
	async replyAll() {
		if (this.spec.trend) {
			await trends.replyAll(this.spec.trend);
			this.trendChanged();
		}
	}

	// What a new saved filter starts from: this view's settings (or, in
	// a saved filter, that filter, to change it).
	filterSeed() {
		if (this.spec.filter)
			return { id: this.spec.filter.id };
		const p = this.params;
		return { name: this.q ? this.q : '',
			status: p.status && p.status !== 'any' ? p.status.split(',') :
				[], assignee: p.assignee || '', q: this.q || '',
			priority: this.prio === 'any' ? [] : this.prio.split(','),
			mailbox: p.mailbox ? String(p.mailbox) : '', sort: this.sort };
	}

	go(change) {
		const p = new URLSearchParams();
		const sort = change.sort || this.sort;
		const v = VIEWS.find((x) => x.id === this.spec.view);
		if (sort !== (v ? v.sort : 'oldest'))
			p.set('sort', sort);
		const prio = change.priority || this.prio;
		if (prio !== (this.params.priority || 'any'))
			p.set('priority', prio);
		if (this.q)
			p.set('q', this.q);
		const base = (location.hash || '#/inbox/unassigned').split('?')[0];
		const s = p.toString();
		this.ctx.navigate(base + (s ? '?' + s : ''));
	}

	// The first page, the next (more), or the rows shown again (a live
	// change): as many as are shown, page by page, so that the agent's
	// place and checks stay however far down the list they are; past
	// the first page, the rows new ones pushed past the end too.
	async load({ more = false, quiet = false } = {}) {
		const old = this.tickets;
		const n = old.length;
		const before = new Set(old.map((t) => t.id));
		const path = (k, c) => listPath(this.params, this.sort, this.prio,
			this.q, k, c);
		let page;
		try {
			page = await pages(api.get, path, more ? PAGE :
				Math.max(PAGE, n), more ? this.next : null);
			const t = page.tickets;
			const lost = !more && n > PAGE && page.next_cursor &&
				!t.some((x) => x.id === old[n - 1].id) &&
				n - t.filter((x) => before.has(x.id)).length;
			if (lost) {
				const p = await pages(api.get, path, Math.min(PAGE, lost),
					page.next_cursor);
				page = { tickets: t.concat(p.tickets),
					next_cursor: p.next_cursor };
			}
		} catch (e) {
			if (!quiet)
				warn('Could not load the tickets: ' + e.message);
			if (this.mount && !this.destroyed)
				this.mount();
			return;
		}
		if (this.destroyed)
			return;
		const rows = page.tickets;
		this.next = page.next_cursor;
		// the next page is drawn below the rows there, which stay
		if (more) {
			const add = rows.filter((t) => !before.has(t.id));
			this.tickets = this.tickets.concat(add);
			this.add(add);
			this.drawChecks();
			return;
		}
		this.tickets = rows;
		const fresh = this.seen ? rows.filter((t) =>
			!before.has(t.id)).map((t) => t.id) : [];
		const first = !this.seen;
		this.seen = true;
		this.render(new Set(fresh));
		if (first)
			this.said.textContent = this.tickets.length ?
				this.countEl.textContent : this.emptyEl.textContent;
		if (this.mount)
			this.mount();
		if (first && this.ctx.painted)
			this.ctx.painted();
	}

	// The rows drawn again (a live change): the cursor's row, or the
	// first row in sight when the cursor is not, stays where it was on
	// the screen, under the agent's eyes and mouse, when rows above it
	// come or go.
	render(fresh) {
		const id = this.inSight();
		keepPlace(this.listEl, () => this.draw(fresh),
			() => id && document.getElementById('row-' + id));
	}

	inSight() {
		const view = document.getElementById('main').getBoundingClientRect();
		const seen = (e) => {
			const r = e.getBoundingClientRect();
			return r.bottom > view.top && r.top < view.bottom;
		};
		const cur = this.selId && document.getElementById('row-' +
			this.selId);
		if (cur && seen(cur))
			return this.selId;
		for (const row of this.listEl.children)
			if (seen(row))
				return Number(row.dataset.id);
		return null;
	}

	draw(fresh) {
		// assignees' avatars from the agents' list loaded once at sign-in
		this.agentsById = new Map(this.ctx.agents.map((a) => [a.id, a]));
		fill(this.listEl);
		this.add(this.tickets, fresh);
		this.emptyEl.hidden = this.tickets.length > 0;
		this.emptyEl.textContent = this.q ? 'No ticket matches.' :
			'Nothing here. The queue is tamed.';
		let i = this.tickets.findIndex((t) => t.id === this.selId);
		if (i < 0)
			i = Math.min(this.selIndex || 0, this.tickets.length - 1);
		this.select(i, false);
		const ids = new Set(this.tickets.map((t) => t.id));
		for (const id of this.checked)
			if (!ids.has(id))
				this.checked.delete(id);
		this.drawChecks();
	}

	// Rows for tickets list at the end of the list, and what counts them.
	add(list, fresh = new Set()) {
		const now = Date.now();
		for (const t of list) {
			const row = this.row(t, now, fresh);
			this.listEl.append(row);
			this.drawHere(row);
		}
		this.ctx.list = this.tickets.map((t) => t.id);
		this.drawCount();
		this.moreEl.hidden = !this.next;
		this.name();
	}

	// How many rows: "12 tickets", "50+ tickets" before the next page
	// is loaded; in a trend, whose head says how many it has, "50 of 161
	// shown".
	drawCount() {
		const n = this.tickets.length;
		this.countEl.textContent = this.trend && this.next ? n + ' of ' +
			this.trend.open_count + ' shown' : plural(n + (this.next ? '+' :
			''), 'ticket');
	}

	// The waiting times (and the long-wait colour) as time passes, with
	// no request: each row's wait and name taken from it drawn afresh,
	// in place, so the focus, cursor, scroll and checks stay. The
	// cursor's row keeps its name (a screen reader would say it again
	// each minute) until the cursor leaves it (select()).
	ages() {
		const now = Date.now();
		this.tickets.forEach((t, i) => {
			const row = this.listEl.children[i];
			if (!row || row.dataset.id !== String(t.id))
				return;
			const n = this.row(t, now, new Set()), w = row.querySelector(
				'.wait'), nw = n.querySelector('.wait');
			if (w.outerHTML !== nw.outerHTML)
				w.replaceWith(nw);
			const label = n.getAttribute('aria-label');
			if (row.getAttribute('aria-selected') === 'true')
				row.dataset.label = label;
			else
				row.setAttribute('aria-label', label);
		});
	}

	// ---- checked rows and what can be done to them

	check(id, on, range) {
		const ids = this.tickets.map((t) => t.id);
		let list = [id];
		if (range && this.anchor !== null && ids.includes(this.anchor)) {
			const a = ids.indexOf(this.anchor);
			const b = ids.indexOf(id);
			list = ids.slice(Math.min(a, b), Math.max(a, b) + 1);
		} else {
			this.anchor = id;
		}
		for (const x of list)
			if (on)
				this.checked.add(x);
			else
				this.checked.delete(x);
		this.drawChecks();
	}

	checkAll(on) {
		this.checked = new Set(on ? this.tickets.map((t) => t.id) : []);
		this.drawChecks();
	}

	drawChecks() {
		for (const row of this.listEl.children) {
			const on = this.checked.has(Number(row.dataset.id));
			row.classList.toggle('checked', on);
			row.querySelector('.pick').checked = on;
		}
		const n = this.checked.size;
		this.allEl.checked = n > 0 && n === this.tickets.length;
		this.allEl.indeterminate = n > 0 && n < this.tickets.length;
		this.barEl.hidden = n === 0;
		if (!n)
			return;
		const b = (label, key, fn) => h('button', { 'aria-keyshortcuts': key, title: key, onclick: fn,
			'data-key': 'bulk-' + label }, label);
		keepPlace(this.barEl, () => fill(this.barEl, h('strong', {},
			n + ' selected'),
			b('Assign…', 'a', () => this.bulk('assign')),
			b('Tag…', 't', () => this.bulk('tag')),
			b('Status…', 'e', () => this.bulk('status')),
			b('Solve', 's', () => this.bulk('solve')),
			b('Merge…', 'm', () => this.bulk('merge')),
			b('Reply to all…', 'r', () => this.bulk('reply')),
			this.trend ? b('Move out of trend…', null,
				() => this.moveOut()) : null,
			h('button', { className: 'ghost',
				'aria-keyshortcuts': 'Escape', 'data-key': 'bulk-clear',
				onclick: () => this.checkAll(false) }, 'Clear')));
	}

	async bulk(what) {
		const list = this.tickets.filter((t) => this.checked.has(t.id));
		const ids = list.map((t) => t.id);
		let bulk;
		try {
			bulk = await import('./bulk.js');
		} catch (e) {
			warn('Could not load this: ' + e.message);
			return;
		}
		const r = what === 'assign' ? await bulk.assign(this.ctx, ids) :
			what === 'tag' ? await bulk.tag(ids) :
			what === 'status' ? await bulk.status(ids) :
			what === 'solve' ? await bulk.status(ids, 'solved') :
			what === 'merge' ? await bulk.merge(list) :
			await bulk.reply(this.ctx, list);
		if (!r || this.destroyed)
			return;
		for (const x of r.results)
			if (x.ok)
				this.checked.delete(x.ticket_id);
		await this.load({ quiet: true });
		this.listEl.focus();
	}

	// src/net/http_first.c draws the first rows of the page the same way
	// (and build()'s head): change both.
	row(t, now, fresh) {
		const waiting = t.status === 'new' || t.status === 'open';
		const since = waiting ? (t.last_customer_at || t.created_at) :
			t.updated_at;
		const secs = age(since, now);
		const n = t.message_count;
		const msgs = n + (n === 1 ? ' message' : ' messages');
		const count = h('span', {
			className: 'count' + (n >= COUNT_HOT ? ' hot' :
				n >= COUNT_WARM ? ' warm' : ''),
			title: msgs + ' in the thread' +
				(n >= COUNT_HOT ? ': a sticky case' : ''),
		}, String(n));
		const who = personName(t.customer) || '(unknown sender)';
		const label = [who, t.subject, msgs,
			waiting ? 'waiting ' + ago(since, now) : t.status,
			t.assignee ? 'assigned to ' + personName(t.assignee) :
				'unassigned', t.priority + ' priority'].join(', ');
		// an earlier heated message shows while the latest one is plain
		const chips = toneChips(t.tone_earlier || t.tone, 1)
			.concat(flagChips(t.flags).slice(0, 1));
		return h('li', {
			id: 'row-' + t.id, role: 'option', 'aria-selected': 'false',
			'aria-label': label + (chips.length ? ', ' + chips.map((c) =>
				c.textContent).join(', ') : ''),
			className: 'row st-' + t.status + ' pr-' + t.priority +
				(fresh.has(t.id) ? ' fresh' : ''),
			dataset: { id: t.id },
			onclick: (e) => {
				if (e.shiftKey) {
					e.preventDefault();
					this.check(t.id, !this.checked.has(t.id), true);
				} else {
					this.open(t.id);
				}
			},
		},
		h('span', { className: 'prio', title: t.priority + ' priority' }),
		h('input', { type: 'checkbox', className: 'pick', tabindex: '-1',
			'data-key': 'pick-' + t.id,
			'aria-label': 'Select #' + t.id,
			onclick: (e) => {
				e.stopPropagation();
				this.check(t.id, e.target.checked, e.shiftKey);
				this.listEl.focus();
			} }),
		h('span', 'who', who),
		h('span', 'what',
			h('span', 'subject', flat(t.subject) ||
				'(no subject)'),
			h('span', 'preview', flat(t.preview))),
		h('span', 'tags', h('span', 'here'),
			chips, (t.tags || []).slice(0,
			3 - chips.length).map((g) => h('span', 'tag', g))),
		count,
		h('span', {
			className: 'wait' + (waiting && secs > LONG_WAIT_S ? ' long' :
				'') + (waiting ? '' : ' muted'),
			title: (waiting ? 'Customer waiting' : t.status) + ' since ' +
				stamp(since),
		}, waiting ? ago(since, now) : t.status),
		t.assignee ? avatar(this.agentsById.get(t.assignee.id) ||
			t.assignee, 'small assignee') :
			h('span', { className: 'avatar small none', title: 'Unassigned' },
				'–'));
	}

	select(i, scroll = true) {
		const rows = this.listEl.children;
		if (!rows.length) {
			this.selId = null;
			this.listEl.removeAttribute('aria-activedescendant');
			return;
		}
		i = Math.max(0, Math.min(i, rows.length - 1));
		const old = this.listEl.querySelector('[aria-selected="true"]');
		if (old) {
			old.setAttribute('aria-selected', 'false');
			old.classList.remove('selected');
			if (old.dataset.label) {
				old.setAttribute('aria-label', old.dataset.label);
				delete old.dataset.label;
			}
		}
		const row = rows[i];
		row.setAttribute('aria-selected', 'true');
		row.classList.add('selected');
		this.listEl.setAttribute('aria-activedescendant', row.id);
		this.selIndex = i;
		this.selId = Number(row.dataset.id);
		if (scroll)
			row.scrollIntoView({ block: 'nearest' });
	}

	open(id, compose) {
		this.selId = id;
		this.ctx.listHash = withSelect(location.hash ||
			'#/inbox/unassigned', id);
		history.replaceState(null, '', this.ctx.listHash);
		this.ctx.navigate('#/t/' + id + (compose ? '?compose=' + compose :
			''));
	}

	// One key's change of ticket id, which the toast can take back.
	async change(id, body, done) {
		const t = this.tickets.find((x) => x.id === id);
		const back = t && (body.status ? { status: t.status } :
			{ assignee_id: t.assignee ? t.assignee.id : null });
		try {
			await api.patch('/tickets/' + id, body);
		} catch (e) {
			warn('Could not change #' + id + ': ' + e.message);
			return;
		}
		toast(done, { actions: [{ label: 'Open', run: () => this.open(id) },
			...back ? [{ label: 'Undo', run: () => this.change(id, back,
				'#' + id + ' is as it was.') }] : []] });
		await this.load({ quiet: true });
	}

	onKey(e) {
		const id = this.selId;
		const many = this.checked.size > 0;
		if (many && 'atemrs'.includes(e.key) && e.key.length === 1) {
			this.bulk({ a: 'assign', t: 'tag', e: 'status', m: 'merge',
				r: 'reply', s: 'solve' }[e.key]);
			return true;
		}
		switch (e.key) {
		case 'x':
			if (id)
				this.check(id, !this.checked.has(id));
			return !!id;
		case 'X':
			if (id)
				this.check(id, true, true);
			return !!id;
		case '*':
			this.checkAll(this.checked.size < this.tickets.length);
			return true;
		case 'Escape':
			if (!many)
				return false;
			this.checkAll(false);
			return true;
		case 'R':
			if (!this.spec.trend)
				return false;
			this.replyAll();
			return true;
		case 'j':
		case 'ArrowDown':
			this.select((this.selIndex || 0) + 1);
			return true;
		case 'k':
		case 'ArrowUp':
			this.select((this.selIndex || 0) - 1);
			return true;
		case 'Home':
			this.select(0);
			return true;
		case 'End':
			this.select(this.tickets.length - 1);
			return true;
		case 'Enter':
		case 'o':
			if (id)
				this.open(id);
			return !!id;
		case 'r':
		case 'n':
			if (id)
				this.open(id, e.key === 'r' ? 'reply' : 'note');
			return !!id;
		case 'a':
			if (id)
				mayTake(id, (this.tickets.find((t) => t.id === id) || {})
					.assignee, this.ctx.me).then((ok) => ok &&
					this.change(id, { assignee_id: this.ctx.me.id },
						'#' + id + ' is yours.'));
			return !!id;
		case 's':
			if (id)
				this.change(id, { status: 'solved' }, '#' + id +
					' solved.');
			return !!id;
		default:
			return false;
		}
	}

	onLive() {
		clearTimeout(this.timer);
		this.timer = setTimeout(() => {
			this.load({ quiet: true });
			if (this.showTrends)
				trends.strip(this.trendsEl);
			else if (this.spec.trend)
				this.trendHead();
		}, 250);
	}

	focus() {
		this.listEl.focus();
	}

	destroy() {
		this.destroyed = true;
		clearTimeout(this.timer);
		clearInterval(this.hereTimer);
		clearInterval(this.agesTimer);
	}
}
