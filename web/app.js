// app.js - the agents' web app: sign-in, the routes between the inbox
// and a ticket, global keyboard shortcuts and live updates.
//
// Model: one page, routes in the location hash (#/inbox/VIEW,
// #/mailbox/ID, #/trend/ID, #/filter/ID, #/t/ID, with ?sort=, ?priority=
// and ?q=; #/replies, #/profile, #/admin/agents, #/admin/mailboxes,
// #/admin/tags), so reload
// and the back button work and the server serves a single index.html. One view is
// mounted in <main> at a time; it gets the keys the app does not take
// and the live events. Everything goes through api.js; nothing here
// parses HTML.

import * as api from './api.js';
import * as live from './live.js';
import { h, fill, typing, avatar, personName, warn } from './dom.js';
import { InboxView, VIEWS } from './inbox.js';
import { TicketView, pendingSends, flushSends } from './ticket.js';
import { AgentsView, MailboxesView } from './admin.js';
import { TagsView } from './tags.js';
import { ProfileView } from './profile.js';
import { RepliesView } from './replies.js';
import * as filters from './filters.js';
import * as notify from './notify.js';

// Pages beside the queue: hash, title, class, shortcut after g, admin.
const PAGES = [
	['replies', 'Saved replies', RepliesView, 'r'],
	['profile', 'Your profile', ProfileView, 'e'],
	['admin/agents', 'Agents', AgentsView, 't', true],
	['admin/mailboxes', 'Mailboxes', MailboxesView, 'b', true],
	['admin/tags', 'Tags', TagsView, 'l', true],
];

const $ = (id) => document.getElementById(id);

// What the views share.
const ctx = {
	me: null,
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
		fill($('me'), avatar(this.me), h('span', { className: 'me-name' },
			personName(this.me)));
	},
	renderNav() {
		renderNav(navActive);
	},
};

let view = null;
let gPrefix = false;
let navActive = null;

function showLogin(message) {
	live.stop();
	notify.stop();
	if (view)
		view.destroy();
	view = null;
	ctx.me = null;
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
	// the profile fields (signature, avatar) the session does not carry
	api.get('/agents/me').then((a) => {
		Object.assign(agent, a);
		ctx.onMe();
	}, () => {});
	notify.start(ctx, $('bell'));
	// The list does not wait for agents and mailboxes; a ticket does.
	ctx.ready = Promise.all([api.get('/agents'), api.get('/mailboxes')])
		.then(([agents, mailboxes]) => {
			ctx.agents = agents.agents;
			ctx.mailboxes = mailboxes.mailboxes;
			renderNav(navActive);
		}).catch((e) => {
			warn('Could not load agents and mailboxes: ' + e.message);
		});
	live.start($('live-state'));
	route();
	// the counts wait until the first view is painted
	setTimeout(() => filters.counts(ctx), 1000);
}

// ---- navigation

function parseHash() {
	const raw = location.hash.replace(/^#/, '') || '/inbox/unassigned';
	const [path, query] = raw.split('?');
	const params = new URLSearchParams(query || '');
	const parts = path.split('/').filter(Boolean);
	return { parts, params };
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
		count('inbox/' + v.id)], v.key, active === 'inbox/' + v.id));
	const saved = filters.list().map((f, i) => link('#/filter/' + f.id,
		[f.name, count('filter/' + f.id)], i < 9 ? String(i + 1) : null,
		active === 'filter/' + f.id));
	const boxes = ctx.mailboxes.map((m) => link('#/mailbox/' + m.id,
		[m.name || m.address, count('mailbox/' + m.id)], null,
		active === 'mailbox/' + m.id));
	const pages = PAGES.filter((p) => !p[4] || ctx.me.role === 'admin')
		.map(([id, label, , key]) => link('#/' + id, label, key,
			active === id));
	fill($('views'),
		h('h2', { className: 'nav-title' }, 'Views'), items,
		h('h2', { className: 'nav-title' }, 'Filters'), saved,
		h('button', { type: 'button', className: 'link small new-filter',
			'aria-keyshortcuts': 'Shift+F',
			onclick: () => filters.edit(ctx) }, '+ New filter'),
		boxes.length ? h('h2', { className: 'nav-title' }, 'Mailboxes') :
			null, boxes,
		h('h2', { className: 'nav-title' }, 'Settings'), pages);
}

function route() {
	if (!ctx.me)
		return;
	const { parts, params } = parseHash();
	if (view)
		view.destroy();
	view = null;
	const main = $('main');
	fill(main);
	$('search').value = params.get('q') || '';
	const id = /^\d+$/.test(parts[1] || '') ? Number(parts[1]) : null;
	if (parts[0] === 't' && id) {
		renderNav(null);
		view = new TicketView(ctx, main, id);
		return;
	}
	const pageId = parts.join('/');
	const page = PAGES.find((p) => p[0] === pageId);
	if (page) {
		renderNav(pageId);
		document.title = page[1] + ' · Tame';
		view = new page[2](ctx, main);
		return;
	}
	document.title = 'Tame';
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
		'filter/' + spec.filter.id : spec.trend ? null :
		'inbox/' + spec.view);
	ctx.listHash = location.hash || '#/inbox/unassigned';
	view = new InboxView(ctx, main, spec);
}

// ---- keyboard

function onKey(e) {
	if (e.defaultPrevented || e.altKey || e.metaKey ||
	    (e.ctrlKey && e.key !== 'Enter'))
		return;
	if ($('help').open)
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
				'Wrong email or password.' : err.message;
		}
	});
	$('logout').addEventListener('click', async () => {
		await flushSends();
		try {
			await api.logout();
		} catch (e) {
			// the session is gone either way
		}
		history.replaceState(null, '', '#/inbox/unassigned');
		showLogin('Signed out.');
	});
	$('help-button').addEventListener('click', () => $('help').showModal());
	$('search-form').addEventListener('submit', (e) => {
		e.preventDefault();
		const q = $('search').value.trim();
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
		if (pendingSends() > 0) {
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
	let agent = null;
	try {
		agent = await api.restoreSession();
	} catch (e) {
		showLogin('Tame cannot be reached: ' + e.message);
		return;
	}
	if (agent)
		await enter(agent);
	else
		showLogin();
}

boot();
