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
import { h, fill, toast, modal, field, personName, warn, fuzzy, picker }
	from './dom.js';

export const PLACEHOLDERS = ['customer.first_name', 'customer.name',
	'customer.email', 'ticket.id', 'ticket.subject', 'agent.name',
	'agent.first_name'];

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
	return picker('Insert a saved reply', all, { id: 'picker',
		label: 'Saved replies', hint: 'Type to find a saved reply',
		button: 'Insert', key: (r) => 'pick-' + r.id,
		score: (q, r) => Math.max(fuzzy(q, r.title) * 2,
			fuzzy(q, r.body) > 999 ? 500 : 0),
		row: (r) => [h('strong', {}, r.title), r.shared ? null :
			h('span', 'pill small', 'personal'),
		h('div', 'muted clip', r.body.slice(0, 140))] });
}

// The reply r as ticket tid's customer would get it.
export async function render(r, tid) {
	return (await api.post('/saved-replies/' + r.id + '/render',
		{ ticket_id: tid })).body;
}

export class RepliesView {
	constructor(ctx, main) {
		this.ctx = ctx;
		this.listEl = h('div', 'cards');
		fill(main, h('div', 'page',
			h('div', 'list-head', h('h1', {}, 'Saved replies'),
				h('span', 'spacer'),
				h('button', { className: 'primary',
					id: 'new-reply', 'aria-keyshortcuts': 'c',
					onclick: () => this.edit(null) }, 'New saved reply')),
			h('p', 'muted', 'Insert one in the composer ' +
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
			fill(this.listEl, h('p', 'muted',
				api.missing(e) ? 'This server has no saved replies yet.' :
					'Could not load the saved replies: ' + e.message));
			return;
		}
		if (this.destroyed)
			return;
		this.all = all;
		fill(this.listEl, all.length ? all.map((r) => this.card(r)) :
			h('p', 'muted', 'None yet.'));
	}

	card(r) {
		const mine = r.owner && r.owner.id === this.ctx.me.id;
		const may = mine || (r.shared && this.ctx.me.role === 'admin');
		return h('article', { className: 'card reply-card',
			dataset: { title: r.title } },
		h('header', {}, h('h2', {}, r.title),
			h('span', 'pill small', r.shared ? 'shared' :
				'personal'),
			h('span', 'muted small', ' by ' +
				personName(r.owner)),
			h('span', 'spacer'),
			may ? h('button', { className: 'small',
				onclick: () => this.edit(r) }, 'Edit') : null,
			may ? h('button', { className: 'small ghost',
				onclick: () => this.remove(r) }, 'Delete') : null),
		h('div', 'text', r.body));
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
			h('div', 'form-grid wide', field('Title', title),
				field('Text', body, 'placeholders: ' + PLACEHOLDERS.map(
					(p) => '{{' + p + '}}').join(' ')),
				h('label', 'check', shared,
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
