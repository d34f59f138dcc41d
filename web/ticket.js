// ticket.js - one ticket: the conversation, what the agent can change
// (assignee, status, priority, tags), the customer beside it, and the
// composer for replies and internal notes.
//
// Model: the ticket is GET /tickets/ID, rendered again whole (but the
// composer) after every change and every live event about it. A reply
// is held here for a few seconds before it is POSTed, so "Undo" really
// takes it back; held replies live in this module, not in the view, so
// leaving the ticket does not lose one (and the page warns before it
// unloads with one held). Unsent text is kept per ticket in memory as a
// draft.

import * as api from './api.js';
import { h, fill, ago, when, avatar, personName, toast } from './dom.js';
import { renderMessage } from './message.js';
import { withSelect, VIEWS } from './inbox.js';

const STATUSES = ['new', 'open', 'pending', 'solved', 'closed'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

// How long a reply can be taken back; tests shorten it.
function undoMs() {
	const v = Number(localStorage.getItem('tame.undoMs'));
	return v > 0 ? v : 5000;
}

const held = new Map();    // key -> {now(), undo()}
const drafts = new Map();  // ticket id -> {mode, text, cc}
let heldSeq = 0;
let current = null;        // the mounted TicketView

export function pendingSends() {
	return held.size;
}

// Sends every held reply at once (before signing out).
export async function flushSends() {
	await Promise.all(Array.from(held.values(), (s) => s.now()));
}

function holdReply(ticketId, body) {
	const key = ++heldSeq;
	let timer = null;
	let note = null;
	const job = {
		async now() {
			if (!held.delete(key))
				return;
			clearTimeout(timer);
			if (note)
				note.close();
			try {
				const r = await api.post('/tickets/' + ticketId +
					'/replies', body);
				toast('Reply to #' + ticketId + ' ' +
					(r.message.delivery &&
					 r.message.delivery.state === 'sent' ? 'sent.' :
						'queued for sending.'));
			} catch (e) {
				drafts.set(ticketId, { mode: 'reply', text: body.text,
					cc: (body.cc || []).join(', ') });
				toast('Reply to #' + ticketId + ' was not sent: ' +
					e.message + '. It is back in the composer.',
				{ kind: 'bad', timeout: 10000 });
			}
			if (current && current.id === ticketId)
				current.reload(true);
		},
		undo() {
			if (!held.delete(key))
				return;
			clearTimeout(timer);
			drafts.set(ticketId, { mode: 'reply', text: body.text,
				cc: (body.cc || []).join(', ') });
			if (current && current.id === ticketId)
				current.restoreDraft();
			toast('Reply taken back; it is in the composer again.');
		},
	};
	held.set(key, job);
	const secs = Math.round(undoMs() / 1000);
	note = toast('Sending reply to #' + ticketId + (secs ? ' in ' + secs +
		' s' : '') + '…', {
		timeout: 0, kind: 'held',
		actions: [{ label: 'Undo', run: () => job.undo() },
			{ label: 'Send now', run: () => job.now() }],
	});
	timer = setTimeout(() => job.now(), undoMs());
}

export class TicketView {
	constructor(ctx, main, id) {
		this.ctx = ctx;
		this.id = id;
		this.t = null;
		current = this;
		const params = new URLSearchParams(location.hash.split('?')[1] ||
			'');
		this.build(main);
		this.reload().then(() => {
			const c = params.get('compose');
			if (c === 'reply' || c === 'note')
				this.compose(c);
			else
				this.convEl.focus();
		});
	}

	build(main) {
		this.headEl = h('div', { className: 'ticket-head' });
		this.actionsEl = h('div', { className: 'actions',
			'aria-label': 'Ticket properties', role: 'group' });
		this.convEl = h('section', { className: 'conversation',
			'aria-label': 'Conversation', tabindex: '-1' });
		this.sideEl = h('aside', { className: 'side',
			'aria-label': 'Customer' });
		this.buildComposer();
		fill(main, h('div', { className: 'ticket' },
			h('div', { className: 'ticket-main' }, this.headEl,
				this.actionsEl, this.convEl, this.composerEl),
			this.sideEl));
	}

	buildComposer() {
		this.mode = 'reply';
		this.textEl = h('textarea', {
			id: 'composer-text', rows: 6,
			'aria-label': 'Reply to the customer',
			oninput: () => this.saveDraft(),
			onkeydown: (e) => {
				if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
					e.preventDefault();
					this.submit(this.mode === 'note' ? null :
						'pending');
				}
			},
		});
		this.ccEl = h('input', {
			id: 'composer-cc', type: 'text', autocomplete: 'off',
			placeholder: 'it@example.org, …',
			oninput: () => this.saveDraft(),
		});
		this.replyTab = h('button', { type: 'button', className: 'tab',
			onclick: () => this.compose('reply') }, 'Reply');
		this.noteTab = h('button', { type: 'button', className: 'tab',
			onclick: () => this.compose('note') }, 'Internal note');
		this.ccRow = h('div', { className: 'cc-row' },
			h('label', { for: 'composer-cc' }, 'Cc'), this.ccEl);
		const btn = (label, cls, fn, title) => h('button', {
			type: 'button', className: cls, onclick: fn, title,
		}, label);
		this.replyButtons = h('div', { className: 'buttons' },
			btn('Send & mark pending', 'primary',
				() => this.submit('pending'), 'Ctrl+Enter'),
			btn('Send & solve', '', () => this.submit('solved')),
			btn('Send, keep open', 'ghost', () => this.submit('open')));
		this.noteButtons = h('div', { className: 'buttons', hidden: true },
			btn('Add note', 'primary note-btn', () => this.submit(null),
				'Ctrl+Enter'));
		this.composerEl = h('section', {
			className: 'composer', 'aria-label': 'Composer' },
		h('div', { className: 'tabs' }, this.replyTab, this.noteTab),
		this.textEl, this.ccRow, this.replyButtons, this.noteButtons);
		this.setMode('reply');
	}

	setMode(mode) {
		this.mode = mode;
		const note = mode === 'note';
		this.replyTab.setAttribute('aria-pressed', String(!note));
		this.noteTab.setAttribute('aria-pressed', String(note));
		this.composerEl.classList.toggle('is-note', note);
		this.textEl.setAttribute('aria-label', note ?
			'Internal note (only agents see it)' : 'Reply to the customer');
		this.textEl.placeholder = note ?
			'Internal note: only agents see it' :
			'Write to the customer…';
		this.ccRow.hidden = note;
		this.replyButtons.hidden = note;
		this.noteButtons.hidden = !note;
	}

	compose(mode) {
		this.setMode(mode);
		this.saveDraft();
		this.textEl.focus();
	}

	saveDraft() {
		const text = this.textEl.value;
		const cc = this.ccEl.value;
		if (text || cc)
			drafts.set(this.id, { mode: this.mode, text, cc });
		else
			drafts.delete(this.id);
	}

	restoreDraft() {
		const d = drafts.get(this.id);
		if (!d)
			return;
		this.setMode(d.mode);
		this.textEl.value = d.text;
		this.ccEl.value = d.cc;
		this.textEl.focus();
	}

	async submit(status) {
		const text = this.textEl.value.trim();
		if (!text) {
			toast('Write something first.', { kind: 'bad' });
			this.textEl.focus();
			return;
		}
		if (this.mode === 'note') {
			try {
				await api.post('/tickets/' + this.id + '/notes', { text });
			} catch (e) {
				toast('The note was not added: ' + e.message,
					{ kind: 'bad' });
				return;
			}
			this.textEl.value = '';
			this.saveDraft();
			toast('Note added.');
			this.reload(true);
			return;
		}
		const cc = this.ccEl.value.split(/[\s,;]+/).filter(Boolean);
		const body = { text, status };
		if (cc.length)
			body.cc = cc;
		this.textEl.value = '';
		this.ccEl.value = '';
		drafts.delete(this.id);
		holdReply(this.id, body);
	}

	async reload(quiet = false) {
		let r;
		try {
			[r] = await Promise.all([api.get('/tickets/' + this.id),
				this.ctx.ready]);
		} catch (e) {
			if (!quiet || e.status === 404)
				fill(this.convEl, h('p', { className: 'error' },
					e.status === 404 ? 'No ticket #' + this.id + '.' :
						'Could not load the ticket: ' + e.message));
			return;
		}
		if (this.destroyed)
			return;
		const first = !this.t;
		this.t = r.ticket;
		this.render();
		if (first) {
			this.restoreDraft();
			this.loadCustomer();
		}
	}

	render() {
		const t = this.t;
		const [kind, key] = this.ctx.listHash.split('?')[0]
			.replace(/^#\//, '').split('/');
		const v = VIEWS.find((x) => x.id === key);
		const mb = kind === 'mailbox' &&
			this.ctx.mailboxes.find((m) => String(m.id) === key);
		const back = v ? v.label : mb ? (mb.name || mb.address) : 'Inbox';
		document.title = '#' + t.id + ' ' + t.subject + ' · Tame';
		fill(this.headEl,
			h('a', {
				href: withSelect(this.ctx.listHash, t.id),
				className: 'back', 'aria-keyshortcuts': 'Escape',
			}, '← ' + back),
			h('h1', {}, t.subject || '(no subject)',
				h('span', { className: 'muted id' }, ' #' + t.id)),
			h('span', { className: 'pill st-' + t.status }, t.status),
			t.unparsed ? h('span', { className: 'pill warn' },
				'could not be parsed') : null);
		this.renderActions();
		fill(this.convEl, t.messages.map((m) => renderMessage(t, m,
			(id) => this.ctx.agentName(id))));
	}

	renderActions() {
		const t = this.t;
		const sel = (id, label, options, value, onchange) => h('label',
			{ className: 'field' }, h('span', {}, label),
			h('select', { id, onchange: (e) => onchange(e.target.value) },
				options.map(([v, l]) => h('option',
					{ value: v, selected: String(v) === String(value) }, l))));
		const me = this.ctx.me;
		const mine = t.assignee && t.assignee.id === me.id;
		const agents = [['', 'Nobody']].concat(this.ctx.agents
			.filter((a) => !a.disabled).map((a) => [a.id, personName(a)]));
		const tagInput = h('input', {
			type: 'text', id: 'tag-input', placeholder: 'add tag',
			'aria-label': 'Add a tag', size: 10,
			onkeydown: (e) => {
				if (e.key !== 'Enter')
					return;
				e.preventDefault();
				const v = tagInput.value.trim();
				if (v && !t.tags.includes(v))
					this.change({ tags: t.tags.concat([v]) });
				tagInput.value = '';
			},
		});
		fill(this.actionsEl,
			h('button', {
				type: 'button', id: 'assign-me', disabled: mine,
				'aria-keyshortcuts': 'a',
				onclick: () => this.change({ assignee_id: me.id }),
			}, mine ? 'Yours' : 'Assign to me'),
			sel('assignee', 'Assignee', agents,
				t.assignee ? t.assignee.id : '',
				(v) => this.change({ assignee_id: v ? Number(v) : null })),
			sel('status', 'Status', STATUSES.map((s) => [s, s]), t.status,
				(v) => this.change({ status: v })),
			sel('priority', 'Priority', PRIORITIES.map((p) => [p, p]),
				t.priority, (v) => this.change({ priority: v })),
			h('div', { className: 'field tags-edit' },
				h('span', {}, 'Tags'),
				t.tags.map((g) => h('span', { className: 'tag' }, g,
					h('button', {
						type: 'button', className: 'x',
						'aria-label': 'Remove tag ' + g,
						onclick: () => this.change({
							tags: t.tags.filter((x) => x !== g) }),
					}, '×'))),
				tagInput));
	}

	async change(body) {
		try {
			const r = await api.patch('/tickets/' + this.id, body);
			if (this.destroyed)
				return true;
			this.t = r.ticket;
			this.render();
		} catch (e) {
			toast('Could not change the ticket: ' + e.message,
				{ kind: 'bad' });
			if (!this.destroyed)
				this.render();
			return false;
		}
		return true;
	}

	async loadCustomer() {
		const c = this.t.customer;
		if (!c) {
			fill(this.sideEl, h('p', { className: 'muted' },
				'No customer.'));
			return;
		}
		let info = c;
		let others = [];
		try {
			const [ci, list] = await Promise.all([
				api.get('/customers/' + c.id),
				api.get('/tickets' + api.qs({ customer: c.id,
					status: 'any', limit: 20 }))]);
			info = ci;
			others = list.tickets.filter((x) => x.id !== this.id);
		} catch (e) {
			// the panel shows what the ticket knows
		}
		if (this.destroyed)
			return;
		fill(this.sideEl,
			h('div', { className: 'customer' }, avatar(info, 'big'),
				h('div', {},
					h('h2', {}, personName(info)),
					h('a', { href: 'mailto:' + info.email }, info.email),
					info.organization ? h('div', { className: 'muted' },
						info.organization) : null,
					info.created_at ? h('div', { className: 'muted' },
						'First wrote ' + when(info.created_at)) : null)),
			h('h3', {}, 'Other tickets'),
			others.length ? h('ul', { className: 'others' },
				others.map((o) => h('li', {},
					h('a', { href: '#/t/' + o.id }, o.subject ||
						'(no subject)'),
					h('span', { className: 'pill small st-' + o.status },
						o.status),
					h('span', { className: 'muted' }, ' ' +
						ago(o.updated_at))))) :
				h('p', { className: 'muted' }, 'None.'));
	}

	step(delta) {
		const list = this.ctx.list;
		const i = list.indexOf(this.id);
		if (i < 0 || !list[i + delta])
			return false;
		this.ctx.navigate('#/t/' + list[i + delta]);
		return true;
	}

	back() {
		this.ctx.navigate(withSelect(this.ctx.listHash, this.id));
	}

	async solve() {
		if (await this.change({ status: 'solved' })) {
			toast('#' + this.id + ' solved.');
			this.back();
		}
	}

	onKey(e) {
		switch (e.key) {
		case 'r':
			this.compose('reply');
			return true;
		case 'n':
			this.compose('note');
			return true;
		case 'a':
			this.change({ assignee_id: this.ctx.me.id });
			return true;
		case 's':
			this.solve();
			return true;
		case 'j':
			this.step(1);
			return true;
		case 'k':
			this.step(-1);
			return true;
		case 'Escape':
		case 'u':
			this.back();
			return true;
		default:
			return false;
		}
	}

	onLive(ev) {
		if (ev.type === 'reset' || ev.ticketId === this.id)
			this.reload(true);
	}

	focus() {
		this.convEl.focus();
	}

	destroy() {
		this.destroyed = true;
		if (current === this)
			current = null;
		document.title = 'Tame';
	}
}
