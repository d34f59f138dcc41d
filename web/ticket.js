// ticket.js - one ticket: the conversation, what the agent can change
// (assignee, status, priority, tags, merge, followers), the customer and
// similar solved cases beside it, who else is on it, and the composer
// (composer.js).
//
// Model: the ticket is GET /tickets/ID, rendered again whole (but the
// composer) after every change and every live event about it. A reply
// is held here for a few seconds before it is POSTed, so "Undo" really
// takes it back; held replies live in this module, not in the view, so
// leaving the ticket does not lose one (and the page warns before it
// unloads with one held). A reply carries since_message_id, the newest
// message the agent had seen when they began; when the customer wrote
// again after it, or a colleague answered, the agent is asked before it
// goes (here when the view already shows the new message, else when the
// server answers 409 new_message).

import * as api from './api.js';
import { h, fill, place, keepPlace, ago, timeEl, avatar, personName, toast, modal,
	field, warn, mayTake, flat, addr, undoMs } from './dom.js';
import { renderMessage, refreshMessage } from './message.js';
import { withSelect, VIEWS } from './inbox.js';
import { Composer, drafts } from './composer.js';
import { Presence } from './presence.js';
import { toneChips, flagChips } from './tone.js';
import { chip as trendChip } from './trend_manage.js';

const STATUSES = ['new', 'open', 'pending', 'solved', 'closed'];

// A mailto: link to addr alone (RFC 6068): "?", "&" and "%" are legal
// in a local part and would otherwise add headers (bcc=, body=).
function mailto(addr) {
	return 'mailto:' + encodeURIComponent(addr).replace(/%40/g, '@');
}
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
// A thread longer than this folds its middle, keeping the last few.
const LONG_THREAD = 8, LONG_KEEP = 4;

const held = new Map();    // key -> {now(), undo()}
let heldSeq = 0;
let current = null;        // the mounted TicketView

// Signing out: no one else finds this agent's unsent text.
export function forgetDrafts() {
	drafts.clear();
}

export function pendingSends() {
	return held.size;
}

// Sends every held reply at once (before signing out).
export async function flushSends() {
	await Promise.all(Array.from(held.values(), (s) => s.now()));
}

// Asks whether to send a reply although the customer wrote message m
// (an object of the ticket, or null when not shown here) after the
// agent began, or a colleague answered (out, when m is null).
async function askNewer(ticketId, m, out) {
	const excerpt = m && m.text ? m.text.trim().slice(0, 300) : '';
	out = m ? m.direction === 'out' : out;
	const who = m && m.author_id && current ?
		current.ctx.agentName(m.author_id) : 'A colleague';
	return modal(out ? 'A colleague answered' : 'The customer wrote again',
		h('div', {}, h('p', {}, out ? who +
			' answered #' + ticketId + ' since you started writing. ' +
			'The customer may not need yours.' : 'A new message arrived ' +
			'on #' + ticketId + ' since you started writing. Your ' +
			'reply may not answer it.'),
		excerpt ? h('blockquote', 'newer', excerpt) : null),
	[{ label: 'Review first', primary: true, value: 'review' },
		{ label: 'Send anyway', value: 'send' }]);
}

function holdReply(ticketId, body, draft) {
	const key = ++heldSeq;
	let timer = null;
	let note = null;
	const back = () => {
		drafts.set(ticketId, { mode: 'reply', ...draft });
		if (current && current.id === ticketId)
			current.composer.restoreDraft();
	};
	const job = {
		async now() {
			if (!held.delete(key))
				return;
			clearTimeout(timer);
			if (note)
				note.close();
			try {
				// a lost answer is retried under the same key: one email
				const r = await api.postOnce('/tickets/' + ticketId +
					'/replies', body);
				toast('Reply to #' + ticketId + ' ' +
					(r.message.delivery &&
					 r.message.delivery.state === 'sent' ? 'sent.' :
						'queued for sending.'));
			} catch (e) {
				if (e.code === 'new_message') {
					if (current && current.id === ticketId)
						await current.reload(true);
					const t = current && current.id === ticketId &&
						current.t;
					const m = t && t.messages.find((x) =>
						x.id === e.data.message_id);
					if (await askNewer(ticketId, m,
						/colleague/.test(e.message)) === 'send') {
						held.set(key, job);
						body.force = true;
						return job.now();
					}
					draft.since = e.data.message_id;
					back();
					toast('Your reply is back in the composer.');
					if (!current || current.id !== ticketId)
						location.hash = '#/t/' + ticketId;
					return;
				}
				back();
				warn('Reply to #' + ticketId + ' was not sent: ' +
					e.message + '. It is back in the composer.');
			}
			if (current && current.id === ticketId)
				current.reload(true);
		},
		undo() {
			if (!held.delete(key))
				return;
			clearTimeout(timer);
			back();
			toast('Reply taken back; it is in the composer again.');
		},
	};
	held.set(key, job);
	const secs = Math.round(undoMs() / 1000);
	note = toast('Sending reply to #' + ticketId + (secs ? ' in ' + secs +
		' s' : '') + '…', {
		timeout: 0, kind: 'held',
		// sent from the composer (Ctrl+Enter): Undo is one Enter away
		focus: !!current && current.composer.el.contains(
			document.activeElement),
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
		this.shown = new Map();  // message id -> { sig, el } drawn
		current = this;
		// what another agent left unsent in this browser is not shown
		drafts.own(ctx.me.id);
		const params = new URLSearchParams(location.hash.split('?')[1] ||
			'');
		this.build(main);
		this.presence = new Presence(ctx, id, this.presenceEl);
		this.reload().then(() => {
			const c = params.get('compose');
			if (c === 'reply' || c === 'note')
				this.composer.compose(c);
			else if (!this.composer.restoreDraft())
				this.focus();
		});
	}

	build(main) {
		this.headEl = h('div', 'ticket-head');
		this.presenceEl = h('div', { className: 'presence-row',
			role: 'status', 'aria-live': 'polite' });
		this.actionsEl = h('div', { className: 'actions',
			'aria-label': 'Ticket properties', role: 'group' });
		this.convEl = h('section', { className: 'conversation',
			'aria-label': 'Conversation', tabindex: '-1' });
		this.customerEl = h('div', { 'aria-label': 'Customer' });
		this.followEl = h('div', { hidden: true });
		this.similarEl = h('div', { hidden: true });
		this.historyEl = h('details', 'history');
		this.composer = new Composer(this);
		fill(main, this.rootEl = h('div', 'ticket',
			h('div', 'ticket-main', this.headEl,
				this.presenceEl, this.actionsEl, this.convEl,
				this.composer.el),
			h('aside', 'side', this.customerEl,
				this.followEl, this.similarEl, this.historyEl)));
	}

	// What happened to the ticket, newest first, with who did it and
	// the event's own words (a priority raised by its urgent tone says
	// why, a renamed tag from what, a ticket sent back to Unassigned
	// whose assignee was disabled).
	history(evs) {
		const words = (d) => Object.entries(d || {}).map(([k, v]) =>
			k === 'assignee_id' ? (v ? 'assigned to ' +
				this.ctx.agentName(v) : 'unassigned') :
				k === 'agent_id' ? this.ctx.agentName(v) :
				// sent back to Unassigned by the assignee's disable
				k === 'disabled_agent_id' ? 'as ' + this.ctx.agentName(v) +
					' was disabled' :
				Array.isArray(v) ? k + ': ' + (v.join(', ') || 'none') :
					/_id$/.test(k) || v === null || typeof v === 'object' ?
						'' : k.replace(/_/g, ' ') + ': ' + v)
			.filter(Boolean).join(', ');
		fill(this.historyEl, h('summary', { 'data-key': 'history' },
			'History (' + evs.length +
			')'), h('ol', {}, evs.slice().reverse().map((e) => {
			const said = words(e.data);
			return h('li', {}, h('span', 'muted',
				timeEl(e.created_at), ' · ' + (e.actor_id ?
					this.ctx.agentName(e.actor_id) : 'Tame') + ' · '),
			e.kind.replace(/[._]/g, ' '), said ? ' (' + said + ')' : '');
		})));
	}

	// The composer's hooks.
	typed() {
		this.presence.typed();
	}

	async onSubmit(kind, body, draft) {
		if (kind === 'note') {
			try {
				await api.post('/tickets/' + this.id + '/notes', body);
			} catch (e) {
				warn('The note was not added: ' + e.message);
				return;
			}
			this.composer.clear();
			toast('Note added.');
			this.reload(true);
			return;
		}
		const since = body.since_message_id;
		const newer = since && this.t.messages.find((m) => m.id > since &&
			(m.direction === 'in' || m.direction === 'out' &&
				m.author_id !== this.ctx.me.id));
		if (newer) {
			if (await askNewer(this.id, newer) !== 'send') {
				// read now: not asked again about it
				this.composer.since = this.composer.newestIn();
				this.composer.saveDraft();
				this.composer.textEl.focus();
				return;
			}
			body.force = true;
		}
		const typing = this.presence.typingOthers();
		if (typing.length)
			warn(typing.map((p) => personName(p.agent)).join(', ') +
				' is also writing a reply to this ticket.');
		this.composer.clear();
		holdReply(this.id, body, draft);
	}

	async reload(quiet = false) {
		let r;
		try {
			[r] = await Promise.all([api.get('/tickets/' + this.id),
				this.ctx.ready]);
		} catch (e) {
			if (!quiet || e.status === 404)
				fill(this.convEl, h('p', 'error',
					e.status === 404 ? 'No ticket #' + this.id + '.' :
						'Could not load the ticket: ' + e.message));
			return;
		}
		if (this.destroyed)
			return;
		const first = !this.t;
		this.t = r.ticket;
		this.render();
		this.ctx.ready.then(() => this.composer.suggestCc());
		if (first) {
			this.loadCustomer();
			this.loadFollowers();
			this.loadSimilar();
		}
	}

	// Draws the ticket again: after a change, in place, the agent's focus
	// and what they were looking at or typing kept where they were.
	render() {
		keepPlace(this.rootEl, () => this.draw());
	}

	draw() {
		const t = this.t;
		const [kind, key] = this.ctx.listHash.split('?')[0]
			.replace(/^#\//, '').split('/');
		const v = VIEWS.find((x) => x.id === key);
		const mb = kind === 'mailbox' &&
			this.ctx.mailboxes.find((m) => String(m.id) === key);
		const back = v ? v.label : mb ? (mb.name || mb.address) :
			kind === 'trend' ? 'Trend' : 'Inbox';
		document.title = '#' + t.id + ' ' + flat(t.subject) + ' · Tame';
		// what was merged away says where its conversation went
		const into = (t.events || []).filter((e) => e.kind ===
			'ticket.merged' && e.data && e.data.into).pop();
		// the head as it was stays (an open trend menu, the subject shown
		// whole)
		const head = JSON.stringify([this.ctx.listHash, back, t.subject,
			t.status, t.unparsed, t.tone, t.tone_earlier, t.flags, t.trend,
			into && into.data.into]);
		if (head !== this.head)
			this.drawHead(t, back, into);
		this.head = head;
		this.renderActions();
		this.drawConversation(t, into);
	}

	drawHead(t, back, into) {
		fill(this.headEl,
			h('a', {
				href: withSelect(this.ctx.listHash, t.id),
				className: 'back', 'aria-keyshortcuts': 'Escape',
			}, '← ' + back),
			// a subject of a thousand characters is cut to three lines:
			// all of it on hover, or a click
			h('h1', {},
				h('span', { title: flat(t.subject),
					onclick: (e) => e.target.classList.toggle('whole') },
				flat(t.subject) || '(no subject)'),
				h('span', 'muted id', ' #' + t.id)),
			h('span', 'pill st-' + t.status, t.status),
			t.unparsed ? h('span', 'pill warn',
				'could not be parsed') : null,
			toneChips(t.tone_earlier || t.tone, 3), flagChips(t.flags),
			t.trend ? trendChip(t, () => this.reload(true)) : null,
			into ? h('a', { className: 'pill warn merged-into',
				href: '#/t/' + into.data.into }, 'merged into #' +
				into.data.into) : null,
			// the composer is below the conversation, which may be long
			h('button', { id: 'reply-top', className: 'small',
				'aria-keyshortcuts': 'r', title: 'r',
				onclick: () => this.composer.compose('reply') }, 'Reply'));
	}

	drawConversation(t, into) {
		// A long thread shows its first message and its latest few; the
		// ones between wait behind one button.
		// A message as it was stays the element it was (see place()).
		const ms = t.messages, was = this.shown, now = new Map();
		// Its tone and its sending are drawn again in place.
		const show = (m) => {
			const { tone, delivery, ...rest } = m;
			const sig = JSON.stringify(rest) + '\n' + (m.author_id ?
				this.ctx.agentName(m.author_id) : '');
			const live = JSON.stringify([tone, delivery]);
			const old = was.get(m.id);
			let el;
			if (old && old.sig === sig) {
				el = old.el;
				if (old.live !== live)
					refreshMessage(el, m);
			} else {
				el = renderMessage(t, m, (id) => this.ctx.agentName(id));
			}
			now.set(m.id, { sig, live, el });
			return el;
		};
		// what was folded when it opened stays folded, and no more: a
		// message on the screen never goes behind the button
		if (!this.folded)
			this.folded = new Set(ms.length > LONG_THREAD ? ms.slice(1,
				ms.length - LONG_KEEP).map((m) => m.id) : []);
		const hidden = this.unfolded ? [] :
			ms.slice(1).filter((m) => this.folded.has(m.id));
		const hide = hidden.length;
		this.history(t.events || []);
		// merged away while open: where the conversation went, and the
		// draft with the agent
		if (into && !ms.length) {
			const to = into.data.into;
			place(this.convEl, [h('p', 'merged-note',
				'This conversation goes on in ', h('a', { href: '#/t/' + to,
					onclick: () => this.takeDraft(to) }, '#' + to),
				', which this ticket was merged into' + (this.composer
					.textEl.value.trim() ? '; your draft goes with you.' :
					'.'))]);
			this.shown = now;
			return;
		}
		place(this.convEl, hide ? [show(ms[0]), h('button', {
			className: 'link earlier', 'data-key': 'earlier',
			onclick: () => {
				this.unfolded = true;
				this.render();
				// to the first message shown now, as the button is gone
				const el = this.convEl.querySelector('#msg-' +
					hidden[0].id);
				el.tabIndex = -1;
				el.focus();
			},
		}, hide + ' earlier messages'), ...ms.slice(1).filter((m) =>
			!this.folded.has(m.id)).map(show)] :
			ms.map(show));
		this.shown = now;
	}

	// The draft of this ticket becomes ticket to's, unless it has one.
	takeDraft(to) {
		this.composer.saveDraft();
		const d = drafts.get(this.id);
		if (d && !drafts.get(to)) {
			drafts.set(to, d);
			drafts.delete(this.id);
		}
	}

	async takeIt() {
		if (await mayTake(this.id, this.t.assignee, this.ctx.me))
			this.change({ assignee_id: this.ctx.me.id });
	}

	renderActions() {
		const t = this.t;
		const sel = (id, label, options, value, onchange) => h('label',
			'field', h('span', {}, label),
			h('select', { id, onchange: (e) => onchange(e.target.value) },
				options.map(([v, l]) => h('option',
					{ value: v, selected: String(v) === String(value) }, l))));
		const me = this.ctx.me;
		const mine = t.assignee && t.assignee.id === me.id;
		// a disabled agent still holding it shows as such, not Nobody
		const agents = [['', 'Nobody']].concat(this.ctx.agents
			.filter((a) => !a.disabled || t.assignee && a.id === t.assignee.id)
			.map((a) => [a.id, personName(a) + (a.disabled ? ' (disabled)' :
				'')]));
		const tagInput = h('input', {
			type: 'text', id: 'tag-input', placeholder: 'add tag',
			'aria-label': 'Add a tag', size: 10, list: 'tags-known',
			onkeydown: (e) => {
				if (e.key !== 'Enter')
					return;
				e.preventDefault();
				const v = tagInput.value.trim();
				if (v && !t.tags.includes(v))
					this.change({ tags: t.tags.concat([v]) });
				tagInput.value = '';
			},
			onfocus: () => this.knownTags(),
		});
		// the bar is drawn again after every change, a colleague's too:
		// a tag being typed stays, and the focus with the control used
		// (render()'s keepPlace), but for a tag's ×, gone with its tag,
		// and Assign to me, now disabled: to the tag field, the assignee
		const typed = this.actionsEl.querySelector('#tag-input');
		const was = document.activeElement;
		const moved = !this.actionsEl.contains(was) ? null : !was.id ?
			'tag-input' : was.id === 'assign-me' && mine ? 'assignee' :
			null;
		fill(this.actionsEl,
			h('button', {
				id: 'assign-me', disabled: mine,
				'aria-keyshortcuts': 'a',
				onclick: () => this.takeIt(),
			}, mine ? 'Yours' : 'Assign to me'),
			sel('assignee', 'Assignee', agents,
				t.assignee ? t.assignee.id : '',
				(v) => this.change({ assignee_id: v ? Number(v) : null })),
			sel('status', 'Status', STATUSES.map((s) => [s, s]), t.status,
				(v) => this.change({ status: v })),
			sel('priority', 'Priority', PRIORITIES.map((p) => [p, p]),
				t.priority, (v) => this.change({ priority: v })),
			h('div', 'field tags-edit',
				h('span', {}, 'Tags'),
				t.tags.map((g) => h('span', 'tag', g,
					h('button', {
						className: 'x',
						'aria-label': 'Remove tag ' + g,
						onclick: () => this.change({
							tags: t.tags.filter((x) => x !== g) }),
					}, '×'))),
				tagInput, h('datalist', { id: 'tags-known' })),
			h('span', 'spacer'),
			h('button', { id: 'merge', className: 'ghost',
				'aria-keyshortcuts': 'm', title: 'm',
				onclick: () => this.merge() }, 'Merge into…'));
		if (typed)
			tagInput.value = typed.value;
		this.tagsLoaded = false;
		if (moved)
			this.actionsEl.querySelector('#' + moved).focus();
	}

	async knownTags() {
		if (this.tagsLoaded)
			return;
		this.tagsLoaded = true;
		try {
			const r = await api.get('/tags');
			const dl = this.actionsEl.querySelector('#tags-known');
			if (dl)
				fill(dl, r.tags.map((x) => h('option', { value: x.tag })));
		} catch (e) {
			// typing a tag works without the list
		}
	}

	async change(body) {
		try {
			const r = await api.patch('/tickets/' + this.id, body);
			if (this.destroyed)
				return true;
			this.t = r.ticket;
			this.render();
		} catch (e) {
			warn('Could not change the ticket: ' + e.message);
			if (!this.destroyed)
				this.render();
			return false;
		}
		return true;
	}

	// Merges this ticket into another one, which is shown next.
	async merge() {
		const input = h('input', { id: 'merge-into', inputMode: 'numeric',
			placeholder: '123', autocomplete: 'off' });
		// which ticket the number is, shown before a merge that cannot
		// be undone: Merge (or Enter) merges only into the ticket shown
		const which = h('p', { id: 'merge-which', className: 'muted',
			'aria-live': 'polite' });
		const number = () => Number(input.value.replace(/^#/, '').trim());
		let asked = 0;
		let shown = null;
		const look = async () => {
			const n = number();
			const seq = ++asked;
			shown = null;
			if (!(n > 0) || n === this.id) {
				which.textContent = n === this.id ? 'That is this ticket.' :
					'';
				return;
			}
			let text;
			let found = false;
			try {
				const t = (await api.get('/tickets/' + n)).ticket;
				text = '#' + n + ' \u2014 ' + (t.subject || '(no subject)') +
					', ' + personName(t.customer) + ', ' + t.status;
				// their answers would go to the other customer only
				if (t.customer.id !== this.t.customer.id)
					text += '. Another customer: replies there go to ' +
						personName(t.customer) + ' only.';
				found = true;
			} catch (e) {
				text = 'No ticket #' + n + '.';
			}
			if (seq === asked) {
				which.textContent = text;
				shown = found ? n : null;
			}
		};
		input.addEventListener('input', look);
		const into = await modal('Merge #' + this.id + ' into…',
			h('div', {}, field('Ticket number to keep', input,
				'this ticket\u2019s messages move there and it is closed'),
			which),
			[{ label: 'Merge', primary: true, value: () => {
				const n = number();
				if (!(n > 0) || n === this.id)
					return false;
				if (shown !== n) {
					look();
					return false;
				}
				return n;
			} }], () => input.focus());
		if (!into)
			return;
		try {
			await api.post('/tickets/' + this.id + '/merge', { into });
		} catch (e) {
			warn('Not merged: ' + e.message);
			return;
		}
		toast('#' + this.id + ' merged into #' + into + '.');
		this.ctx.navigate('#/t/' + into);
	}

	async loadCustomer() {
		const c = this.t.customer;
		if (!c) {
			fill(this.customerEl, h('p', 'muted',
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
		fill(this.customerEl,
			h('div', 'customer', avatar(info, 'big'),
				h('div', {},
					h('h2', {}, personName(info)),
					h('a', { href: mailto(info.email) }, addr(info.email)),
					info.organization ? h('div', 'muted',
						info.organization) : null,
					info.created_at ? h('div', 'muted',
						'First wrote ', timeEl(info.created_at)) : null)),
			h('h3', {}, 'Other tickets'),
			others.length ? h('ul', 'others',
				others.map((o) => h('li', {},
					h('a', { href: '#/t/' + o.id }, o.subject ||
						'(no subject)'),
					h('span', 'pill small st-' + o.status,
						o.status),
					h('span', 'muted', ' ' +
						ago(o.updated_at))))) :
				h('p', 'muted', 'None.'));
	}

	// Followers: colleagues told of every change ("add a colleague").
	async loadFollowers() {
		let list;
		try {
			list = (await api.get('/tickets/' + this.id + '/followers'))
				.followers;
		} catch (e) {
			return;
		}
		if (this.destroyed)
			return;
		this.followers = list;
		const me = this.ctx.me.id;
		const following = list.some((a) => a.id === me);
		this.followEl.hidden = false;
		fill(this.followEl, h('h3', {}, 'Followers'),
			list.length ? h('ul', 'others followers',
				list.map((a) => h('li', {}, avatar(a, 'small'), ' ',
					personName(a), h('button', { className: 'x', 'aria-label': 'Remove ' +
							personName(a) + ' from the followers',
						onclick: () => this.follow(a.id, false) }, '×')))) :
				h('p', 'muted', 'Nobody follows this ticket.'),
			h('div', 'buttons',
				h('button', { className: 'small',
					id: 'add-follower', 'aria-keyshortcuts': 'f',
					title: 'f', onclick: () => this.addFollower() },
				'Add a colleague…'),
				following ? null : h('button', { className: 'small ghost',
					onclick: () => this.follow(me, true) }, 'Follow')));
	}

	async follow(agentId, on) {
		try {
			if (on)
				await api.post('/tickets/' + this.id + '/followers',
					{ agent_id: agentId });
			else
				await api.del('/tickets/' + this.id + '/followers/' +
					agentId);
		} catch (e) {
			warn(e.message);
		}
		this.loadFollowers();
	}

	async addFollower() {
		if (!this.followers)
			return;
		const ids = new Set(this.followers.map((a) => a.id));
		const pick = h('select', { id: 'follower-pick' },
			this.ctx.agents.filter((a) => !a.disabled && !ids.has(a.id))
				.map((a) => h('option', { value: a.id }, personName(a) +
					(a.id === this.ctx.me.id ? ' (me)' : ''))));
		if (!pick.options.length) {
			toast('Everyone follows this ticket already.');
			return;
		}
		const v = await modal('Add a colleague to #' + this.id,
			field('They are told of every change to the ticket', pick),
			[{ label: 'Add', primary: true, value: () => pick.value }],
			() => pick.focus());
		if (v) {
			await this.follow(Number(v), true);
			toast(this.ctx.agentName(Number(v)) + ' follows #' + this.id +
				' now.');
		}
	}

	// Solved tickets like this one, and how they were answered.
	async loadSimilar() {
		let r;
		try {
			r = await api.get('/tickets/' + this.id + '/similar?limit=3');
		} catch (e) {
			return;
		}
		if (this.destroyed)
			return;
		this.similarEl.hidden = false;
		fill(this.similarEl, h('h3', {}, 'Similar solved cases'),
			r.similar.length ? h('ul', 'similar',
				r.similar.map((c) => h('li', {},
					h('a', { href: '#/t/' + c.ticket_id }, c.subject ||
						'#' + c.ticket_id),
					h('span', { className: 'chip match-' + c.match,
						title: 'shares ' + (c.shared_words || []).join(', ') },
					c.match),
					c.solved_reply ? h('details', {},
						h('summary', {}, 'How it was answered'),
						h('div', 'text small',
							c.solved_reply.text)) : null))) :
				h('p', 'muted small', r.note || 'None.'));
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
			this.composer.compose('reply');
			return true;
		case 'n':
			this.composer.compose('note');
			return true;
		case 'i':
			this.composer.insertSaved(false);
			return true;
		case 'a':
			this.takeIt();
			return true;
		case 's':
			this.solve();
			return true;
		case 'm':
			this.merge();
			return true;
		case 'f':
			this.addFollower();
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

	// The keys act on the conversation; the page stays where it is (a
	// ticket taller than the screen opens at its heading).
	focus() {
		this.convEl.focus({ preventScroll: true });
	}

	destroy() {
		this.destroyed = true;
		this.presence.stop();
		if (current === this)
			current = null;
		document.title = 'Tame';
	}
}
