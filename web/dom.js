// dom.js - small helpers shared by the views: building elements without
// HTML strings (so nothing from a mail is ever parsed as markup, and the
// strict CSP needs no exception), times, avatars, toasts.

// Where composer.js keeps unsent replies in the browser (app.js forgets
// them at sign-out).
export const DRAFTS_KEY = 'tame.drafts';

// h('div', {className: 'x', onclick: f}, child, 'text', ...): an element.
// Attributes whose name starts with "on" become listeners; "dataset"
// fills data-*; dashed names (aria-*) and names the element has no
// property for (role, tabindex, for) are set as attributes; the rest
// as properties. Children may be nodes, strings, numbers, arrays,
// null or false (skipped).
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2), v);
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else if (k.includes('-') || !(k in el) || k === 'list')
			el.setAttribute(k, v === true ? '' : String(v));
		else
			el[k] = v;
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false)
			continue;
		if (Array.isArray(c))
			append(el, c);
		else if (c instanceof Node)
			el.appendChild(c);
		else
			el.appendChild(document.createTextNode(String(c)));
	}
}

// Replaces the children of el.
export function fill(el, ...children) {
	el.replaceChildren();
	append(el, children);
	return el;
}

// A year of 365.25 days, in seconds.
const YEAR = 31557600;

// "5m", "3h", "2d", "4w", then "2mo" (from 9 weeks) and "3y" since the
// RFC 3339 time t.
export function ago(t, now = Date.now()) {
	if (!t)
		return '';
	const s = Math.max(0, (now - Date.parse(t)) / 1000);
	if (s < 60)
		return 'now';
	if (s < 3600)
		return Math.floor(s / 60) + 'm';
	if (s < 86400)
		return Math.floor(s / 3600) + 'h';
	if (s < 86400 * 14)
		return Math.floor(s / 86400) + 'd';
	if (s < 86400 * 63)
		return Math.floor(s / 86400 / 7) + 'w';
	if (s < YEAR)
		return Math.floor(s / (YEAR / 12)) + 'mo';
	return Math.floor(s / YEAR) + 'y';
}

// Seconds since t.
export function age(t, now = Date.now()) {
	return t ? Math.max(0, (now - Date.parse(t)) / 1000) : 0;
}

// Made on first use: the first Intl formatter of a page is among the
// slowest things it does (tens of ms, far more on a busy machine), not
// to be paid before the inbox is painted (app.js makes it after).
let dateFmt = null;

// "2 Dec 2026, 15:41 GMT" (the browser's locale) for the time t; '' for
// none. The zone is named: agents in other zones compare times, and
// around a change of summer time a wall time alone runs backwards
// (01:40 BST, then 01:20 GMT).
export function when(t) {
	if (!dateFmt)
		dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric',
			month: 'short', day: 'numeric', hour: 'numeric',
			minute: '2-digit', timeZoneName: 'short' });
	return t ? dateFmt.format(new Date(t)) : '';
}

// "2026-12-02 14:41:07 UTC" for the time t: the same for every agent.
export function utc(t) {
	return new Date(t).toISOString().slice(0, 19).replace('T', ' ') +
		' UTC';
}

// A <time> of t: when(t), and utc(t) in its tooltip; null for none.
export function timeEl(t, className) {
	return t && h('time', { dateTime: t, title: utc(t), className }, when(t));
}

// "2026-12-02 15:41 UTC+1 (14:41 UTC)" for the time t: local time and
// its offset, and elsewhere than at UTC the UTC time (with its date
// when that is another); without Intl. src/net/http_first.c writes
// the UTC form.
export function stamp(t) {
	const d = new Date(t), o = -d.getTimezoneOffset(), a = Math.abs(o);
	const at = (m) => new Date(d.getTime() + m * 60000).toISOString()
		.slice(0, 16).replace('T', ' ');
	const l = at(o), u = at(0);
	return l + ' UTC' + (o ? (o < 0 ? '-' : '+') + (a / 60 | 0) +
		(a % 60 ? ':' + String(a % 60).padStart(2, '0') : '') + ' (' +
		(u.slice(0, 10) === l.slice(0, 10) ? u.slice(11) : u) + ' UTC)' :
		'');
}

// A customer's one-line text (a subject, a preview) without explicit
// bidi controls: an override or isolate left open in it would draw what
// the app writes after it inside its run. Letters keep their direction.
export function flat(s) {
	return (s || '').replace(/[\u202a-\u202e\u2066-\u2069]/g, '');
}

// An address as shown: without any bidi control (U+061C, U+200E/F,
// U+202A-E, U+2066-9, as tame_bidi_control in tamed), or
// "<RLO>moc.elpmaxe@oec" would show as ceo@example.com. Addresses lose
// them as their mail comes in; one an older Tame stored may have them.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
export function addr(s) {
	return (s || '').replace(BIDI, '');
}

// An address in a name: a run without spaces, controls or <>()[]",;:
// around an "@" or one of the two that look like it (fullwidth U+FF20,
// small U+FE6B). src/net/http_first.c finds them the same way.
const IN_NAME = /[^\0- <>()[\]",;:]+[@\uff20\ufe6b][^\0- <>()[\]",;:]+/g;

// A person's name, else their address. A name that holds an address
// other than their own ("ceo@example.com" <x@evil.example>) would
// pass for it: their address shows instead.
export function personName(p) {
	if (!p)
		return '';
	const own = (p.email || '').toLowerCase();
	return p.name && !(p.name.match(IN_NAME) || []).some((a) =>
		a.toLowerCase() !== own) ? p.name : addr(p.email);
}

// Up to two initials of a name or email: the first letter or digit of
// its first and last words, not an invisible character, a mark or half
// an emoji.
export function initials(p) {
	const parts = personName(p).replace(/@.*/, '').split(/[\s._-]+/)
		.map((w) => (w.match(/[\p{L}\p{N}]/u) || [''])[0]).filter(Boolean);
	const a = parts[0] || '?';
	const b = parts.length > 1 ? parts[parts.length - 1] : '';
	return (a + b).toUpperCase();
}

// A round avatar: the agent's picture (avatar_url) or initials whose
// colour comes from the name, through one of eight classes (no inline
// style).
export function avatar(p, extra = '') {
	if (p && p.avatar_url && /^\/api\//.test(p.avatar_url))
		return h('img', { className: 'avatar' + (extra ? ' ' + extra : ''),
			src: p.avatar_url, alt: '', title: personName(p) });
	let hash = 0;
	for (const ch of personName(p))
		hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
	return h('span', {
		className: 'avatar av' + (hash % 8) + (extra ? ' ' + extra : ''),
		title: personName(p),
		'aria-hidden': 'true',
	}, initials(p));
}

// A short message at the bottom of the screen. actions: [{label, run}];
// focus: its first action takes the focus. When it goes with the focus
// in it, the focus goes back where it was. Returns an object with
// close().
export function toast(text, { actions = [], timeout = 4000,
	kind = '', focus = false } = {}) {
	const box = document.getElementById('toasts');
	const from = document.activeElement;
	let timer = null;
	const t = h('div', { className: 'toast' + (kind ? ' ' + kind : '') },
		h('span', {}, text));
	const close = () => {
		clearTimeout(timer);
		const had = t.contains(document.activeElement);
		t.remove();
		if (had && from && from.isConnected)
			from.focus();
	};
	for (const a of actions)
		t.appendChild(h('button', {
			type: 'button', className: 'link',
			onclick: () => { close(); a.run(); },
		}, a.label));
	box.appendChild(t);
	if (focus && actions.length)
		t.children[1].focus();
	if (timeout)
		timer = setTimeout(close, timeout);
	return { close, el: t };
}

// A toast for what went wrong, left a little longer.
export function warn(text) {
	return toast(text, { kind: 'bad', timeout: 8000 });
}

// True when the keyboard focus is in a field that takes text.
export function typing(target) {
	const el = target || document.activeElement;
	if (!el)
		return false;
	const tag = el.tagName;
	return (tag === 'INPUT' && !/^(checkbox|radio|button|submit)$/.test(
		el.type)) || tag === 'TEXTAREA' || tag === 'SELECT' ||
		el.isContentEditable;
}

// A labelled field: h('label') around a caption and the control.
export function field(label, control, hint) {
	return h('label', { className: 'field' }, h('span', {}, label),
		control, hint ? h('small', { className: 'muted' }, hint) : null);
}

// Whether to take ticket id from its assignee a: at once when nobody
// (or me) has it, a colleague's only when asked.
export async function mayTake(id, a, me) {
	return !a || a.id === me.id || await modal('Take #' + id + '?',
		h('p', {}, '#' + id + ' is ' + personName(a) + '\'s. Take it ' +
			'over?'), [{ label: 'Take it', primary: true, value: true }]);
}

// A modal dialog with title, body (nodes) and buttons [{label, value,
// primary, danger}]. Resolves with the value of the button pressed, or
// null (Esc, Cancel). onOpen(dlg) runs once shown; a button whose
// value is a function is awaited and closes the dialog only when it
// returns something other than false. Anything inside may call
// closest('dialog').done(value).
export function modal(title, body, buttons, onOpen) {
	return new Promise((resolve) => {
		const dlg = h('dialog', { className: 'modal',
			'aria-label': title },
		h('h2', {}, title), body,
		h('div', { className: 'buttons end' },
			buttons.map((b) => h('button', {
				type: 'button', className: b.primary ? 'primary' :
					b.danger ? 'danger' : '',
				onclick: async () => {
					let v = b.value;
					if (typeof v === 'function' && (v = await v()) === false)
						return;
					done(v === undefined ? null : v);
				},
			}, b.label)),
			h('button', { type: 'button', className: 'ghost',
				onclick: () => done(null) }, 'Cancel')));
		let settled = false;
		const opener = document.activeElement;
		const done = (v) => {
			if (settled)
				return;
			settled = true;
			dlg.close();
			under.appendChild(toasts);
			dlg.remove();
			// the focus goes back where it was (to its like when that was
			// drawn again meanwhile), else to the content
			if (document.activeElement === document.body)
				(opener.isConnected && opener !== document.body ? opener :
					opener.id && document.getElementById(opener.id) ||
					document.getElementById('main')).focus();
			resolve(v);
		};
		dlg.done = done;
		dlg.addEventListener('cancel', (e) => {
			e.preventDefault();
			done(null);
		});
		// closed by the browser without a cancel event (Escape with no
		// user activation since the last dialog)
		dlg.addEventListener('close', () => done(null));
		// Enter in a field does what the main button does, as in a
		// form (a text area keeps its new line; a picker inside that
		// takes Enter itself says so with preventDefault)
		dlg.addEventListener('keydown', (e) => {
			const t = e.target;
			if (e.key !== 'Enter' || e.defaultPrevented || e.isComposing ||
			    e.shiftKey || e.ctrlKey || e.altKey || e.metaKey ||
			    t.tagName === 'TEXTAREA' || t.tagName === 'BUTTON' ||
			    t.tagName === 'A' || t.isContentEditable)
				return;
			const main = dlg.querySelector('.buttons button.primary') ||
				(buttons.length === 1 &&
				 dlg.querySelector('.buttons button'));
			if (!main || main.disabled)
				return;
			e.preventDefault();
			main.click();
		});
		// the messages' live region goes into the dialog while it is
		// open: outside, it is inert and never read out
		const toasts = document.getElementById('toasts');
		const under = toasts.parentNode;
		document.body.appendChild(dlg);
		dlg.showModal();
		dlg.appendChild(toasts);
		if (onOpen)
			onOpen(dlg);
	});
}

