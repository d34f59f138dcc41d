// tags.js - the admin page of tags: every tag in use with how many
// tickets carry it (and how many of those are open), renamed in place
// (a name already in use merges the two, after asking) or deleted from
// every ticket (after asking).
//
// Model: the list is GET /tags, drawn again after every change. A tag
// name goes into the path percent-encoded (PATCH and DELETE
// /tags/NAME). The server refuses the changes to anyone but an admin.

import * as api from './api.js';
import { h, fill, toast, modal, warn, plural } from './dom.js';

const path = (tag) => '/tags/' + encodeURIComponent(tag);

export class TagsView {
	constructor(ctx, main) {
		this.ctx = ctx;
		this.tags = [];
		this.tbody = h('tbody');
		this.empty = h('p', { className: 'muted', hidden: true },
			'No ticket carries a tag yet.');
		const admin = ctx.me.role === 'admin';
		fill(main, h('div', 'page tags-admin',
			h('div', 'list-head', h('h1', {}, 'Tags')),
			admin ? null : h('p', 'muted',
				'Only an admin can change this.'),
			h('table', 'grid', h('thead', {}, h('tr', {},
				['Tag', 'Tickets', 'Open', ''].map((x) => h('th', {}, x)))),
			this.tbody), this.empty));
		this.admin = admin;
		this.load();
	}

	async load() {
		let r;
		try {
			r = await api.get('/tags');
		} catch (e) {
			warn('Could not load the tags: ' + e.message);
			return;
		}
		if (this.destroyed)
			return;
		this.tags = r.tags;
		fill(this.tbody, r.tags.map((t) => this.row(t)));
		this.empty.hidden = r.tags.length > 0;
	}

	row(t) {
		const name = h('input', { value: t.tag, className: 'tag-name',
			'aria-label': 'Name of tag ' + t.tag, disabled: !this.admin,
			maxLength: 320, autocomplete: 'off' });
		const form = h('form', { className: 'inline',
			onsubmit: (e) => {
				e.preventDefault();
				if (name.value.trim())
					this.rename(t, name.value.trim());
				else {
					warn('A tag needs a name; Delete removes it.');
					name.value = t.tag;
				}
			} }, name,
		h('button', { type: 'submit', className: 'small',
			disabled: !this.admin }, 'Rename'));
		return h('tr', { dataset: { tag: t.tag } },
			h('td', {}, form),
			h('td', 'num', String(t.count)),
			h('td', 'num', String(t.open)),
			h('td', {}, this.admin ? h('button', { className: 'small danger delete-tag',
				onclick: () => this.remove(t) }, 'Delete') : null));
	}

	async rename(t, to) {
		// tamed keeps tags in NFC: "café" typed with a combining accent
		// is the "café" in use
		to = to.normalize('NFC');
		if (!to || to === t.tag)
			return;
		const into = this.tags.find((x) => x.tag === to);
		if (into && !await modal('Merge tags',
			h('p', {}, 'The tag “' + to + '” is in use. Rename “' + t.tag +
				'” to it and merge the two (' + t.count + ' + ' +
				into.count + ' tickets)?'),
			[{ label: 'Merge', primary: true, value: true }]))
			return;
		let r;
		try {
			r = await api.patch(path(t.tag), { name: to });
		} catch (e) {
			warn('Could not rename “' + t.tag + '”: ' + e.message);
			return;
		}
		toast('“' + t.tag + '” is now “' + r.tag + '” on ' +
			plural(r.tickets, 'ticket') + '.');
		this.load();
	}

	async remove(t) {
		if (!await modal('Delete tag',
			h('p', {}, 'Remove “' + t.tag + '” from ' +
				plural(t.count, 'ticket') + '?'),
			[{ label: 'Delete', danger: true, value: true }]))
			return;
		try {
			await api.del(path(t.tag));
		} catch (e) {
			warn('Could not delete “' + t.tag + '”: ' + e.message);
			return;
		}
		toast('“' + t.tag + '” deleted.');
		this.load();
	}

	destroy() {
		this.destroyed = true;
	}
}
