// dom.js - small helpers shared by the views: building elements without
// HTML strings (so nothing from a mail is ever parsed as markup, and the
// strict CSP needs no exception), times, avatars, toasts.

// Where composer.js keeps unsent replies in the browser (app.js forgets
// them at sign-out).
export const DRAFTS_KEY = 'tame.drafts';

// h('div', {className: 'x', onclick: f}, child, 'text', ...): an element;
// h('div', 'x', ...) is h('div', {className: 'x'}, ...).
// Attributes whose name starts with "on" become listeners; "dataset"
// fills data-*; dashed names (aria-*) and names the element has no
// property for (role, tabindex, for) are set as attributes; the rest
// as properties. Children may be nodes, strings, numbers, arrays,
// null or false (skipped). A button is type="button" unless attrs say
// 'submit'.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (typeof attrs === 'string')
		attrs = { className: attrs };
	// a button submits its form only when it says so (type: 'submit')
	if (tag === 'button')
		el.type = 'button';
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

// The element that scrolls el into view: its nearest ancestor that
// may scroll (it may have nothing to scroll yet), else the page.
function scrollerOf(el) {
	for (let p = el.parentElement; p; p = p.parentElement) {
		const y = getComputedStyle(p).overflowY;
		if (y === 'auto' || y === 'scroll')
			return p;
	}
	return document.scrollingElement;
}

// A selector for the element that stands for e once drawn again: its
// id, its data-key or its link.
function focusKey(e) {
	if (e.id)
		return '#' + CSS.escape(e.id);
	if (e.dataset && e.dataset.key)
		return '[data-key="' + CSS.escape(e.dataset.key) + '"]';
	if (e.tagName === 'A' && e.getAttribute('href'))
		return 'a[href="' + CSS.escape(e.getAttribute('href')) + '"]';
	return null;
}

// Runs draw(), which draws again some of what is in root (a live change:
// a colleague's note, new mail), keeping the agent's place: the focus
// goes back to what stands for the element that had it, and that
// element (or anchor(), called before and after) stays where it was on
// the screen, so that neither a keyboard nor a screen reader user loses
// their place, nor the line being typed or the row under the mouse
// moves away.
export function keepPlace(root, draw, anchor = null) {
	const was = document.activeElement;
	const inside = !!was && was !== document.body && root.contains(was);
	const key = inside && focusKey(was);
	const mark = anchor ? anchor() : inside ? was : null;
	const top = mark ? mark.getBoundingClientRect().top : 0;
	// (what is taller than the screen, as the whole conversation
	// focused when a ticket opens, is no place to hold: a head grown
	// taller above it would be scrolled away)
	let scroller = mark && scrollerOf(mark);
	if (scroller && mark.getBoundingClientRect().height >
	    scroller.clientHeight)
		scroller = null;
	draw();
	// only a focus lost with its element: draw() may have moved it on
	// purpose
	if (key && (!document.activeElement ||
	    document.activeElement === document.body)) {
		const now = root.querySelector(key);
		if (now)
			now.focus({ preventScroll: true });
	}
	const after = anchor ? anchor() : inside ? document.activeElement : null;
	if (scroller && after && after !== document.body && after.isConnected &&
	    root.contains(after))
		scroller.scrollTop += after.getBoundingClientRect().top - top;
}

// Makes nodes (elements, in order) the children of el, leaving where
// they are those already there: a frame taken out of the page and put
// back loads again, and what was unfolded, selected or focused in it
// is lost.
export function place(el, nodes) {
	const keep = new Set(nodes);
	for (const c of [...el.childNodes])
		if (!keep.has(c))
			c.remove();
	let at = el.firstChild;
	for (const n of nodes) {
		if (n === at)
			at = at.nextSibling;
		else
			el.insertBefore(n, at);
	}
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
function utc(t) {
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

// An address as shown: each bidi control (U+061C, U+200E/F, U+202A-E,
// U+2066-9, as tame_bidi_control in tamed) as U+FFFD, or
// "<RLO>moc.elpmaxe@oec" would show as ceo@example.com (and, left out,
// "ceo@exam<LRM>ple.com" too). Addresses get the mark as their mail
// comes in; one an older Tame stored may have the controls.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
export function addr(s) {
	return (s || '').replace(BIDI, '\ufffd');
}

// An address in a name: a run without spaces, controls or <>()[]",;:
// around an "@" or one of the two that look like it (fullwidth U+FF20,
// small U+FE6B). src/net/http_first.c finds them the same way.
const IN_NAME = /[^\0- <>()[\]",;:]+[@\uff20\ufe6b][^\0- <>()[\]",;:]+/g;

// A person's name, else their address. A name that holds an address
// other than their own ("ceo@example.com" <x@evil.example>) would
// pass for it: their address shows instead.
// "1 ticket", "3 tickets", "100+ tickets" (n a number or its text).
export const plural = (n, word) => n + ' ' + word + (+n === 1 ? '' : 's');

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
function initials(p) {
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
	const t = h('div', 'toast' + (kind ? ' ' + kind : ''),
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
			className: 'link',
			onclick: () => { close(); a.run(); },
		}, a.label));
	box.appendChild(t);
	if (focus && actions.length)
		t.children[1].focus();
	if (timeout)
		timer = setTimeout(close, timeout);
	return { close, el: t };
}

// How long a reply, or a reply to many, can be taken back; tests
// shorten it.
export function undoMs() {
	const v = Number(localStorage.getItem('tame.undoMs'));
	return v > 0 ? v : 5000;
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
	return h('label', 'field', h('span', {}, label),
		control, hint ? h('small', 'muted', hint) : null);
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
		h('div', 'buttons end',
			buttons.map((b) => h('button', {
				className: b.primary ? 'primary' :
					b.danger ? 'danger' : '',
				onclick: async () => {
					let v = b.value;
					if (typeof v === 'function' && (v = await v()) === false)
						return;
					done(v === undefined ? null : v);
				},
			}, b.label)),
			h('button', { className: 'ghost',
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

// A dialog to pick one of all: a search field over a list (a few
// letters narrow it; arrows move, Enter or a click takes one). o: {id
// (the field is id + '-q', the list id + '-list'), label (the list's), hint
// (the field's placeholder), button, intro (nodes above the field),
// score(q, item) (> 0 to show it, the best first; all in their order
// for an empty q), row(item) (the nodes of its line), key(item) (its
// DOM id), max (lines drawn at most)}. Resolves with the item or null.
export function picker(title, all, o) {
	const max = o.max || Infinity;
	let shown = all;
	let at = 0;
	const input = h('input', { id: o.id + '-q', type: 'search',
		autocomplete: 'off', placeholder: o.hint, role: 'combobox',
		'aria-controls': o.id + '-list', 'aria-expanded': 'true',
		'aria-label': o.hint });
	const list = h('ul', { id: o.id + '-list', role: 'listbox',
		className: 'picker-list', 'aria-label': o.label });
	const draw = () => {
		fill(list, shown.slice(0, max).map((x, i) => h('li', {
			id: o.key(x), role: 'option', 'aria-selected': String(i === at),
			className: i === at ? 'on' : '',
			onclick: () => list.closest('dialog').done(x),
		}, o.row(x))), shown.length > max ? h('li', { className: 'muted',
			'aria-hidden': 'true' }, (shown.length - max) + ' more: type ' +
			'to narrow') : null);
		if (shown[at]) {
			input.setAttribute('aria-activedescendant', o.key(shown[at]));
			list.children[at].scrollIntoView({ block: 'nearest' });
		} else {
			input.removeAttribute('aria-activedescendant');
		}
	};
	input.addEventListener('input', () => {
		const q = input.value.trim();
		shown = q ? all.map((x, i) => [o.score(q, x), i, x])
			.filter(([s]) => s > 0).sort((a, b) => b[0] - a[0] || a[1] - b[1])
			.map(([, , x]) => x) : all;
		at = 0;
		draw();
	});
	input.addEventListener('keydown', (e) => {
		if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
			e.preventDefault();
			at = Math.max(0, Math.min(Math.min(shown.length, max) - 1,
				at + (e.key === 'ArrowDown' ? 1 : -1)));
			draw();
		} else if (e.key === 'Enter') {
			e.preventDefault();
			if (shown[at])
				input.closest('dialog').done(shown[at]);
		}
	});
	draw();
	return modal(title, h('div', 'picker', o.intro, input,
		list), [{ label: o.button, primary: true,
		value: () => shown[at] || false }], () => input.focus());
}

// Keys in an open menu (role menu, its items buttons): arrows, Home and
// End move, Escape closes it (close(true): the focus goes back), Tab
// closes it and goes on.
export function menuKey(menu, e, close) {
	const items = Array.from(menu.querySelectorAll('button'));
	const i = items.indexOf(document.activeElement);
	const to = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 :
		e.key === 'Home' ? 0 : e.key === 'End' ? items.length - 1 : null;
	if (to !== null) {
		e.preventDefault();
		items[(to + items.length) % items.length].focus();
	} else if (e.key === 'Escape') {
		e.preventDefault();
		e.stopPropagation();
		close(true);
	} else if (e.key === 'Tab') {
		close(false);
	}
}

// A button that opens a menu of actions [{label, run}] under it (a
// click, Enter, or the down arrow; the first item gets the focus). An
// item closes it and runs; so does a click elsewhere. attrs go to the
// button (an id brings the focus back to its like when the page is
// drawn again meanwhile, see modal()).
export function menuButton(label, items, attrs) {
	const menu = h('div', { className: 'menu', role: 'menu', hidden: true });
	const button = h('button', { 'aria-haspopup': 'menu',
		'aria-expanded': 'false', ...attrs,
		onclick: () => (menu.hidden ? open() : close(true)),
		onkeydown: (e) => {
			if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
				e.preventDefault();
				open();
			}
		} }, label);
	const wrap = h('span', 'menu-wrap', button, menu);
	const away = (e) => {
		if (!wrap.contains(e.target))
			close(false);
	};
	const close = (back) => {
		menu.hidden = true;
		button.setAttribute('aria-expanded', 'false');
		document.removeEventListener('mousedown', away);
		if (back)
			button.focus();
	};
	const open = () => {
		fill(menu, items.map((it) => h('button', { role: 'menuitem', tabindex: '-1',
			onclick: () => {
				close(true);
				it.run();
			},
			onkeydown: (e) => menuKey(menu, e, close) }, it.label)));
		menu.hidden = false;
		button.setAttribute('aria-expanded', 'true');
		document.addEventListener('mousedown', away);
		menu.firstChild.focus();
	};
	return wrap;
}
