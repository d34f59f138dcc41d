// replies.js - saved replies: the library page (write, change, delete;
// shared with the team or personal) and the picker of the composer,
// opened with "/" at the start of a line, which finds a reply by a few
// letters of its title and puts it, rendered for this ticket, where the
// "/" was.
//
// Model: GET /saved-replies lists the shared ones and the agent's own;
// POST /saved-replies/ID/render fills the placeholders for one ticket
// (the same code the bulk and trend replies use, so what is inserted is
// what a customer would get).

import * as api from './api.js';
import { h, fill, toast, modal, field, personName, warn } from './dom.js';

export const PLACEHOLDERS = ['customer.first_name', 'customer.name',
	'customer.email', 'ticket.id', 'ticket.subject', 'agent.name',
	'agent.first_name'];

// How well query q matches s: letters of q in order in s, tighter and
// earlier is better; 0 when they are not all there.
export function fuzzy(q, s) {
	q = q.toLowerCase();
	s = s.toLowerCase();
	if (!q)
		return 1;
	const at = s.indexOf(q);
	if (at >= 0)
		return 1000 - at;
	let score = 0;
	let j = 0;
	let last = -1;
	for (const c of q) {
		j = s.indexOf(c, j);
		if (j < 0)
			return 0;
		score += j === last + 1 ? 10 : /\W/.test(s[j - 1] || ' ') ? 6 : 1;
		last = j++;
	}
	return score;
}

export async function load() {
	return (await api.get('/saved-replies')).saved_replies;
}

// The picker: resolves with the chosen saved reply or null.
export async function pick() {
	let all;
	try {
		all = await load();
	} catch (e) {
		warn(api.missing(e) ? 'This server has no saved replies.' :
			'Could not load the saved replies: ' + e.message);
		return null;
	}
	if (!all.length) {
		toast('No saved replies yet: write some under Saved replies (g r).');
		return null;
	}
	let shown = all;
	let at = 0;
	const input = h('input', { id: 'picker-q', type: 'search',
		autocomplete: 'off', placeholder: 'Type to find a saved reply',
		role: 'combobox', 'aria-controls': 'picker-list',
		'aria-expanded': 'true' });
	const list = h('ul', { id: 'picker-list', role: 'listbox',
		className: 'picker-list', 'aria-label': 'Saved replies' });
	const draw = () => {
		fill(list, shown.map((r, i) => h('li', {
			id: 'pick-' + r.id, role: 'option',
			'aria-selected': String(i === at),
			className: i === at ? 'on' : '',
			onclick: () => list.closest('dialog').done(r),
		}, h('strong', {}, r.title), r.shared ? null :
			h('span', { className: 'pill small' }, 'personal'),
		h('div', { className: 'muted clip' }, r.body.slice(0, 140)))));
		if (shown[at]) {
			input.setAttribute('aria-activedescendant', 'pick-' + shown[at].id);
			list.children[at].scrollIntoView({ block: 'nearest' });
		}
	};
	input.addEventListener('input', () => {
		const q = input.value.trim();
		shown = all.map((r) => [Math.max(fuzzy(q, r.title) * 2,
			fuzzy(q, r.body) > 999 ? 500 : 0), r]).filter(([s]) => s > 0)
			.sort((a, b) => b[0] - a[0]).map(([, r]) => r);
		at = 0;
		draw();
	});
	input.addEventListener('keydown', (e) => {
		if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
			e.preventDefault();
			at = Math.max(0, Math.min(shown.length - 1,
				at + (e.key === 'ArrowDown' ? 1 : -1)));
			draw();
		} else if (e.key === 'Enter') {
			e.preventDefault();
			if (shown[at])
				input.closest('dialog').done(shown[at]);
		}
	});
	draw();
	return modal('Insert a saved reply', h('div', { className: 'picker' },
		input, list), [{ label: 'Insert', primary: true,
		value: () => shown[at] || false }], () => input.focus());
}

// The reply r as ticket tid's customer would get it.
export async function render(r, tid) {
	return (await api.post('/saved-replies/' + r.id + '/render',
		{ ticket_id: tid })).body;
}

export class RepliesView {
	constructor(ctx, main) {
		this.ctx = ctx;
		this.listEl = h('div', { className: 'cards' });
		fill(main, h('div', { className: 'page' },
			h('div', { className: 'list-head' }, h('h1', {}, 'Saved replies'),
				h('span', { className: 'spacer' }),
				h('button', { type: 'button', className: 'primary',
					id: 'new-reply', 'aria-keyshortcuts': 'c',
					onclick: () => this.edit(null) }, 'New saved reply')),
			h('p', { className: 'muted' }, 'Insert one in the composer ' +
				'with / at the start of a line. Placeholders: ' +
				PLACEHOLDERS.map((p) => '{{' + p + '}}').join(' ')),
			this.listEl));
		this.load();
	}

	async load() {
		let all;
		try {
			all = await load();
		} catch (e) {
			fill(this.listEl, h('p', { className: 'muted' },
				api.missing(e) ? 'This server has no saved replies yet.' :
					'Could not load the saved replies: ' + e.message));
			return;
		}
		if (this.destroyed)
			return;
		this.all = all;
		fill(this.listEl, all.length ? all.map((r) => this.card(r)) :
			h('p', { className: 'muted' }, 'None yet.'));
	}

	card(r) {
		const mine = r.owner && r.owner.id === this.ctx.me.id;
		const may = mine || (r.shared && this.ctx.me.role === 'admin');
		return h('article', { className: 'card reply-card',
			dataset: { title: r.title } },
		h('header', {}, h('h2', {}, r.title),
			h('span', { className: 'pill small' }, r.shared ? 'shared' :
				'personal'),
			h('span', { className: 'muted small' }, ' by ' +
				personName(r.owner)),
			h('span', { className: 'spacer' }),
			may ? h('button', { type: 'button', className: 'small',
				onclick: () => this.edit(r) }, 'Edit') : null,
			may ? h('button', { type: 'button', className: 'small ghost',
				onclick: () => this.remove(r) }, 'Delete') : null),
		h('div', { className: 'text' }, r.body));
	}

	async edit(r) {
		const title = h('input', { id: 'reply-title', value: r ? r.title : '',
			required: true });
		const body = h('textarea', { id: 'reply-body', rows: 8,
			value: r ? r.body : '',
			placeholder: 'Hi {{customer.first_name}},\n\n…' });
		const shared = h('input', { id: 'reply-shared', type: 'checkbox',
			checked: r ? r.shared : true });
		const save = async () => {
			const data = { title: title.value.trim(), body: body.value,
				shared: shared.checked };
			if (!data.title || !data.body.trim()) {
				warn('A saved reply needs a title and a text.');
				return false;
			}
			try {
				if (r)
					await api.patch('/saved-replies/' + r.id, data);
				else
					await api.post('/saved-replies', data);
			} catch (e) {
				warn('Not saved: ' + e.message);
				return false;
			}
			return true;
		};
		if (await modal(r ? 'Change saved reply' : 'New saved reply',
			h('div', { className: 'form-grid wide' }, field('Title', title),
				field('Text', body, 'placeholders: ' + PLACEHOLDERS.map(
					(p) => '{{' + p + '}}').join(' ')),
				h('label', { className: 'check' }, shared,
					' Shared with the team (otherwise only you see it)')),
			[{ label: 'Save', primary: true, value: save }],
			() => title.focus())) {
			toast('Saved reply “' + title.value.trim() + '” saved.');
			this.load();
		}
	}

	async remove(r) {
		if (!await modal('Delete “' + r.title + '”?', h('p', {},
			r.shared ? 'Nobody in the team will have it any more.' :
				'It is gone for good.'),
		[{ label: 'Delete', danger: true, value: true }]))
			return;
		try {
			await api.del('/saved-replies/' + r.id);
		} catch (e) {
			warn('Not deleted: ' + e.message);
			return;
		}
		toast('Deleted.');
		this.load();
	}

	onKey(e) {
		if (e.key === 'c') {
			this.edit(null);
			return true;
		}
		return false;
	}

	destroy() {
		this.destroyed = true;
	}
}
