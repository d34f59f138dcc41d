// compose_tools.js - the composer's toolbar: light formatting and files.
//
// Bold, Italic and List (and Ctrl+B, Ctrl+I) put around the selection
// the marks people already type in plain-text mail, **bold**, *italic*
// and "- " at the start of a line; the reply stays plain text and tamed
// sends those marks as an HTML part beside it. Files chosen with Attach
// or dropped on the composer are read here (FileReader, base64) and go
// with the reply as attachments: [{filename, content_type, data}].

import { h, fill, warn } from './dom.js';

// The server's limits (tame_limits.h): 10 files, 10 MB together.
const MAX_FILES = 10;
const MAX_BYTES = 10 * 1024 * 1024;

function kb(n) {
	return n < 1024 ? n + ' B' : n < 1048576 ? Math.ceil(n / 1024) +
		' kB' : (n / 1048576).toFixed(1) + ' MB';
}

// The file's bytes in base64, without the data: URL's prefix.
function read(f) {
	return new Promise((ok, fail) => {
		const r = new FileReader();
		r.onload = () => ok(String(r.result).replace(/^[^,]*,/, ''));
		r.onerror = () => fail(r.error);
		r.readAsDataURL(f);
	});
}

// Puts kind's marks around the selection of textarea ta (kept undoable
// where the browser allows).
export function mark(ta, kind) {
	const v = ta.value;
	let s = ta.selectionStart;
	const e = ta.selectionEnd;
	let text;
	let m = '';
	if (kind === 'list') {
		s = v.lastIndexOf('\n', s - 1) + 1;
		text = v.slice(s, e).split('\n').map((l) =>
			l.startsWith('- ') ? l : '- ' + l).join('\n');
	} else {
		m = kind === 'bold' ? '**' : '*';
		text = m + v.slice(s, e) + m;
	}
	ta.focus();
	ta.setSelectionRange(s, e);
	if (!document.execCommand('insertText', false, text)) {
		ta.setRangeText(text, s, e);
		ta.dispatchEvent(new Event('input', { bubbles: true }));
	}
	// the selected words stay selected inside the marks
	if (m)
		ta.setSelectionRange(s + m.length, e + m.length);
	else
		ta.setSelectionRange(s + text.length, s + text.length);
}

export class ComposeTools {
	// ta: the textarea; changed(): the files changed (draft to save)
	constructor(ta, changed) {
		this.ta = ta;
		this.changed = changed;
		this.files = [];     // {filename, content_type, data, size}
		const b = (label, title, kind) => h('button', {
			className: 'ghost small fmt', title,
			'aria-label': title, onclick: () => mark(ta, kind) }, label);
		this.input = h('input', { type: 'file', multiple: true,
			hidden: true, id: 'composer-file',
			onchange: () => this.add(this.input.files) });
		this.el = h('div', 'tool-row',
			b(h('b', {}, 'B'), 'Bold (Ctrl+B)', 'bold'),
			b(h('i', {}, 'I'), 'Italic (Ctrl+I)', 'italic'),
			b('• List', 'Bulleted list', 'list'),
			h('button', { className: 'ghost small',
				id: 'attach', onclick: () => this.input.click() },
			'Attach…'), this.input);
		this.listEl = h('ul', { className: 'att-list', hidden: true,
			'aria-label': 'Files to send' });
	}

	// Ctrl+B / Ctrl+I in the textarea; true if handled.
	key(e) {
		const k = e.key.toLowerCase();
		if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey ||
		    (k !== 'b' && k !== 'i'))
			return false;
		e.preventDefault();
		mark(this.ta, k === 'b' ? 'bold' : 'italic');
		return true;
	}

	// Drops of files on el attach them.
	dropOn(el) {
		const files = (e) => e.dataTransfer &&
			Array.from(e.dataTransfer.types).includes('Files');
		el.addEventListener('dragover', (e) => {
			if (files(e)) {
				e.preventDefault();
				el.classList.add('drop');
			}
		});
		el.addEventListener('dragleave', () => el.classList.remove('drop'));
		el.addEventListener('drop', (e) => {
			el.classList.remove('drop');
			if (files(e)) {
				e.preventDefault();
				this.add(e.dataTransfer.files);
			}
		});
	}

	async add(list) {
		for (const f of Array.from(list)) {
			const used = this.files.reduce((n, x) => n + x.size, 0);
			if (this.files.length >= MAX_FILES || used + f.size >
			    MAX_BYTES) {
				warn(f.name + ' was not attached: a reply takes at most ' +
					MAX_FILES + ' files, 10 MB together.');
				continue;
			}
			try {
				this.files.push({ filename: f.name, size: f.size,
					content_type: /^[\w.+-]+\/[\w.+-]+$/.test(f.type) ?
						f.type : '', data: await read(f) });
			} catch (e) {
				warn('Could not read ' + f.name + '.');
			}
		}
		this.input.value = '';
		this.draw();
		this.changed();
	}

	set(files) {
		this.files = files ? files.slice() : [];
		this.draw();
	}

	draw() {
		this.listEl.hidden = !this.files.length;
		fill(this.listEl, this.files.map((f, i) => h('li', {},
			f.filename, h('span', 'muted', ' ' + kb(f.size)),
			h('button', { className: 'ghost small',
				'aria-label': 'Remove ' + f.filename, onclick: () => {
					this.files.splice(i, 1);
					this.draw();
					this.changed();
				} }, '×'))));
	}

	// What the reply's body carries.
	body() {
		return this.files.map(({ filename, content_type, data }) =>
			({ filename, content_type, data }));
	}
}
