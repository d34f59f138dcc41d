// bulk.js - many tickets at once: assign, tag, change status, merge or
// reply to every selected ticket with one POST /tickets/bulk, and the
// "reply to all" dialog shared with trends (trends.js).
//
// Model: one action is one request per 500 tickets (the most the API
// takes), one after another, each with its own Idempotency-Key
// (api.postOnce), so a retry after a lost answer never sends a reply
// twice. The answers have one result per ticket; the toast says how many
// of them all went through and names the ones that did not. A reply to many waits
// the seconds a single reply does before it is POSTed (hold), so Undo
// takes all of it back and opens the dialog again; tamed itself skips
// a ticket that already has the very text (the same reply sent twice
// by mistake), and the dialog leaves those answered lately unchecked.
// The dialog's opening is the point the agent looks from (a preview's
// since_event_id): tamed leaves out whoever a colleague answered, or
// whose ticket was solved, closed or merged, after it, and the toast
// says who and why (leftOut).

import * as api from './api.js';
import { h, fill, toast, modal, field, personName, warn, ago, undoMs,
	addr, plural } from './dom.js';
import { PLACEHOLDERS } from './replies.js';

// The {{names}} in text that are no placeholder: they would go out as
// written, to every customer.
function unknownPlaceholders(text) {
	return [...text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)]
		.map((m) => m[1]).filter((n) => !PLACEHOLDERS.includes(n));
}

// What happened to a ticket left out of a reply to many, after the
// agent looked (tamed's "skipped"): "Bob Kim was answered by Grace".
// name(id) names the ticket's customer.
function meanwhile(x, name) {
	const by = x.by && x.by.name ? ' by ' + x.by.name : '';
	const who = name(x.ticket_id);
	switch (x.reason) {
	case 'answered_meanwhile':
		return who + ' was answered' + by;
	case 'merged_meanwhile':
		return who + '’s ticket was merged into #' + x.into + by;
	default:
		return who + '’s ticket was ' + x.reason.replace(/_.*/, '') + by;
	}
}

// The toast's words for the tickets a reply to many left out because
// they changed after the agent looked, or '': "; 1 not sent: Bob Kim
// was answered by Grace meanwhile". names: ticket id to customer name.
export function leftOut(skipped, names) {
	if (!skipped || !skipped.length)
		return '';
	const name = (id) => names.get(id) || '#' + id;
	return '; ' + skipped.length + ' not sent: ' + skipped.map((x) =>
		meanwhile(x, name) + ' meanwhile').join(', ');
}

// ids in the parts one POST /tickets/bulk takes (500 at most).
function parts(ids) {
	const all = [];
	for (let i = 0; i < ids.length; i += 500)
		all.push(ids.slice(i, i + 500));
	return all;
}

// Runs action body on ids, part after part, each part one request with
// its own Idempotency-Key; what: "assigned", "tagged"... names (a
// reply): ticket id to customer name, for those left out. Returns the
// answers as one, or null when the first part failed as a whole (a
// later part that fails stops the rest, and the toast says so).
export async function run(ids, body, what, names = new Map()) {
	const r = { results: [], succeeded: 0, skipped: [] };
	let stop = '';
	for (const part of parts(ids)) {
		try {
			const p = await api.postOnce('/tickets/bulk',
				{ ticket_ids: part, ...body });
			r.results.push(...p.results);
			r.succeeded += p.succeeded;
			r.skipped.push(...p.skipped || []);
		} catch (e) {
			const why = api.missing(e) ? 'this server cannot change ' +
				'many tickets at once.' : e.message;
			if (!r.results.length) {
				warn('Nothing was ' + what + ': ' + why);
				return null;
			}
			stop = ' The other ' + (ids.length - r.results.length) +
				' were not: ' + why;
			break;
		}
	}
	const bad = r.results.filter((x) => !x.ok && !x.skipped);
	const had = r.results.filter((x) => x.already_sent).length;
	toast(r.succeeded + ' of ' + plural(ids.length, 'ticket') + ' ' +
		what + (had ? ' (' + had +
		' had this very text already: not sent again)' : '') +
		leftOut(r.skipped, names) + '.' +
		(bad.length ?
		' Not: ' + bad.map((x) => '#' + x.ticket_id + ' (' +
			((x.error && x.error.message) || 'failed') + ')').join(', ') :
		'') + stop, { kind: bad.length || stop ? 'bad' : '', timeout:
		bad.length || stop || r.skipped.length ? 10000 : 4000 });
	return r;
}

function choose(title, id, options, label) {
	const sel = h('select', { id }, options.map(([v, l]) =>
		h('option', { value: v }, l)));
	return modal(title, field(label, sel),
		[{ label: 'Apply', primary: true, value: () => sel.value }],
		() => sel.focus());
}

export async function assign(ctx, ids) {
	const v = await choose('Assign ' + ids.length + ' tickets', 'bulk-assignee',
		[[String(ctx.me.id), 'Me']].concat(ctx.agents.filter((a) =>
			!a.disabled && a.id !== ctx.me.id).map((a) => [String(a.id),
			personName(a)]), [['none', 'Nobody']]), 'Assignee');
	if (v)
		return run(ids, { action: 'assign', assignee_id: v === 'none' ?
			null : Number(v) }, v === 'none' ? 'unassigned' : 'assigned');
	return null;
}

export async function status(ids, value) {
	const v = value || await choose('Status of ' + ids.length + ' tickets',
		'bulk-status', ['open', 'pending', 'solved', 'closed'].map((s) =>
			[s, s]), 'Status');
	return v ? run(ids, { action: 'status', status: v }, 'set ' + v) : null;
}

export async function tag(ids) {
	const input = h('input', { id: 'bulk-tag', autocomplete: 'off',
		list: 'tag-list' });
	const list = h('datalist', { id: 'tag-list' });
	api.get('/tags').then((r) => fill(list, r.tags.map((t) =>
		h('option', { value: t.tag || t.name || t }))), () => {});
	const read = (action) => () => input.value.trim() ?
		{ action, tag: input.value.trim() } : false;
	const v = await modal('Tag ' + ids.length + ' tickets',
		h('div', {}, field('Tag', input), list),
		[{ label: 'Add tag', primary: true, value: read('tag') },
			{ label: 'Remove tag', value: read('untag') }],
		() => input.focus());
	return v ? run(ids, v, v.action === 'tag' ? 'tagged' : 'untagged') :
		null;
}

// Merges the selected tickets into the one the agent picks.
export async function merge(tickets) {
	if (tickets.length < 2) {
		warn('Select two tickets or more to merge.');
		return null;
	}
	const radios = tickets.map((t, i) => h('label', 'check',
		h('input', { type: 'radio', name: 'merge-into', value: t.id,
			checked: i === 0 }),
		' #' + t.id + ' ' + (t.subject || '') + ' — ' +
			personName(t.customer)));
	const v = await modal('Merge ' + tickets.length + ' tickets',
		h('fieldset', {}, h('legend', {}, 'Keep this one; the others are ' +
			'merged into it and closed'), radios),
		[{ label: 'Merge', primary: true, value: () => Number(radios.map(
			(r) => r.firstChild).find((r) => r.checked).value) }]);
	return v ? run(tickets.map((t) => t.id), { action: 'merge', into: v },
		'merged') : null;
}

// Why recipient r is left unchecked at first, or '': answered lately
// (here or on another ticket of theirs), sent this very text already,
// or in this reply twice. The server's preview says so (trends.js).
function heldBack(r) {
	const since = (t) => ago(t) === 'now' ? 'just now' : ago(t) + ' ago';
	const by = (a) => (a.by && a.by.name ? ' by ' + a.by.name : '') + ' ' +
		since(a.at);
	if (r.already_sent)
		return 'got this very text already' + (r.answered &&
			r.answered.message_id === r.already_sent ? by(r.answered) : '');
	if (r.answered)
		return 'answered' + by(r.answered);
	if (r.answered_elsewhere)
		return 'answered on #' + r.answered_elsewhere.ticket_id +
			by(r.answered_elsewhere);
	if (r.same_customer_as)
		return 'also gets it on #' + r.same_customer_as;
	return '';
}

// The dialog of a reply to many: text (or a saved reply to start
// from), the status after it, who gets it (uncheck to leave someone
// out). recipients: [{ticket_id, name, email, subject, text, and the
// preview's answered, already_sent, answered_elsewhere,
// same_customer_as}]: one answered lately starts unchecked, its reason
// beside it. preview(body) (optional) answers the recipients with their
// personalised "text". again: a body to start from (one taken back with
// Undo). Resolves with {text, status, exclude, ticket_ids (the ones
// checked)} or null.
export async function replyDialog({ title, recipients, preview, again }) {
	const text = h('textarea', { id: 'bulk-text', rows: 7,
		placeholder: 'Hi {{customer.first_name}}, …' });
	const saved = h('select', { id: 'bulk-saved', hidden: true,
		'aria-label': 'Start from a saved reply',
		onchange: () => {
			const r = replies.find((x) => String(x.id) === saved.value);
			if (r)
				text.value = r.body;
			text.focus();
		} });
	let replies = [];
	api.get('/saved-replies').then((r) => {
		replies = r.saved_replies;
		if (replies.length) {
			fill(saved, h('option', { value: '' },
				'Start from a saved reply…'), replies.map((x) =>
				h('option', { value: x.id }, x.title)));
			saved.hidden = false;
		}
	}, () => {});
	const st = h('select', { id: 'bulk-after' }, [['pending',
		'mark pending'], ['solved', 'mark solved'], ['open', 'keep open']]
		.map(([v, l]) => h('option', { value: v }, l)));
	const rows = h('ul', { className: 'rcpts', id: 'bulk-rcpts' });
	const shown = h('pre', { className: 'preview-text', hidden: true });
	// the agent's own ticks, kept when a preview draws the list again
	const chosen = new Map(again ? recipients.map((r) => [r.ticket_id,
		again.ticket_ids.includes(r.ticket_id)]) : []);
	let send = null;
	const checked = () => Array.from(rows.querySelectorAll('input:checked'))
		.map((c) => Number(c.value));
	const count = () => {
		const n = checked().length;
		if (send)
			send.textContent = n ? 'Send to ' + plural(n, 'customer') :
				'Send to nobody';
	};
	const draw = (list) => fill(rows, list.map((r) => {
		const why = heldBack(r);
		return h('li', why ? 'held' : '',
			h('label', 'check', h('input', { type: 'checkbox',
				value: r.ticket_id, checked: chosen.has(r.ticket_id) ?
					chosen.get(r.ticket_id) : !why,
				onchange: (e) => {
					chosen.set(r.ticket_id, e.target.checked);
					count();
				} }),
			h('span', 'who', (r.name ? r.name + ' <' +
				addr(r.email) + '>' : addr(r.email)) + ' — #' +
				r.ticket_id + ' ' +
				(r.subject || ''), why ? h('small', 'why',
				why) : null)),
			r.text ? h('button', { className: 'link small',
				onclick: () => {
					shown.hidden = false;
					shown.textContent = r.text;
				} }, 'see the text') : null);
	}));
	draw(recipients);
	if (again) {
		text.value = again.text;
		st.value = again.status;
	}
	const exclude = () => Array.from(rows.querySelectorAll('input'))
		.filter((c) => !c.checked).map((c) => Number(c.value));
	let warned = null;
	const read = () => {
		if (!text.value.trim()) {
			warn('Write the reply first.');
			text.focus();
			return false;
		}
		// a mistyped placeholder is said once; sent as written after
		const odd = unknownPlaceholders(text.value);
		if (odd.length && warned !== text.value) {
			warned = text.value;
			warn('{{' + odd[0] + '}} is no placeholder (they are ' +
				PLACEHOLDERS.map((p) => '{{' + p + '}}').join(', ') +
				'); it would go out as written. Click again to send ' +
				'it anyway.');
			text.focus();
			return false;
		}
		if (!checked().length) {
			warn('Everyone is left out.');
			return false;
		}
		return { text: text.value, status: st.value, exclude: exclude(),
			ticket_ids: checked() };
	};
	const buttons = [{ label: 'Send to each', primary: true, value: read }];
	if (preview)
		buttons.push({ label: 'Preview', value: async () => {
			const body = read();
			if (!body)
				return false;
			try {
				const list = await preview(body);
				draw(list);
				count();
				shown.hidden = !list.length;
				shown.textContent = list.length ? list[0].text : '';
			} catch (e) {
				warn('No preview: ' + e.message);
			}
			return false;
		} });
	return modal(title, h('div', 'form-grid wide',
		saved, field('Reply (each customer gets their own email in their ' +
			'own thread)', text, 'placeholders: ' + PLACEHOLDERS.map((p) =>
			'{{' + p + '}}').join(', ')),
		field('Then', st),
		h('fieldset', {}, h('legend', {}, 'Recipients'), rows), shown),
	buttons, (dlg) => {
		dlg.classList.add('bulk-reply');
		send = dlg.querySelector('.buttons button.primary');
		send.id = 'bulk-send';
		count();
		text.focus();
	});
}

// Mass replies waiting for their Undo time to pass.
const held = new Set();

export function pendingSends() {
	return held.size;
}

// Sends every held mass reply at once (before signing out).
export async function flushSends() {
	await Promise.all(Array.from(held, (job) => job.now()));
}

// Holds send() for the seconds a single reply can be taken back
// (ticket.js), with a toast naming what (Undo, Send now). Resolves with
// what send() resolved with, or UNDONE.
export const UNDONE = Symbol('undone');
export function hold(what, send) {
	return new Promise((resolve) => {
		let timer = null;
		let note = null;
		const job = {
			async now() {
				if (!held.delete(job))
					return;
				clearTimeout(timer);
				note.close();
				resolve(await send());
			},
			undo() {
				if (!held.delete(job))
					return;
				clearTimeout(timer);
				note.close();
				toast('Taken back: nothing was sent.');
				resolve(UNDONE);
			},
		};
		held.add(job);
		const secs = Math.round(undoMs() / 1000);
		note = toast('Sending ' + what + (secs ? ' in ' + secs + ' s' : '') +
			'…', { timeout: 0, kind: 'held', focus: true,
			actions: [{ label: 'Undo', run: () => job.undo() },
				{ label: 'Send now', run: () => job.now() }] });
		timer = setTimeout(() => job.now(), undoMs());
	});
}

// The point the agent looks at tickets from, for a reply to them
// (since_event_id: tamed's newest event now; none from a tamed without
// it, and nothing is checked), and what tamed tells of each ticket
// (recipients: answered lately, the customer's second ticket).
async function lookFrom(ids) {
	const r = { recipients: [] };
	try {
		for (const part of parts(ids)) {
			const p = await api.post('/tickets/bulk', { ticket_ids: part,
				action: 'reply', preview: true });
			// the first part's point: what changed after it is seen
			r.since_event_id = r.since_event_id || p.since_event_id;
			r.recipients.push(...p.recipients || []);
		}
	} catch (e) {
		return {};
	}
	return r;
}

// Reply to every selected ticket. The dialog's opening is the point
// the agent looks from: a ticket answered, solved, closed or merged
// while they write, or in the seconds of Undo, is left out.
export async function reply(ctx, tickets) {
	const look = await lookFrom(tickets.map((t) => t.id));
	const since = look.since_event_id;
	const told = new Map((look.recipients || []).map((r) =>
		[r.ticket_id, r]));
	const names = new Map(tickets.map((t) => [t.id, t.customer &&
		(t.customer.name || t.customer.email)]));
	let body = null;
	for (;;) {
		body = await replyDialog({
			title: 'Reply to ' + tickets.length + ' tickets', again: body,
			recipients: tickets.map((t) => ({ ...told.get(t.id),
				ticket_id: t.id, name: t.customer && t.customer.name,
				email: t.customer && t.customer.email,
				subject: t.subject })),
		});
		if (!body)
			return null;
		const ids = body.ticket_ids;
		const r = await hold('the reply to ' +
			plural(ids.length, 'customer'), () => run(ids, { action: 'reply',
			text: body.text, status: body.status, ...(since ?
				{ since_event_id: since } : {}) }, 'answered', names));
		if (r !== UNDONE)
			return r;
	}
}
