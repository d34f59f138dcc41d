// spell.js - spell check of the composer with hunspell, through
// POST /api/v1/spellcheck: misspelt words are underlined and a click on
// one (or F7 with the cursor in it) offers the suggestions.
//
// Model: the textarea stays the editor; a backdrop behind it, with the
// same box, font and wrapping, holds the same text where each misspelt
// word is a <mark> with a wavy underline, and the textarea's background
// is transparent so the marks show through. The text is checked a
// moment after typing stops; an answer for text that has changed since
// is dropped. Offsets from the server count UTF-16 units, as JavaScript
// strings do. Without the endpoint (404) or a dictionary (503) the
// check switches itself off.

import * as api from './api.js';
import { h, fill, menuKey, plural } from './dom.js';

const DELAY_MS = 500;

export class Spell {
	constructor(textarea) {
		this.ta = textarea;
		this.words = [];
		this.ignored = new Set();
		this.seq = 0;
		this.off = false;
		this.back = h('div', { className: 'spell-back', 'aria-hidden': 'true' });
		this.menu = h('div', { className: 'spell-menu', role: 'menu',
			hidden: true });
		this.status = h('span', { className: 'sr-only', role: 'status' });
		this.el = h('div', 'spell-wrap', this.back, textarea,
			this.menu, this.status);
		textarea.classList.add('spell-ta');
		textarea.addEventListener('input', () => this.changed());
		textarea.addEventListener('scroll', () => this.sync());
		textarea.addEventListener('click', () => this.offer());
		textarea.addEventListener('keydown', (e) => {
			if (e.key === 'F7') {
				e.preventDefault();
				this.offer(true);
			} else if (e.key === 'Escape' && !this.menu.hidden) {
				e.preventDefault();
				e.stopPropagation();
				this.close();
			}
		});
		new ResizeObserver(() => this.sync()).observe(textarea);
	}

	changed() {
		this.close();
		// marks that no longer match their text are dropped at once
		this.draw();
		clearTimeout(this.timer);
		if (!this.off)
			this.timer = setTimeout(() => this.check(), DELAY_MS);
	}

	async check() {
		const text = this.ta.value;
		const seq = ++this.seq;
		if (!text.trim()) {
			this.words = [];
			this.draw();
			return;
		}
		let r;
		try {
			r = await api.post('/spellcheck', { text });
		} catch (e) {
			if (api.missing(e) || e.status === 503)
				this.off = true;
			return;
		}
		if (seq !== this.seq || text !== this.ta.value)
			return;
		this.words = r.misspellings.filter((w) =>
			!this.ignored.has(w.word));
		this.draw();
		this.status.textContent = this.words.length ?
			plural(this.words.length, 'possible misspelling') +
			' (F7 on a word)' : '';
	}

	draw() {
		const text = this.ta.value;
		const parts = [];
		let at = 0;
		this.words = this.words.filter((w) =>
			text.slice(w.offset, w.offset + w.length) === w.word);
		for (const w of this.words) {
			if (w.offset < at)
				continue;
			parts.push(text.slice(at, w.offset), h('mark', 'misspelt', w.word));
			at = w.offset + w.length;
		}
		// a trailing newline needs a character after it to take room
		parts.push(text.slice(at) + '\u200b');
		fill(this.back, parts);
		this.sync();
	}

	sync() {
		const cs = getComputedStyle(this.ta);
		this.back.style.height = this.ta.offsetHeight + 'px';
		this.back.style.width = this.ta.offsetWidth + 'px';
		this.back.style.paddingRight = (parseFloat(cs.paddingRight) +
			this.ta.offsetWidth - this.ta.clientWidth -
			parseFloat(cs.borderLeftWidth) - parseFloat(cs.borderRightWidth)) +
			'px';
		this.back.scrollTop = this.ta.scrollTop;
	}

	// The suggestions for the misspelt word at the cursor.
	offer(focusMenu) {
		const at = this.ta.selectionStart;
		const i = this.words.findIndex((w) => at >= w.offset &&
			at <= w.offset + w.length);
		if (i < 0 || this.ta.selectionEnd !== at) {
			this.close();
			return;
		}
		const w = this.words[i];
		const mark = this.back.querySelectorAll('mark')[i];
		const item = (label, run) => h('button', { role: 'menuitem', onclick: run,
			onkeydown: (e) => this.menuKey(e) }, label);
		fill(this.menu, (w.suggestions || []).slice(0, 6).map((s) =>
			item(s, () => this.replace(w, s))),
		w.suggestions && w.suggestions.length ? null :
			h('span', 'muted', 'No suggestions'),
		item('Ignore “' + w.word + '”', () => {
			this.ignored.add(w.word);
			this.words = this.words.filter((x) => x.word !== w.word);
			this.draw();
			this.close(true);
		}));
		this.menu.hidden = false;
		if (mark) {
			const box = this.el.getBoundingClientRect();
			const r = mark.getBoundingClientRect();
			this.menu.style.left = Math.max(0, r.left - box.left) + 'px';
			this.menu.style.top = (r.bottom - box.top + 2) + 'px';
		}
		if (focusMenu && this.menu.querySelector('button'))
			this.menu.querySelector('button').focus();
	}

	menuKey(e) {
		menuKey(this.menu, e, (back) => this.close(back));
	}

	replace(w, s) {
		const t = this.ta.value;
		this.ta.value = t.slice(0, w.offset) + s +
			t.slice(w.offset + w.length);
		const at = w.offset + s.length;
		this.ta.setSelectionRange(at, at);
		this.close(true);
		this.ta.dispatchEvent(new Event('input', { bubbles: true }));
	}

	close(refocus) {
		this.menu.hidden = true;
		if (refocus)
			this.ta.focus();
	}
}
