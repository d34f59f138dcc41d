// message.js - one message of a conversation: who wrote it, its body
// with quoted history and signature folded away, HTML mail in a
// sandboxed frame, attachments.
//
// Safety model: text is only ever set as text. HTML mail arrives
// already sanitised by tamed (an allow-list; remote images turned into
// data-src) and is shown in an <iframe sandbox="allow-same-origin">
// built from srcdoc: without allow-scripts nothing in it can run, and
// the frame inherits the page's CSP (no remote loads at all). The
// same-origin flag only lets this page size the frame and catch link
// clicks; links open in a new tab without opener or referrer, and only
// for absolute http, https and mailto URLs.
//
// "Show remote images" (a click, remembered for the page's life) points
// the same frame at tamed's .../messages/ID/html?remote=1 instead: the
// same sanitised HTML with data-src made src, served with a CSP of its
// own that allows images from http: and https: and still no script
// (sandbox, default-src 'none'). The app's own CSP is unchanged.
// "View original" opens the message as it arrived (.../raw), served as
// sandboxed text/plain.

import { h, timeEl, personName, addr, plural } from './dom.js';
import { attachmentUrl } from './api.js';
import { toneChips } from './tone.js';

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

// Messages whose remote images the agent chose to see.
const remoteShown = new Set();

// The URL of message mid of ticket tid as what: raw, html.
function messageUrl(tid, mid, what) {
	return '/api/v1/tickets/' + encodeURIComponent(tid) + '/messages/' +
		encodeURIComponent(mid) + '/' + what;
}

// Outlook's "From:" and "Sent:" block, also in German, French, Spanish,
// Italian, Dutch, Scandinavian and Polish
const outlookFrom = /^(From|Von|De|Da|Van|Fra|Fr\u00e5n|Od) ?:\s/i;
const outlookSent = /^(Sent|Date|Gesendet|Datum|Envoy\u00e9|Enviado( el)?|Fecha|Inviato|Verzonden|Sendt|Skickat|Wys\u0142ano) ?:\s/i;

// The characters of a line the patterns below read: an attribution or
// a header is short, and on a line of megabytes a pattern that
// backtracks would hold the page for seconds.
const LINE_SCAN = 1000;

// "On ... wrote:" in English, German, French, Spanish, Italian,
// Scandinavian, Polish and Dutch, on one line
const saidStart = /^\s*(On|Am|Le|El|Il|Den|Dnia|Op)\s/i;
const saidVerb = /(wrote|schrieb|a \u00e9crit ?|escribi\u00f3|ha scritto|skrev|napisa\u0142|schreef):\s*$/i;

// German and Danish may name the writer last ("Am ... schrieb Max
// Muster:"): the line ends in a colon with " schrieb " before it and
// something between. Tested in two steps, not as one pattern whose
// ".+:" would try every " schrieb " against the rest of the line.
function namesLast(l) {
	const t = l.trimEnd();
	return t.endsWith(':') && /\s(schrieb|skrev)\s./i.test(t.slice(0, -1));
}

// A forwarded message's marker, after any punctuation: Gmail's
// "---------- Forwarded message ---------", Apple Mail's "Begin
// forwarded message:". Read from the line's first letter on: the
// pattern /^\W*(-+ *Forwarded message|...)/ tried every way of sharing
// a long run of dashes between its \W* and its -+.
function forwardMarker(l) {
	const k = l.search(/\w/);
	if (k < 0)
		return false;
	const word = l.slice(k, k + 23);
	if (/^Begin forwarded message/i.test(word))
		return true;
	let j = k;
	while (j > 0 && l[j - 1] === ' ')
		j--;
	return j > 0 && l[j - 1] === '-' && /^Forwarded message/i.test(word);
}

// Where the quoted history (or the signature) of a plain-text mail
// starts: the index of the first line to fold, or -1. Folded: an
// attribution line ("On ... wrote:", also split over two lines) or an
// Outlook header block followed by quotes, a trailing block of "> "
// lines, and a signature after "-- ". Not folded: an attribution whose
// quotes have the customer's own lines between or after them (answers
// inline, or below), and anything after a forwarded message's marker
// (what was forwarded is what the customer wants read), nor, in a mail
// whose subject says it forwards (Outlook's "FW:" has no marker but its
// header block), anything after its first header block. Linear in the
// text: what each line needs to know of the lines after it is found in
// one pass from the end.
export function foldPoint(lines, forward) {
	const n = lines.length;
	const isQuote = (l) => /^\s*>/.test(l);
	const blank = (l) => !/\S/.test(l);
	const sig = (l) => l === '-- ' || l === '--';
	const head = (i) => i < n ? lines[i].slice(0, LINE_SCAN) : '';
	const said = (l, next) => saidStart.test(l) && (saidVerb.test(l) ||
		namesLast(l) || (saidVerb.test(next) && !isQuote(next)));
	const outlook = (l, next) => outlookFrom.test(l) &&
		outlookSent.test(next);
	// from the end: rest[i], every line from i on is a quote or blank;
	// answered[i] (answeredQ[i] after a quote), the customer's own words
	// follow a quote from line i on, before any signature; fwdFrom[i],
	// a forwarded message's marker is at i or after it
	const rest = new Uint8Array(n + 1);
	const answered = new Uint8Array(n + 1);
	const answeredQ = new Uint8Array(n + 1);
	const fwdFrom = new Uint8Array(n + 1);
	rest[n] = 1;
	for (let i = n - 1; i >= 0; i--) {
		const l = lines[i], q = isQuote(l), b = !q && blank(l);
		rest[i] = (q || b) && rest[i + 1];
		fwdFrom[i] = fwdFrom[i + 1] || forwardMarker(head(i));
		if (sig(l))
			continue;
		answered[i] = q ? answeredQ[i + 1] : answered[i + 1];
		answeredQ[i] = q || b ? answeredQ[i + 1] : 1;
	}
	let cut = -1;
	for (let i = 0; i < n; i++) {
		const l = head(i), next = head(i + 1);
		if (forwardMarker(l))
			break;
		const s = said(l, next);
		if (s && answered[i + 1])
			continue;
		const block = /^-{2,}\s*Original Message\s*-{2,}/i.test(l) ||
			outlook(l, next);
		if (forward && block)
			break;
		if (s || block) {
			cut = i;
			break;
		}
		// a signature above a forwarded message folds nothing
		if (sig(lines[i])) {
			cut = fwdFrom[i] ? -1 : i;
			break;
		}
		if (rest[i] && isQuote(lines[i])) {
			cut = i;
			break;
		}
	}
	if (cut <= 0)
		return cut === 0 ? -1 : cut;
	// Do not fold what is almost the whole message.
	const kept = lines.slice(0, cut).filter((l) => !blank(l)).length;
	return kept > 0 ? cut : -1;
}

// A subject that says its mail forwards another: "Fwd:", Outlook's
// "FW:" and its German, French, Spanish, Portuguese, Dutch, Swedish,
// Finnish and Polish forms.
const forwardSubject = /^\s*(fwd?|wg|tr|rv|enc|doorst|vb|vl|pd)\s*:/i;

// What a text shows before "Show all": a few screens.
const LONG_TEXT = 30000, LONG_LINES = 300;

// Text (a pasted log of megabytes, say) as an element: beyond
// LONG_LINES or LONG_TEXT characters only its first part, up to a line
// end where there is one, and a button that shows the rest. Shown
// whole, it is in pieces of 64 k characters: chromium stops wrapping
// one text node of a few MB and draws the rest on one line millions of
// pixels wide.
function longText(text) {
	const el = h('div', { className: 'text', dir: 'auto' });
	let head = text.slice(0, LONG_TEXT).split('\n', LONG_LINES).join('\n');
	// a little beyond is not worth a button
	if (text.length <= head.length * 1.2)
		return fill(el, text);
	if (head.length === LONG_TEXT) {
		let cut = head.lastIndexOf('\n');
		if (cut < LONG_TEXT / 2)
			cut = Math.max(head.lastIndexOf(' '), LONG_TEXT / 2);
		head = head.slice(0, cut).replace(/[\ud800-\udbff]$/, '');
	}
	fill(el, head + '…');
	const more = h('button', {
		className: 'link more-text',
		onclick: () => {
			el.replaceChildren(...text.match(/[^]{1,65536}/gu));
			more.remove();
			// the focus stays where the agent reads, not on the page
			el.tabIndex = -1;
			el.focus({ preventScroll: true });
		},
	}, 'Show all ' + size(new Blob([text]).size));
	return h('div', {}, el, more);
}

function textBody(text, subject) {
	const lines = (text || '').replace(/\r\n/g, '\n').split('\n');
	const cut = foldPoint(lines, forwardSubject.test(subject || ''));
	const shown = cut < 0 ? lines : lines.slice(0, cut);
	while (shown.length && /^\s*$/.test(shown[shown.length - 1]))
		shown.pop();
	const body = longText(shown.join('\n'));
	if (cut < 0)
		return body;
	const folded = lines.slice(cut).join('\n').replace(/\s+$/, '');
	return h('div', {}, body, h('details', 'quoted',
		h('summary', { 'aria-label': 'Show quoted text and signature' },
			'···'), longText(folded)));
}

// href as a URL to open in a new tab, or null. Only absolute http,
// https and mailto URLs: an <a> whose href the sanitiser removed (or a
// relative one, which would point into the app) is no link; opening it
// would open another copy of the app.
function safeHref(href) {
	try {
		const u = new URL(href);
		return ['http:', 'https:', 'mailto:'].includes(u.protocol) ?
			u.href : null;
	} catch (e) {
		return null;
	}
}

// The inline images of a message, content_id -> download URL: the mail's
// HTML names them <img src="cid:..."> (RFC 2392).
function cidUrls(ticketId, list) {
	const m = new Map();
	for (const a of list || [])
		if (a.content_id)
			m.set(a.content_id, attachmentUrl(ticketId, a.id));
	return m;
}

const UNESCAPE = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

// html with each src="cid:X" of an inline image of the message pointing
// at its download instead (the frame may load tamed's own URLs only).
// The HTML is tamed's sanitised serialisation: attributes are always
// name="value", the value escaped.
function withCids(html, cids) {
	if (!cids.size)
		return html;
	return html.replace(/ src="cid:([^"]*)"/g, (all, v) => {
		const id = v.replace(/&(amp|lt|gt|quot|#39);/g,
			(e, n) => UNESCAPE[n]);
		let url = cids.get(id);
		try {
			url = url || cids.get(decodeURIComponent(id));
		} catch (e) {
			// not %-encoded after all
		}
		return url ? ' src="' + url + '"' : all;
	});
}

// Outlook writes a reply's history in HTML without a blockquote: its
// header block (From:, Sent: in one paragraph or box) and all that
// follows it. Marks them "tame-q", which folds as a blockquote does;
// true if there was such a block with the customer's own words above.
function markOutlookHistory(d) {
	const walk = d.createTreeWalker(d.body, 1);
	for (let el = walk.nextNode(); el; el = walk.nextNode()) {
		if (!outlookFrom.test(el.textContent.trimStart()))
			continue;
		// the lines as shown (<br> and blocks end them): "Sent:" on
		// the very next one, as in plain text
		const lines = (el.innerText || '').trim().split('\n');
		if (!outlookSent.test(lines[1] || ''))
			continue;
		const before = d.createRange();
		before.setStart(d.body, 0);
		before.setEndBefore(el);
		if (!before.toString().trim())
			return false;
		el.classList.add('tame-q');
		for (let n = el; n && n !== d.body; n = n.parentElement)
			for (let x = n.nextElementSibling; x;
				x = x.nextElementSibling)
				x.classList.add('tame-q');
		return true;
	}
	return false;
}

// The sanitised HTML in a sandboxed frame, sized to its content; from
// srcdoc, or from docUrl?remote=1 once remote images are allowed.
// cids: the inline images (cidUrls). onRemote(urls, show) hears of
// remote images left out (show() loads them in place); onQuote(toggle)
// of quoted history (a blockquote, or Outlook's history unless the
// mail is a forward), folded until toggle() is called.
function htmlBody(html, docUrl, cids, remote, onRemote, onQuote, forward) {
	const frame = h('iframe', {
		className: 'html', title: 'Message (HTML)',
		sandbox: 'allow-same-origin', referrerPolicy: 'no-referrer',
	});
	frame.setAttribute('sandbox', 'allow-same-origin');
	if (remote)
		frame.src = docUrl + '?remote=1';
	else
		frame.srcdoc = '<!doctype html><html><head><meta charset="utf-8">' +
			// a link in the mail is not looked up in DNS before a
			// click: the lookup alone tells its sender it was read
			'<meta http-equiv="x-dns-prefetch-control" content="off">' +
			'<link rel="stylesheet" href="/mail.css"></head><body>' +
			withCids(html, cids) + '</body></html>';
	let folded = true;
	let quoted = false;
	let noted = false;
	const doc = () => {
		try {
			const d = frame.contentDocument;
			return d && d.documentElement ? d : null;
		} catch (e) {
			return null;
		}
	};
	const size = () => {
		const d = doc();
		if (d)
			frame.style.height = Math.min(4000,
				d.documentElement.scrollHeight + 4) + 'px';
	};
	const show = () => {
		remote = true;
		frame.src = docUrl + '?remote=1';
		frame.removeAttribute('srcdoc');
	};
	frame.addEventListener('load', () => {
		const d = doc();
		if (!d || !d.body)
			return;
		size();
		setTimeout(size, 200);
		for (const img of d.images) {
			img.addEventListener('load', size);
			// the page from docUrl still names them cid:
			const src = img.getAttribute('src') || '';
			if (src.startsWith('cid:') && cids.has(src.slice(4)))
				img.src = cids.get(src.slice(4));
		}
		d.addEventListener('click', (e) => {
			const a = e.target.closest && e.target.closest('a');
			if (!a)
				return;
			e.preventDefault();
			const href = safeHref(a.getAttribute('href') || '');
			if (href)
				window.open(href, '_blank', 'noopener,noreferrer');
		});
		if (d.querySelector('blockquote') ||
		    (!forward && markOutlookHistory(d))) {
			d.documentElement.classList.toggle('fold', folded);
			size();
			if (!quoted) {
				quoted = true;
				onQuote(() => {
					folded = !folded;
					const x = doc();
					if (x)
						x.documentElement.classList.toggle('fold', folded);
					size();
				});
			}
		}
		const held = d.querySelectorAll('img[data-src]');
		if (held.length && !remote && !noted) {
			noted = true;
			onRemote(Array.from(held, (i) => i.getAttribute('data-src')),
				show);
		}
	});
	return frame;
}

// A note on remote images: they are not loaded (the sender would learn
// the mail was read); "Show remote images" loads them in place, and
// each can be opened on click, in a new tab.
function remoteNote(urls, box, show) {
	const list = h('ul', { className: 'remote-list', hidden: true },
		urls.map((u) => {
			const href = safeHref(u);
			return h('li', {}, href ? h('a', {
				href, target: '_blank', rel: 'noopener noreferrer',
			}, href) : u);
		}));
	const btn = h('button', {
		className: 'link',
		onclick: () => { list.hidden = !list.hidden; },
	}, plural(urls.length, 'remote image') + ' not loaded');
	const note = h('div', 'remote muted', btn,
		h('button', {
			className: 'link show-remote',
			onclick: () => {
				show();
				note.replaceChildren(plural(urls.length, 'remote image') +
					' shown');
				// the focus stays here, not on the page
				note.tabIndex = -1;
				note.focus();
			},
		}, 'Show remote images'), list);
	box.appendChild(note);
}

// The button that unfolds the quoted history of an HTML mail.
function quoteToggle(toggle) {
	const b = h('button', {
		className: 'quote-toggle',
		'aria-expanded': 'false', 'aria-label': 'Show quoted text',
		onclick: () => {
			toggle();
			const open = b.getAttribute('aria-expanded') !== 'true';
			b.setAttribute('aria-expanded', String(open));
			b.setAttribute('aria-label', open ? 'Hide quoted text' :
				'Show quoted text');
		},
	}, '···');
	return b;
}

function attachments(ticketId, list) {
	if (!list || !list.length)
		return null;
	return h('ul', { className: 'attachments', 'aria-label': 'Attachments' },
		list.map((a) => {
			const url = attachmentUrl(ticketId, a.id);
			const isImage = IMAGE_TYPES.includes((a.content_type || '')
				.toLowerCase());
			return h('li', {},
				isImage ? h('img', {
					src: url, alt: a.filename || 'image',
					className: 'preview-img', loading: 'lazy',
				}) : null,
				h('a', { href: url, download: a.filename || 'attachment' },
					a.filename || 'attachment'),
				h('span', 'muted', ' ' + size(a.size)));
		}));
}

function size(n) {
	if (n < 1024)
		return n + ' B';
	if (n < 1024 * 1024)
		return Math.round(n / 1024) + ' kB';
	return (n / 1024 / 1024).toFixed(1) + ' MB';
}

// What of message m can change once it is shown: its tone (read a
// moment after it came) and how its sending goes; drawn into box's
// holders (refreshMessage()).
function liveParts(m) {
	const dl = m.delivery;
	return {
		'm-tone': m.direction !== 'note' && m.direction !== 'out' ?
			toneChips(m.tone, 3) : null,
		'm-dl': dl ? h('span', 'delivery ' + dl.state,
			dl.state) : null,
		// the relay's reason, as text a keyboard and a screen reader
		// reach (a reply sent may say which Cc it was not delivered to)
		'm-dl-error': dl && dl.error ? h('p', 'warn small',
			({ failed: 'Not delivered: ', queued: 'Not sent yet: ' }[
				dl.state] || '') + dl.error) : null,
	};
}

// Draws again, in the element of message m, what can change of it.
export function refreshMessage(box, m) {
	for (const [cls, el] of Object.entries(liveParts(m)))
		box.querySelector('.' + cls).replaceChildren(...[el || []].flat());
}

// The element for message m of ticket t. authorName(id) names agents.
export function renderMessage(t, m, authorName) {
	const kind = m.direction === 'note' ? 'note' :
		m.direction === 'out' ? 'out' : 'in';
	const from = m.from && addr(m.from.email);
	const who = kind === 'in' ? personName(m.from) :
		(m.author_id ? authorName(m.author_id) : personName(m.from));
	const label = kind === 'note' ? 'Internal note' :
		kind === 'out' ? 'Reply' : 'Customer';
	const meta = [];
	if (kind !== 'note' && m.to && m.to.length)
		meta.push('to ' + m.to.map(addr).join(', '));
	if (m.cc && m.cc.length)
		meta.push('cc ' + m.cc.map(addr).join(', '));
	const live = liveParts(m);
	const body = h('div', 'body');
	const box = h('article', {
		className: 'msg ' + kind, id: 'msg-' + m.id,
		'aria-label': label + ' from ' + who,
	},
	h('header', {},
		h('span', 'kind', label),
		h('strong', 'from', who),
		kind === 'in' && from && who !== from ? h('span',
			'muted', ' <' + from + '>') : null,
		h('span', 'm-tone', live['m-tone']),
		h('span', 'spacer'),
		h('span', 'm-dl', live['m-dl']),
		timeEl(m.created_at, 'muted'),
		kind !== 'note' ? h('a', {
			className: 'small original', href: messageUrl(t.id, m.id, 'raw'),
			target: '_blank', rel: 'noopener noreferrer',
			title: 'The message as it ' + (kind === 'in' ? 'arrived' :
				'was sent') + ' (raw MIME)',
		}, 'View original') : null),
	meta.length ? h('div', 'meta muted', meta.join(' · ')) :
		null,
	h('div', 'm-dl-error', live['m-dl-error']),
	m.unparsed ? h('p', 'warn',
		'This message could not be parsed; the raw mail is kept.') : null,
	body,
	attachments(t.id, m.attachments));
	if (m.html) {
		let asText = false;
		const show = () => {
			fill(body, asText ? textBody(m.text, m.subject) :
				htmlBody(m.html, messageUrl(t.id, m.id, 'html'),
					cidUrls(t.id, m.attachments), remoteShown.has(m.id),
					(urls, load) => remoteNote(urls, body, () => {
						remoteShown.add(m.id);
						load();
					}),
					(toggle) => body.appendChild(quoteToggle(toggle)),
					forwardSubject.test(m.subject || '')));
		};
		const toggle = h('button', {
			className: 'link small',
			onclick: () => {
				asText = !asText;
				toggle.textContent = asText ? 'Show HTML' : 'Show as text';
				show();
			},
		}, 'Show as text');
		box.querySelector('header').appendChild(toggle);
		show();
	} else {
		body.appendChild(textBody(m.text, m.subject));
	}
	return box;
}

function fill(el, child) {
	el.replaceChildren(child);
	return el;
}
