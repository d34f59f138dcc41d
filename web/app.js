// app.js - the agents' web app: sign-in, the routes between the inbox
// and a ticket, global keyboard shortcuts and live updates.
//
// Model: one page, routes in the location hash (#/inbox/VIEW,
// #/mailbox/ID, #/trend/ID, #/filter/ID, #/t/ID, with ?sort=, ?priority=
// and ?q=; #/trends, #/replies, #/profile, #/admin/agents,
// #/admin/mailboxes, #/admin/tags), so reload
// and the back button work and the server serves a single index.html. One view is
// mounted in <main> at a time; it gets the keys the app does not take
// and the live events. Everything goes through api.js; nothing here
// parses HTML.
//
// Loading: boot.js has asked for the session and the first list; only
// the modules of the inbox are imported here (and preloaded by
// index.html). The ticket view and the settings pages are imported when
// first shown, and all of them once the first view is painted, so that
// opening a ticket does not wait for its code.

import * as api from './api.js';
import * as live from './live.js';
import { h, fill, keepPlace, typing, avatar, personName, when, warn,
	DRAFTS_KEY } from './dom.js';
import { InboxView } from './inbox.js';
import { VIEWS, FIRST_VIEW, parseHash } from './queue.js';
import * as filters from './filters.js';
import * as notify from './notify.js';
import { session } from './boot.js';

// The ticket view's module once loaded (its sends in flight count), and
// bulk.js's (its held replies to many count too).
let ticketMod = null;
let bulkMod = null;
const ticketView = () => import('./ticket.js').then((m) => {
	ticketMod = m;
	return m.TicketView;
});

// Pages beside the queue: hash, title, view class (loaded), shortcut
// after g, admin.
const PAGES = [
	['replies', 'Saved replies',
		() => import('./replies.js').then((m) => m.RepliesView), 'r'],
	['profile', 'Your profile',
		() => import('./profile.js').then((m) => m.ProfileView), 'e'],
	['admin/agents', 'Agents',
		() => import('./admin.js').then((m) => m.AgentsView), 't', true],
	['admin/mailboxes', 'Mailboxes',
		() => import('./admin.js').then((m) => m.MailboxesView), 'b', true],
	['admin/tags', 'Tags',
		() => import('./tags.js').then((m) => m.TagsView), 'l', true],
];

// Every trend (trend_manage.js), a view of the queue beside VIEWS.
const TRENDS = ['trends', 'Trends',
	() => import('./trend_manage.js').then((m) => m.TrendsView)];

const $ = (id) => document.getElementById(id);

// What the views share.
const ctx = {
	me: null,
	// resolved once the first view is painted (painted()): what is not
	// part of the first view waits for it
	whenPainted: null,
	painted: null,
	ready: Promise.resolve(),   // agents and mailboxes loaded
	agents: [],
	mailboxes: [],
	list: [],               // ids of the tickets the inbox last showed
	listHash: '#/inbox/unassigned',
	navigate(hash) {
		if (location.hash === hash)
			route();
		else
			location.hash = hash;
	},
	agentName(id) {
		const a = this.agents.find((x) => x.id === id);
		return a ? personName(a) : 'agent #' + id;
	},
	// The signed-in agent changed (name, avatar).
	onMe() {
		fill($('me'), avatar(this.me), h('span', 'me-name',
			personName(this.me)));
	},
	renderNav() {
		renderNav(navActive);
	},
};

let view = null;
let gPrefix = false;
let navActive = null;
// Counts the routes shown: a view whose code came after the next route
// is not mounted.
let routeSeq = 0;
let pendingKeys = null;
let warm = false;

function showLogin(message) {
	live.stop();
	notify.stop();
	if (view)
		view.destroy();
	view = null;
	ctx.me = null;
	// rows tamed drew into the page are not to come back at sign-in
	delete $('main').dataset.first;
	fill($('main'));
	$('app').hidden = true;
	$('login').hidden = false;
	$('login-error').textContent = message || '';
	$('login-password').value = '';
	$('login-email').focus();
}

async function enter(agent) {
	ctx.me = agent;
	$('login').hidden = true;
	$('app').hidden = false;
	ctx.onMe();
	ctx.whenPainted = new Promise((resolve) => {
		// after the frame: a message posted from its animation frame
		// callback runs once the frame is done; then a task of its own,
		// after what else was waiting for that frame
		ctx.painted = () => requestAnimationFrame(() => {
			const ch = new MessageChannel();
			ch.port1.onmessage = () => setTimeout(resolve);
			ch.port2.postMessage(0);
		});
		// a tab in the background paints nothing
		setTimeout(resolve, 1500);
	});
	// What the first view does not show waits for it to be painted: the
	// profile fields the session does not carry, the notifications, the
	// agents and mailboxes (the list does not need them, a ticket does),
	// the counts and the code of the other views.
	ctx.ready = ctx.whenPainted.then(() => Promise.all([api.get('/agents'),
		api.get('/mailboxes')])).then(([agents, mailboxes]) => {
		ctx.agents = agents.agents;
		ctx.mailboxes = mailboxes.mailboxes;
		if (ctx.me === agent)
			renderNav(navActive);
	}).catch((e) => {
		warn('Could not load agents and mailboxes: ' + e.message);
	});
	ctx.whenPainted.then(() => {
		if (ctx.me !== agent)
			return;
		api.get('/agents/me').then((a) => {
			Object.assign(agent, a);
			ctx.onMe();
		}, () => {});
		notify.start(ctx, $('bell'));
		idle(warmUp);
		setTimeout(() => {
			if (ctx.me === agent)
				filters.counts(ctx);
		}, 500);
	});
	filters.load(ctx);
	live.start($('live-state'));
	route();
}

// Runs fn when the page has nothing else to do (soon, at the latest).
function idle(fn) {
	if (window.requestIdleCallback)
		requestIdleCallback(fn, { timeout: 1000 });
	else
		setTimeout(fn, 100);
}

// The code of the views not shown yet, loaded after the first paint,
// and the date format the ticket view uses (see dom.js).
function warmUp() {
	if (warm)
		return;
	warm = true;
	for (const load of [ticketView, TRENDS[2], ...PAGES.map((p) => p[2])])
		load().catch(() => {});
	import('./bulk.js').then((m) => {
		bulkMod = m;
	}, () => {});
	idle(() => when(null));
}

// ---- navigation

// Mounts the view made by new View(ctx, main, id) once its class (a
// promise) is there, unless another route was taken meanwhile. The
// view's keys pressed while its code loads are given to it then. A page
// (no id) gives its heading the focus, so a screen reader says where
// the agent is (a link or shortcut that led there is gone).
function mount(seq, klass, main, id) {
	const keys = [];
	pendingKeys = keys;
	klass.then((View) => {
		if (seq !== routeSeq || !ctx.me)
			return;
		pendingKeys = null;
		view = new View(ctx, main, id);
		const t = !id && main.querySelector('h1');
		if (t) {
			t.tabIndex = -1;
			t.focus();
		}
		for (const e of keys)
			if (view.onKey)
				view.onKey(e);
	}, (e) => {
		if (seq === routeSeq)
			warn('Could not load this page: ' + e.message);
	});
}

function renderNav(active) {
	navActive = active;
	const link = (href, label, key, current) => h('a', {
		href, className: 'view-link',
		'aria-current': current ? 'page' : null,
		'aria-keyshortcuts': key ? 'g ' + key : null,
	}, label);
	const count = (key) => {
		const n = filters.countOf(key);
		return n === undefined ? null :
			h('span', { className: 'n', 'aria-label': n + ' tickets' }, n);
	};
	const items = VIEWS.map((v) => link('#/inbox/' + v.id, [v.label,
		count('inbox/' + v.id)], v.key, active === 'inbox/' + v.id))
		.concat(link('#/trends', 'Trends', null, active === 'trends'));
	const saved = filters.list().map((f, i) => link('#/filter/' + f.id,
		[f.name, count('filter/' + f.id)], i < 9 ? String(i + 1) : null,
		active === 'filter/' + f.id));
	const boxes = ctx.mailboxes.map((m) => link('#/mailbox/' + m.id,
		[m.name || m.address, count('mailbox/' + m.id)], null,
		active === 'mailbox/' + m.id));
	const pages = PAGES.filter((p) => !p[4] || ctx.me.role === 'admin')
		.map(([id, label, , key]) => link('#/' + id, label, key,
			active === id));
	// (drawn again as the counts change: the focus stays on its link)
	keepPlace($('views'), () => fill($('views'),
		h('h2', 'nav-title', 'Views'), items,
		h('h2', 'nav-title', 'Filters'), saved,
		h('button', { className: 'link small new-filter',
			'aria-keyshortcuts': 'Shift+F', 'data-key': 'new-filter',
			onclick: () => filters.edit(ctx) }, '+ New filter'),
		boxes.length ? h('h2', 'nav-title', 'Mailboxes') :
			null, boxes,
		h('h2', 'nav-title', 'Settings'), pages));
}

function route() {
	if (!ctx.me)
		return;
	const { parts, params } = parseHash(location.hash);
	const seq = ++routeSeq;
	pendingKeys = null;
	if (view)
		view.destroy();
	view = null;
	const main = $('main');
	// rows tamed drew into the page (first.js) stay until the inbox has
	// its own to put in their place (and drops data-first), when they are
	// of the view asked for
	const first = !!main.dataset.first && FIRST_VIEW.test(location.hash);
	if (!first) {
		delete main.dataset.first;
		fill(main);
	}
	$('search').value = params.get('q') || '';
	const id = /^\d+$/.test(parts[1] || '') ? Number(parts[1]) : null;
	if (parts[0] === 't' && id) {
		renderNav(null);
		ctx.painted();
		mount(seq, ticketView(), main, id);
		return;
	}
	const pageId = parts.join('/');
	const page = PAGES.concat([TRENDS]).find((p) => p[0] === pageId);
	if (page) {
		renderNav(pageId);
		document.title = page[1] + ' · Tame';
		ctx.painted();
		mount(seq, page[2](), main);
		return;
	}
	let spec = { view: 'unassigned' };
	if ((parts[0] === 'mailbox' || parts[0] === 'trend') && id)
		spec = { [parts[0]]: id };
	else if (parts[0] === 'filter' && filters.get(parts[1]))
		spec = { filter: filters.get(parts[1]) };
	else if (parts[0] === 'inbox' && VIEWS.some((v) => v.id === parts[1]))
		spec = { view: parts[1] };
	spec.sort = params.get('sort') || '';
	spec.priority = params.get('priority') || '';
	spec.q = params.get('q') || '';
	spec.select = Number(params.get('select')) || null;
	renderNav(spec.mailbox ? 'mailbox/' + spec.mailbox : spec.filter ?
		'filter/' + spec.filter.id : spec.trend ? 'trends' :
		'inbox/' + spec.view);
	ctx.listHash = location.hash || '#/inbox/unassigned';
	spec.first = first;
	view = new InboxView(ctx, main, spec);
}

// ---- keyboard

function onKey(e) {
	if (e.defaultPrevented || e.altKey || e.metaKey ||
	    (e.ctrlKey && e.key !== 'Enter'))
		return;
	// an open dialog has the keys to itself (Escape closes it)
	if (document.querySelector('dialog[open]'))
		return;
	// Enter and space on a link or button are theirs.
	if ((e.key === 'Enter' || e.key === ' ') && e.target.closest &&
	    e.target.closest('a, button, summary'))
		return;
	if (typing(e.target)) {
		if (e.key === 'Escape') {
			e.target.blur();
			if (view && view.focus)
				view.focus();
			e.preventDefault();
		}
		return;
	}
	if (gPrefix) {
		gPrefix = false;
		const v = VIEWS.find((x) => x.key === e.key);
		const p = PAGES.find((x) => x[3] === e.key &&
			(!x[4] || ctx.me.role === 'admin'));
		const f = /^[1-9]$/.test(e.key) && filters.list()[e.key - 1];
		const to = v ? '#/inbox/' + v.id : p ? '#/' + p[0] :
			f ? '#/filter/' + f.id : null;
		if (to) {
			ctx.navigate(to);
			e.preventDefault();
		}
		return;
	}
	if (e.key === 'F' && view instanceof InboxView) {
		filters.edit(ctx, view.filterSeed());
		e.preventDefault();
		return;
	}
	if (e.key === 'N') {
		notify.open();
		e.preventDefault();
		return;
	}
	if (e.key === '?') {
		$('help').showModal();
		e.preventDefault();
		return;
	}
	if (e.key === '/') {
		$('search').focus();
		$('search').select();
		e.preventDefault();
		return;
	}
	if (e.key === 'g') {
		gPrefix = true;
		setTimeout(() => { gPrefix = false; }, 1500);
		return;
	}
	if (view && view.onKey && view.onKey(e))
		e.preventDefault();
	else if (!view && pendingKeys && (e.key.length === 1 ||
	    e.key === 'Escape' || e.key === 'Enter')) {
		pendingKeys.push(e);
		e.preventDefault();
	}
}

// ---- start

function wire() {
	api.setUnauthorizedHandler(() =>
		showLogin('Your session ended; please sign in again.'));
	$('login-form').addEventListener('submit', async (e) => {
		e.preventDefault();
		const email = $('login-email').value.trim();
		const password = $('login-password').value;
		$('login-error').textContent = '';
		if (!email || !password) {
			$('login-error').textContent =
				'Enter your email and password.';
			return;
		}
		try {
			await enter(await api.login(email, password));
		} catch (err) {
			$('login-error').textContent =
				err.code === 'invalid_credentials' ?
				'Wrong email or password.' :
				err.code === 'account_disabled' ?
				'This account is disabled. Ask an admin.' :
				err.message;
		}
	});
	$('logout').addEventListener('click', async () => {
		if (ticketMod)
			await ticketMod.flushSends();
		if (bulkMod)
			await bulkMod.flushSends();
		// unsent text stays in no browser after signing out
		if (ticketMod)
			ticketMod.forgetDrafts();
		try {
			localStorage.removeItem(DRAFTS_KEY);
		} catch (e) {
			// storage off: nothing kept
		}
		try {
			await api.logout();
		} catch (e) {
			// the session is gone either way
		}
		history.replaceState(null, '', '#/inbox/unassigned');
		showLogin('Signed out.');
	});
	$('help-button').addEventListener('click', () => $('help').showModal());
	// "Skip to content" goes there without a route of its own (#main)
	document.querySelector('.skip').addEventListener('click', (e) => {
		e.preventDefault();
		$('main').focus();
	});
	$('search-form').addEventListener('submit', async (e) => {
		e.preventDefault();
		const q = $('search').value.trim();
		// "#31" opens ticket 31 when there is one; else, and a bare
		// number (an order number in a mail), is searched as text
		const num = /^#([1-9][0-9]{0,15})$/.exec(q);
		if (num) {
			try {
				await api.get('/tickets/' + num[1]);
				$('search').value = '';
				ctx.navigate('#/t/' + num[1]);
				return;
			} catch (err) {
				// no such ticket: searched
			}
		}
		const base = ctx.listHash.split('?')[0];
		const params = new URLSearchParams(ctx.listHash.split('?')[1] ||
			'');
		if (q)
			params.set('q', q);
		else
			params.delete('q');
		params.delete('select');
		const s = params.toString();
		ctx.navigate(base + (s ? '?' + s : ''));
	});
	document.addEventListener('keydown', onKey);
	window.addEventListener('hashchange', route);
	window.addEventListener('beforeunload', (e) => {
		if ((ticketMod && ticketMod.pendingSends() > 0) ||
		    (bulkMod && bulkMod.pendingSends() > 0)) {
			e.preventDefault();
			e.returnValue = '';
		}
	});
	live.subscribe((ev) => {
		if (view && view.onLive)
			view.onLive(ev);
		filters.onLive(ctx);
		notify.onLive();
	});
}

async function boot() {
	wire();
	const { agent, error } = await session;
	if (error)
		showLogin('Tame cannot be reached: ' + error.message);
	else if (agent)
		await enter(agent);
	else
		showLogin();
}

boot();
