// composer.js - where a reply or an internal note is written: plain
// text with light formatting and files (compose_tools.js), CC, saved
// replies ("/" at the start of a line), spell check, @mentions of
// colleagues in notes, the agent's signature, and what
// collision detection needs (typing reported to presence, the newest
// customer message seen when writing began), and a quiet hint of the
// register (formal or relaxed) the customer writes in.
//
// Model: the composer belongs to one ticket view; unsent text is kept
// per ticket in this module (drafts), so leaving and coming back, or a
// reply taken back with Undo, finds it again. The view is told about a
// submit through onSubmit(kind, body) and does the sending.

import { h, fill, personName, warn, addr, DRAFTS_KEY } from './dom.js';
import * as replies from './replies.js';
import { Spell } from './spell.js';
import { registerHint } from './tone.js';
import { ComposeTools } from './compose_tools.js';

// The drafts are kept in this browser too (localStorage), so a reload or
// a closed tab loses no text; the files of a draft are not (a File
// cannot be kept). They are one agent's: another agent signing in on
// the browser finds none (own), and signing out forgets them (app.js).
class Drafts extends Map {
	constructor() {
		super();
		this.agent = null;
		try {
			const kept = JSON.parse(localStorage.getItem(DRAFTS_KEY) ||
				'{}');
			this.agent = kept.agent || null;
			for (const [k, d] of kept.list || [])
				super.set(k, { ...d, files: [] });
		} catch (e) {
			// none kept, or not readable: start empty
		}
	}

	// The drafts are agent's from now on; another agent's are dropped.
	own(agent) {
		if (this.agent === agent)
			return;
		super.clear();
		this.agent = agent;
		this.keep();
	}

	set(k, d) {
		super.set(k, d);
		this.keep();
		return this;
	}

	delete(k) {
		const had = super.delete(k);
		if (had)
			this.keep();
		return had;
	}

	keep() {
		try {
			localStorage.setItem(DRAFTS_KEY, JSON.stringify({
				agent: this.agent, list: [...this].map(([k, d]) => [k,
					{ mode: d.mode, text: d.text, cc: d.cc,
						since: d.since }]) }));
		} catch (e) {
			// storage full or off: the drafts live as long as the page
		}
	}
}

export const drafts = new Drafts();  // ticket id -> {mode, text, cc,
                                     // since, files}

export class Composer {
	// view: {id, ctx, t (the ticket), typed(), onSubmit(kind, body)}
	constructor(view) {
		this.view = view;
		this.mode = 'reply';
		this.since = null;
		this.textEl = h('textarea', {
			id: 'composer-text', rows: 6,
			'aria-label': 'Reply to the customer',
			oninput: () => this.input(),
			onkeydown: (e) => this.key(e),
		});
		this.spell = new Spell(this.textEl);
		this.tools = new ComposeTools(this.textEl, () => this.saveDraft());
		this.ccEl = h('input', {
			id: 'composer-cc', type: 'text', autocomplete: 'off',
			placeholder: 'it@example.org, …',
			oninput: () => {
				this.ccSet = true;
				this.ccNew.hidden = true;
				this.saveDraft();
			},
		});
		// a suggested address new to the conversation: anyone who
		// knows one of its Message-IDs can write into the thread
		this.ccNew = h('p', { className: 'small warn',
			id: 'composer-cc-new', role: 'status', hidden: true });
		this.replyTab = h('button', { className: 'tab',
			onclick: () => this.compose('reply') }, 'Reply');
		this.noteTab = h('button', { className: 'tab',
			onclick: () => this.compose('note') }, 'Internal note');
		// the customer's address is one nobody reads (a form's
		// noreply@, a bounce's mailer-daemon@): the reply would be lost
		this.toWarn = h('p', { className: 'small warn',
			id: 'composer-to-warn', role: 'status', hidden: true });
		this.ccRow = h('div', {}, this.toWarn,
			h('div', 'cc-row',
				h('label', { for: 'composer-cc' }, 'Cc'), this.ccEl),
			this.ccNew);
		this.mentionEl = h('ul', { className: 'mentions', role: 'listbox',
			id: 'mention-list', hidden: true, 'aria-label': 'Colleagues' });
		this.sigBox = h('input', { type: 'checkbox', id: 'composer-sig',
			checked: true });
		this.sigRow = h('label', { className: 'check muted small sig-row',
			hidden: true }, this.sigBox, ' add my signature');
		const btn = (label, cls, fn, title) => h('button', {
			className: cls, onclick: fn, title,
		}, label);
		this.replyButtons = h('div', 'buttons',
			btn('Send & mark pending', 'primary',
				() => this.submit('pending'), 'Ctrl+Enter'),
			btn('Send & solve', '', () => this.submit('solved'),
				'Ctrl+Shift+Enter'),
			btn('Send, keep open', 'ghost', () => this.submit('open')));
		this.noteButtons = h('div', { className: 'buttons', hidden: true },
			btn('Add note', 'primary note-btn', () => this.submit(null),
				'Ctrl+Enter'));
		this.hintEl = h('p', { className: 'muted small register-hint',
			id: 'register-hint', hidden: true });
		this.el = h('section', {
			className: 'composer', 'aria-label': 'Composer' },
		h('div', 'tabs', this.replyTab, this.noteTab,
			h('span', 'spacer'),
			h('button', { className: 'ghost small',
				id: 'insert-reply', title: '/ at the start of a line, or i',
				'aria-keyshortcuts': 'i',
				onclick: () => this.insertSaved(false) }, 'Saved reply…')),
		this.hintEl, this.tools.el, this.spell.el, this.mentionEl,
		this.tools.listEl, this.ccRow,
		this.sigRow,
		h('div', 'buttons', this.replyButtons,
			this.noteButtons));
		this.tools.dropOn(this.el);
		this.setMode('reply');
		// the view draws the conversation again whenever the ticket
		// changes: the hint follows the newest customer message
		if (view.convEl && typeof MutationObserver !== 'undefined') {
			this.hintWatch = new MutationObserver(() => this.showHint());
			this.hintWatch.observe(view.convEl, { childList: true });
		}
	}

	// The register hint, for replies only.
	showHint() {
		const text = this.mode === 'reply' && this.view.t ?
			registerHint(this.view.t.tone) : '';
		this.hintEl.textContent = text;
		this.hintEl.hidden = !text;
	}

	setMode(mode) {
		this.mode = mode;
		const note = mode === 'note';
		this.replyTab.setAttribute('aria-pressed', String(!note));
		this.noteTab.setAttribute('aria-pressed', String(note));
		this.el.classList.toggle('is-note', note);
		this.textEl.setAttribute('aria-label', note ?
			'Internal note (only agents see it)' : 'Reply to the customer');
		this.textEl.placeholder = note ?
			'Internal note: only agents see it; @name tells a colleague' :
			'Write to the customer…  ( / inserts a saved reply)';
		this.ccRow.hidden = note;
		this.tools.el.hidden = note;
		this.tools.listEl.hidden = note || !this.tools.files.length;
		this.replyButtons.hidden = note;
		this.noteButtons.hidden = !note;
		this.sigRow.hidden = note || !this.signature();
		this.closeMentions();
		this.showHint();
	}

	signature() {
		const s = this.view.ctx.me.signature;
		return s && s.trim() ? s.trim() : '';
	}

	compose(mode) {
		this.setMode(mode);
		this.saveDraft();
		this.textEl.focus();
	}

	// Those the customer's newest mail was copied to, and its sender
	// when a later mail came from another address (not a first mail's:
	// a contact form's noreply@ is not the customer's), stay on the
	// reply unless taken off; never the customer, nor an address at one
	// of our mailboxes' domains (an alias would loop).
	suggestCc() {
		const t = this.view.t;
		this.toCheck();
		const m = t && t.messages.filter((x) => x.direction === 'in' &&
			!x.auto_submitted).pop();
		if (!m || this.ccSet)
			return;
		const from = m === t.messages[0] ||
			/^(no-?reply|do-?not-?reply)/i.test(m.from.email) ? [] :
			[m.from.email];
		const dom = (a) => a.slice(a.lastIndexOf('@')).toLowerCase();
		const ours = new Set(this.view.ctx.mailboxes.map((b) =>
			dom(b.address)));
		const seen = new Set([addr((t.customer || {}).email)]);
		// without bidi controls, as addresses now come in
		const cc = from.concat(m.cc || []).map(addr).filter((a) => {
			const k = a.toLowerCase();
			return !ours.has(dom(k)) && !seen.has(k) && seen.add(k);
		});
		this.ccEl.value = cc.join(', ');
		this.ccCheck();
	}

	// Says so when the reply's address is one nobody reads: the local
	// part, without - _ and dots, is noreply or donotreply (as the
	// server's own test for automatic mail), mailer-daemon or
	// postmaster.
	toCheck() {
		const a = ((this.view.t || {}).customer || {}).email || '';
		const local = a.slice(0, a.lastIndexOf('@')).toLowerCase();
		const w = local.replace(/[-_.]/g, '');
		const dead = w === 'noreply' || w === 'donotreply' ||
			local === 'mailer-daemon' || local === 'postmaster';
		this.toWarn.textContent = dead ? 'Nobody reads mail to ' + a +
			': this reply will not reach a person. Look in the ' +
			'message for an address to write to, and add it as Cc.' : '';
		this.toWarn.hidden = !dead;
	}

	// Names the addresses of the Cc that no mail before the newest
	// one had (the first mail's own are the conversation): anyone who
	// knows a Message-ID of the thread can write into it, as anyone.
	ccCheck() {
		const t = this.view.t;
		const lower = (a) => (a || '').toLowerCase();
		const ins = t ? t.messages.filter((x) => x.direction === 'in' &&
			!x.auto_submitted) : [];
		const upto = ins.length > 1 ? t.messages.indexOf(ins.at(-1)) : 1;
		const before = new Set((t ? t.messages.slice(0, upto) : [])
			.flatMap((x) => [x.from && x.from.email].concat(x.to || [],
				x.cc || [])).map((a) => lower(addr(a))));
		const fresh = this.ccEl.value.split(/[\s,;]+/).filter((a) =>
			a && !before.has(lower(a)));
		this.ccNew.textContent = fresh.length ? 'New to this ' +
			'conversation: ' + fresh.join(', ') + '. Check before ' +
			'sending.' : '';
		this.ccNew.hidden = !fresh.length;
	}

	// The newest message of the ticket as shown (the highest id: the
	// list is in the order written, and imported history may have
	// come in another).
	newestIn() {
		const t = this.view.t;
		return t && Math.max(0, ...t.messages.map((m) => m.id)) || null;
	}

	input() {
		if (!this.since && this.textEl.value)
			this.since = this.newestIn();
		if (!this.textEl.value.trim())
			this.since = null;
		this.saveDraft();
		if (this.mode === 'reply')
			this.view.typed();
		this.mentions();
		// "/" typed at the start of a line opens the picker
		const at = this.textEl.selectionStart;
		const v = this.textEl.value;
		if (v[at - 1] === '/' && (at === 1 || v[at - 2] === '\n') &&
		    this.textEl.selectionEnd === at && !this.slashTyped) {
			this.slashTyped = true;
			this.insertSaved(true).finally(() => {
				this.slashTyped = false;
			});
		}
	}

	key(e) {
		if (!this.mentionEl.hidden && this.mentionKey(e))
			return;
		if (this.mode === 'reply' && this.tools.key(e))
			return;
		if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
			e.preventDefault();
			this.submit(this.mode === 'note' ? null : e.shiftKey ?
				'solved' : 'pending');
		}
	}

	// Picks a saved reply and puts it, rendered for this ticket, at the
	// cursor (in place of the "/" that opened the picker).
	async insertSaved(slash) {
		const ta = this.textEl;
		const start = slash ? ta.selectionStart - 1 : ta.selectionStart;
		const end = ta.selectionEnd;
		const r = await replies.pick();
		ta.focus();
		if (!r)
			return;
		let text;
		try {
			text = await replies.render(r, this.view.id);
		} catch (e) {
			warn('Could not fill in “' + r.title + '”: ' + e.message);
			return;
		}
		const v = ta.value;
		const s = slash && v[start] === '/' ? start : ta.selectionStart;
		const e = slash && v[start] === '/' ? start + 1 : end;
		ta.value = v.slice(0, s) + text + v.slice(e);
		ta.setSelectionRange(s + text.length, s + text.length);
		ta.dispatchEvent(new Event('input', { bubbles: true }));
	}

	// ---- @mentions in notes

	mentions() {
		if (this.mode !== 'note') {
			this.closeMentions();
			return;
		}
		const before = this.textEl.value.slice(0,
			this.textEl.selectionStart);
		const m = before.match(/(?:^|\s)@([^\s@]{0,30})$/);
		if (!m) {
			this.closeMentions();
			return;
		}
		const q = m[1].toLowerCase();
		this.found = this.view.ctx.agents.filter((a) => !a.disabled &&
			a.id !== this.view.ctx.me.id && (personName(a).toLowerCase()
			.split(/\s+/).some((w) => w.startsWith(q)) ||
			a.email.toLowerCase().startsWith(q))).slice(0, 6);
		this.mq = m[1];
		this.mAt = 0;
		this.drawMentions();
	}

	// The list, open while it has someone: the note field is then its
	// combobox, the highlighted colleague its active descendant (as the
	// saved-reply picker), so a screen reader reads who Enter would take.
	drawMentions() {
		const list = this.found || [];
		const on = list[this.mAt];
		this.mentionEl.hidden = !on;
		fill(this.mentionEl, list.map((a, i) => h('li', {
			role: 'option', id: 'mention-' + a.id,
			'aria-selected': String(i === this.mAt),
			className: i === this.mAt ? 'on' : '',
			onmousedown: (e) => {
				e.preventDefault();
				this.mention(a);
			},
		}, personName(a), h('span', 'muted', ' ' + a.email))));
		for (const [k, v] of Object.entries({ role: 'combobox',
			'aria-autocomplete': 'list', 'aria-controls': 'mention-list',
			'aria-expanded': 'true',
			'aria-activedescendant': on && 'mention-' + on.id }))
			if (on)
				this.textEl.setAttribute(k, v);
			else
				this.textEl.removeAttribute(k);
	}

	mentionKey(e) {
		const n = this.found.length;
		if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
			this.mAt = (this.mAt + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
			this.drawMentions();
		} else if (e.key === 'Enter' || e.key === 'Tab') {
			this.mention(this.found[this.mAt]);
		} else if (e.key === 'Escape') {
			this.closeMentions();
		} else {
			return false;
		}
		e.preventDefault();
		e.stopPropagation();
		return true;
	}

	mention(a) {
		const ta = this.textEl;
		const at = ta.selectionStart;
		const from = at - this.mq.length;
		const name = '@' + personName(a) + ' ';
		ta.value = ta.value.slice(0, from - 1) + name + ta.value.slice(at);
		ta.setSelectionRange(from - 1 + name.length, from - 1 + name.length);
		this.closeMentions();
		this.saveDraft();
	}

	closeMentions() {
		this.found = [];
		this.drawMentions();
	}

	// ---- drafts and sending

	saveDraft() {
		const text = this.textEl.value;
		const cc = this.ccEl.value;
		const files = this.tools.files.slice();
		if (text || cc || files.length)
			drafts.set(this.view.id, { mode: this.mode, text, cc,
				since: this.since, files });
		else
			drafts.delete(this.view.id);
	}

	restoreDraft() {
		const d = drafts.get(this.view.id);
		if (!d)
			return false;
		this.ccSet = true;
		this.setMode(d.mode);
		this.textEl.value = d.text || '';
		this.ccEl.value = d.cc || '';
		this.ccCheck();
		this.tools.set(d.files || []);
		this.since = d.since || null;
		this.spell.changed();
		this.textEl.focus();
		return true;
	}

	clear() {
		this.textEl.value = '';
		this.ccEl.value = '';
		this.ccNew.hidden = true;
		this.ccSet = false;
		this.tools.set([]);
		this.since = null;
		drafts.delete(this.view.id);
		this.textEl.dispatchEvent(new Event('input'));
	}

	submit(status) {
		let text = this.textEl.value.trim();
		if (!text) {
			warn('Write something first.');
			this.textEl.focus();
			return;
		}
		if (this.mode === 'note') {
			this.view.onSubmit('note', { text });
			return;
		}
		if (this.signature() && this.sigBox.checked)
			text += '\n\n-- \n' + this.signature();
		const cc = this.ccEl.value.split(/[\s,;]+/).filter(Boolean);
		const body = { text, status };
		if (cc.length)
			body.cc = cc;
		if (this.since)
			body.since_message_id = this.since;
		if (this.tools.files.length)
			body.attachments = this.tools.body();
		this.view.onSubmit('reply', body, { text: this.textEl.value,
			cc: this.ccEl.value, since: this.since,
			files: this.tools.files.slice() });
	}
}
