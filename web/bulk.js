// bulk.js - many tickets at once: assign, tag, change status, merge or
// reply to every selected ticket with one POST /tickets/bulk, and the
// "reply to all" dialog shared with trends (trends.js).
//
// Model: one action is one request with its own Idempotency-Key
// (api.postOnce), so a retry after a lost answer never sends a reply
// twice. The answer has one result per ticket; the toast says how many
// went through and names the ones that did not.

import * as api from './api.js';
import { h, fill, toast, modal, field, personName, warn, addr }
	from './dom.js';
import { PLACEHOLDERS } from './replies.js';

// The {{names}} in text that are no placeholder: they would go out as
// written, to every customer.
function unknownPlaceholders(text) {
	return [...text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)]
		.map((m) => m[1]).filter((n) => !PLACEHOLDERS.includes(n));
}

// Runs action body on ids; what: "assigned", "tagged"... Returns the
// answer, or null when it failed as a whole.
export async function run(ids, body, what) {
	let r;
	try {
		r = await api.postOnce('/tickets/bulk', { ticket_ids: ids, ...body });
	} catch (e) {
		warn('Nothing was ' + what + ': ' + (api.missing(e) ?
			'this server cannot change many tickets at once.' : e.message));
		return null;
	}
	const bad = r.results.filter((x) => !x.ok);
	toast(r.succeeded + ' of ' + ids.length + ' ticket' +
		(ids.length === 1 ? '' : 's') + ' ' + what + '.' + (bad.length ?
		' Not: ' + bad.map((x) => '#' + x.ticket_id + ' (' +
			((x.error && x.error.message) || 'failed') + ')').join(', ') :
		''), { kind: bad.length ? 'bad' : '', timeout: bad.length ? 10000 :
		4000 });
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
	const radios = tickets.map((t, i) => h('label', { className: 'check' },
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

// The dialog of a reply to many: text (or a saved reply to start
// from), the status after it, who gets it (uncheck to leave someone
// out). recipients: [{ticket_id, name, email, subject}]; preview(body)
// (optional) answers the recipients with their personalised "text".
// Resolves with {text, status, exclude, ticket_ids (the ones checked)}
// or null.
export async function replyDialog({ title, recipients, preview }) {
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
	const draw = (list) => fill(rows, list.map((r) => h('li', {},
		h('label', { className: 'check' }, h('input', { type: 'checkbox',
			value: r.ticket_id, checked: true }),
		' ' + (r.name ? r.name + ' <' + addr(r.email) + '>' :
			addr(r.email)) +
		' — #' + r.ticket_id + ' ' + (r.subject || '')),
		r.text ? h('button', { type: 'button', className: 'link small',
			onclick: () => {
				shown.hidden = false;
				shown.textContent = r.text;
			} }, 'see the text') : null)));
	draw(recipients);
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
		const n = rows.querySelectorAll('input:checked').length;
		if (!n) {
			warn('Everyone is left out.');
			return false;
		}
		return { text: text.value, status: st.value, exclude: exclude(),
			ticket_ids: Array.from(rows.querySelectorAll('input:checked'))
				.map((c) => Number(c.value)) };
	};
	const buttons = [{ label: 'Send to each', primary: true, value: read }];
	if (preview)
		buttons.push({ label: 'Preview', value: async () => {
			const body = read();
			if (!body)
				return false;
			try {
				const list = await preview(body);
				const out = new Set(body.exclude);
				draw(list);
				for (const c of rows.querySelectorAll('input'))
					c.checked = !out.has(Number(c.value));
				shown.hidden = !list.length;
				shown.textContent = list.length ? list[0].text : '';
			} catch (e) {
				warn('No preview: ' + e.message);
			}
			return false;
		} });
	return modal(title, h('div', { className: 'form-grid wide' },
		saved, field('Reply (each customer gets their own email in their ' +
			'own thread)', text, 'placeholders: ' + PLACEHOLDERS.map((p) =>
			'{{' + p + '}}').join(', ')),
		field('Then', st),
		h('fieldset', {}, h('legend', {}, 'Recipients'), rows), shown),
	buttons, () => text.focus());
}

// Reply to every selected ticket.
export async function reply(ctx, tickets) {
	const body = await replyDialog({
		title: 'Reply to ' + tickets.length + ' tickets',
		recipients: tickets.map((t) => ({ ticket_id: t.id,
			name: t.customer && t.customer.name,
			email: t.customer && t.customer.email, subject: t.subject })),
	});
	if (!body)
		return null;
	const ids = tickets.map((t) => t.id).filter((id) =>
		!body.exclude.includes(id));
	return run(ids, { action: 'reply', text: body.text,
		status: body.status }, 'answered');
}
