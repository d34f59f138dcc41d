// admin.js - the admin pages: agents (create with a role and password,
// change the role, disable (asked first: their open tickets go back to
// Unassigned) and enable, reset a password) and mailboxes
// (name, acknowledgement on/off and its template, IMAP polling when
// tamed knows it, the signature under its replies, the mailbox's own
// outgoing relay and its test email).
//
// Model: each page is the list as GET answers it, drawn again after
// every change from what the PATCH or POST answered. Only admins see
// the pages (the server refuses the changes to anyone else anyway).

import * as api from './api.js';
import { h, fill, toast, timeEl, personName, field, warn, modal,
	plural } from './dom.js';

function page(main, title, ...body) {
	fill(main, h('div', 'page',
		h('div', 'list-head', h('h1', {}, title)), body));
}

function adminOnly(ctx, main, title) {
	if (ctx.me.role === 'admin')
		return false;
	page(main, title, h('p', 'muted',
		'Only an admin can change this.'));
	return true;
}

// c: to the form that adds one.
function newOne(e, sel) {
	const el = e.key === 'c' && document.querySelector(sel);
	if (el)
		el.focus();
	return !!el;
}

// How many tickets agent id holds that are not solved or closed ("3",
// "100+"), or '' when that cannot be told.
async function openTickets(id) {
	try {
		const r = await api.get('/tickets' + api.qs({ assignee: id,
			status: 'new,open,pending', limit: 100 }));
		return r.tickets.length + (r.next_cursor ? '+' : '');
	} catch (e) {
		return '';
	}
}

export class AgentsView {
	constructor(ctx, main) {
		this.ctx = ctx;
		if (adminOnly(ctx, main, 'Agents'))
			return;
		this.tbody = h('tbody');
		const name = h('input', { id: 'new-agent-name', required: true,
			autocomplete: 'off' });
		const email = h('input', { id: 'new-agent-email', type: 'email',
			required: true, autocomplete: 'off' });
		const pw = h('input', { id: 'new-agent-password', type: 'password',
			required: true, minLength: 8, autocomplete: 'new-password' });
		const role = h('select', { id: 'new-agent-role' },
			h('option', { value: 'agent' }, 'Agent'),
			h('option', { value: 'admin' }, 'Admin'));
		const form = h('form', { className: 'card form-row',
			'aria-label': 'New agent',
			onsubmit: async (e) => {
				e.preventDefault();
				try {
					await api.post('/agents', { name: name.value.trim(),
						email: email.value.trim(), password: pw.value,
						role: role.value });
				} catch (err) {
					warn('The agent was not added: ' + err.message);
					return;
				}
				toast(name.value.trim() + ' can sign in now.');
				form.reset();
				this.load();
			} },
		h('h2', {}, 'Add an agent'),
		field('Name', name), field('Email', email),
		field('Password', pw, 'at least 8 characters'), field('Role', role),
		h('button', { type: 'submit', className: 'primary' }, 'Add agent'));
		page(main, 'Agents', h('table', 'grid',
			h('thead', {}, h('tr', {}, ['Name', 'Email', 'Role', 'Status',
				'Since'].map((x) => h('th', {}, x)))), this.tbody), form,
		urgencySettings());
		this.load();
	}

	onKey(e) {
		return newOne(e, '#new-agent-name');
	}

	async load() {
		let list;
		try {
			list = (await api.get('/agents')).agents;
		} catch (e) {
			warn('Could not load the agents: ' + e.message);
			return;
		}
		if (this.destroyed)
			return;
		this.ctx.agents = list;
		fill(this.tbody, list.map((a) => this.row(a)));
	}

	row(a) {
		const self = a.id === this.ctx.me.id;
		const name = personName(a);
		// the control used keeps the focus when the list is drawn again
		// done: the toast, or a function of the answer that makes it
		const change = async (body, done, sel) => {
			try {
				const ans = await api.patch('/agents/' + a.id, body);
				toast(typeof done === 'function' ? done(ans) : done);
			} catch (e) {
				warn('Could not change ' + name + ': ' + e.message);
			}
			await this.load();
			const el = this.tbody.querySelector('tr[data-email="' +
				CSS.escape(a.email) + '"] ' + sel);
			if (el)
				el.focus();
		};
		// a role is a grant: asked first (an arrow key alone on the menu
		// would change it)
		const role = async (e) => {
			const r = e.target.value;
			if (await modal('Role', h('p', {}, 'Make ' + name + ' an ' + r +
				'?'), [{ label: 'Make ' + r, primary: true, value: 1 }]))
				change({ role: r }, name + ' is now ' + r + '.', '.role');
			else
				e.target.value = a.role;
		};
		const reset = async () => {
			const pw = h('input', { type: 'password', id: 'reset-password' });
			if (await modal('New password for ' + name, pw, [{ label: 'Reset',
				primary: true, value: () => pw.value.length > 7 ||
					(warn('It needs at least 8 characters.'), false) }],
			() => pw.focus()))
				change({ password: pw.value }, 'The password is reset; ' +
					'their sessions ended.', '.reset');
		};
		// a disable is asked first, naming the tickets that go back to
		// Unassigned with it (tamed counts them again as it does it)
		const toggle = async () => {
			if (a.disabled)
				return change({ disabled: false }, name +
					' can sign in again.', '.toggle');
			const n = await openTickets(a.id);
			if (await modal('Disable ' + name + '?', [h('p', {}, name +
				(n === '0' ? ' holds no open tickets.' : ' holds ' +
				plural(n || 'any', 'open ticket') + (n === '1' ? '; it goes' :
				'; they go') + ' back to Unassigned.') + ' Their sessions end at once.')],
			[{ label: 'Disable', danger: true, value: true }]))
				change({ disabled: true }, (r) => name + ' is ' +
					'disabled; ' + plural(r.unassigned_tickets, 'ticket') +
					' went back to Unassigned.', '.toggle');
		};
		return h('tr', { dataset: { email: a.email },
			className: a.disabled ? 'disabled' : '' },
		h('td', { className: 'name', title: name }, name),
		h('td', { className: 'email', title: a.email }, a.email),
		h('td', {}, h('select', {
			'aria-label': 'Role of ' + name, disabled: self,
			className: 'role', onchange: role,
		}, ['agent', 'admin'].map((r) => h('option',
			{ value: r, selected: a.role === r }, r)))),
		h('td', {}, a.disabled ? h('span', 'pill warn',
			'disabled') : 'active', ' ',
		self ? null : h('button', {
			className: 'small toggle',
			onclick: toggle,
		}, a.disabled ? 'Enable' : 'Disable'), ' ',
		self ? null : h('button', { className: 'small reset',
			onclick: reset }, 'Reset password')),
		h('td', 'muted', timeEl(a.created_at)));
	}

	destroy() {
		this.destroyed = true;
	}
}

const AFTER = [['seen', 'mark them read'], ['delete', 'delete them'],
	['move', 'move them to a folder']];

export class MailboxesView {
	constructor(ctx, main) {
		this.ctx = ctx;
		if (adminOnly(ctx, main, 'Mailboxes'))
			return;
		this.listEl = h('div', 'cards one');
		const address = h('input', { id: 'new-mailbox-address',
			type: 'email', required: true });
		const name = h('input', { id: 'new-mailbox-name', required: true });
		const form = h('form', { className: 'card form-row',
			'aria-label': 'New mailbox',
			onsubmit: async (e) => {
				e.preventDefault();
				try {
					await api.post('/mailboxes', {
						address: address.value.trim(),
						name: name.value.trim() });
				} catch (err) {
					warn('The mailbox was not added: ' + err.message);
					return;
				}
				form.reset();
				this.load();
			} },
		h('h2', {}, 'Add a mailbox'), field('Address', address),
		field('Name', name),
		h('button', { type: 'submit', className: 'primary' },
			'Add mailbox'));
		page(main, 'Mailboxes', this.listEl, form);
		this.load();
	}

	onKey(e) {
		return newOne(e, '#new-mailbox-address');
	}

	async load() {
		let list;
		try {
			list = (await api.get('/mailboxes')).mailboxes;
		} catch (e) {
			warn('Could not load the mailboxes: ' + e.message);
			return;
		}
		if (this.destroyed)
			return;
		this.ctx.mailboxes = list;
		this.ctx.renderNav();
		// what is being typed and not saved yet (marked by typing, the
		// marks of a form taken off when it is saved) survives the
		// cards drawn again, and so does the focus
		const kept = [...this.listEl.querySelectorAll('[data-typed]')]
			.map((e) => [e.id, e.value]);
		const focus = this.listEl.contains(document.activeElement) &&
			document.activeElement.id;
		fill(this.listEl, list.map((m) => this.card(m)));
		for (const [k, v] of kept) {
			const e = document.getElementById(k);
			if (e) {
				e.value = v;
				e.dataset.typed = '1';
			}
		}
		if (focus && document.getElementById(focus))
			document.getElementById(focus).focus();
	}

	card(m) {
		const id = 'mb' + m.id;
		const name = h('input', { id: id + '-name', value: m.name || '' });
		const ack = h('input', { id: id + '-ack', type: 'checkbox',
			checked: !!m.ack_enabled });
		const tpl = h('textarea', { id: id + '-tpl', rows: 3,
			value: m.ack_template || '',
			placeholder: 'We got your mail (ticket #{{ticket.id}}).' });
		const sig = h('textarea', { id: id + '-sig', rows: 2,
			value: m.signature || '',
			placeholder: 'The Example Support Team' });
		const status = h('span', 'muted');
		const save = async (body, what) => {
			// what the IMAP or relay part being saved holds is no
			// longer "being typed" (the form's own fields: onsubmit)
			const part = document.activeElement &&
				document.activeElement.closest('fieldset');
			for (const f of part ? part.querySelectorAll('[data-typed]') :
				[])
				delete f.dataset.typed;
			try {
				await api.patch('/mailboxes/' + m.id, body);
			} catch (e) {
				warn('Could not save ' + m.address + ': ' + e.message);
				return false;
			}
			toast(what);
			this.load();
			return true;
		};
		return h('form', { className: 'card mailbox',
			dataset: { address: m.address },
			'aria-label': 'Mailbox ' + m.address,
			// only what changed: another admin's change to the rest
			// stays; Enter in the IMAP or relay part runs its button
			oninput: (e) => {
				if (e.target.id)
					e.target.dataset.typed = '1';
			},
			onsubmit: (e) => {
				e.preventDefault();
				for (const f of [name, tpl, sig])
					delete f.dataset.typed;
				const body = {};
				const put = (k, v) => {
					if (v !== (m[k] || ''))
						body[k] = v;
				};
				put('name', name.value.trim());
				put('ack_template', tpl.value.trim());
				if ('signature' in m)
					put('signature', sig.value.trim());
				if (ack.checked !== !!m.ack_enabled)
					body.ack_enabled = ack.checked;
				if (Object.keys(body).length)
					save(body, m.address + ' saved.');
				else
					toast('Nothing changed.');
			},
			onkeydown: (e) => {
				const f = e.key === 'Enter' && e.target.tagName === 'INPUT' &&
					e.target.closest('fieldset');
				if (f) {
					const row = e.target.closest('.form-row');
					e.preventDefault();
					((row && row.querySelector('button')) ||
						f.querySelector('button')).click();
				}
			} },
		h('h2', {}, m.address),
		field('Name', name),
		h('label', 'check', ack,
			' Acknowledge new tickets automatically (at most one per ' +
			'sender an hour)'),
		field('Acknowledgement', tpl, 'placeholders as in saved replies'),
		'signature' in m ? field('Signature', sig, 'closes every reply ' +
			'from this mailbox') : null,
		'imap' in m ? this.imap(m, save) : null,
		'relay' in m ? this.relay(m, save) : null,
		h('div', 'buttons',
			h('button', { type: 'submit', className: 'primary' }, 'Save'),
			status));
	}

	// IMAP polling: the URL is shown without its password; a new URL
	// with a password replaces it, one without keeps the stored one.
	imap(m, save) {
		const i = m.imap;
		const id = 'mb' + m.id + '-imap';
		const url = h('input', { id: id + '-url', value: i ? i.url : '',
			placeholder: 'imaps://user:password@imap.example.com/INBOX',
			autocomplete: 'off', size: 40 });
		const after = h('select', { id: id + '-after' }, AFTER.map(([v, l]) =>
			h('option', { value: v, selected: i && (i.after || '')
				.startsWith(v) }, l)));
		const folder = h('input', { id: id + '-folder', placeholder: 'Archive',
			value: i && /^move:/.test(i.after) ? i.after.slice(5) : '' });
		const secs = h('input', { id: id + '-poll', type: 'number', min: 0.5,
			step: 0.5, value: i ? i.poll_interval_ms / 1000 : 2 });
		const said = (i) => 'Status: ' + i.status + (i.last_error ? ' - ' +
			i.last_error + (i.last_error_detail ? ' (' +
			i.last_error_detail + ')' : '') : '') +
			(i.imported ? ', ' + i.imported + ' imported' : '') +
			(i.backlog ? ', ' + i.backlog + ' still to import' : '') +
			(i.watch === 'idle' ? '; new mail arrives as the server ' +
				'announces it (IDLE)' : i.watch === 'poll' ?
				'; the folder is checked every ' + i.poll_interval_ms /
				1000 + ' s' : '');
		const out = h('p', { className: 'muted imap-status',
			role: 'status' }, i ? said(i) : '');
		// a backlog's progress, every 2 s while this page shows it
		if (i) {
			const timer = setInterval(async () => {
				if (!out.isConnected) {
					clearInterval(timer);
					return;
				}
				if (/^(Testing|Connected|Failed)/.test(out.textContent))
					return;
				try {
					const now = (await api.get('/mailboxes')).mailboxes
						.find((x) => x.id === m.id);
					if (now && now.imap && out.isConnected)
						out.textContent = said(now.imap);
				} catch {
					// the next tick tries again
				}
			}, 2000);
		}
		const body = () => ({ imap: { url: url.value.trim(),
			after: after.value === 'move' ? 'move:' + folder.value.trim() :
				after.value,
			poll_interval_ms: Math.round(Number(secs.value) * 1000) } });
		return h('fieldset', 'imap',
			h('legend', {}, 'Fetch mail by IMAP'),
			field('Server URL', url, i ? 'leave the password out to keep ' +
				'the stored one' : null),
			h('div', 'form-row',
				field('After import', after), field('Folder', folder),
				field('Every (seconds)', secs)),
			h('div', 'buttons',
				h('button', { onclick: () => {
					if (!url.value.trim()) {
						warn('Enter the server URL first.');
						return;
					}
					save(body(), 'IMAP settings of ' + m.address +
						' saved.');
				} }, i ? 'Save IMAP' : 'Connect IMAP'),
				i ? h('button', { onclick: async () => {
					out.textContent = 'Testing…';
					try {
						const r = await api.post('/mailboxes/' + m.id +
							'/test', {});
						out.textContent = r.ok ? 'Connected: ' + r.messages +
							' messages in the folder.' : 'Failed: ' +
							r.error + (r.detail ? ' (' + r.detail + ')' : '');
					} catch (e) {
						out.textContent = 'Failed: ' + e.message;
					}
				} }, 'Test connection') : null,
				i ? h('button', { className: 'ghost',
					onclick: () => save({ imap: null }, 'IMAP disconnected ' +
						'from ' + m.address + '.') }, 'Disconnect') : null),
			out);
	}

	// Mail out: the mailbox's own SMTP relay (else tamed's --relay),
	// shown without its password like the IMAP URL, and a test email
	// sent through it at once.
	relay(m, save) {
		const r = m.relay;
		const id = 'mb' + m.id + '-relay';
		const url = h('input', { id: id + '-url', value: r ? r.url : '',
			placeholder: 'smtp://user:password@smtp.example.com:587' +
				'?starttls', autocomplete: 'off', size: 40 });
		const ca = h('input', { id: id + '-ca', value: r && r.ca_file || '',
			placeholder: '/etc/ssl/relay-ca.pem' });
		const to = h('input', { id: id + '-to', type: 'email',
			value: this.ctx.me.email || '' });
		const out = h('p', { className: 'muted', role: 'status',
			id: id + '-result' }, r ? 'Sends through ' + r.host + ':' +
			r.port + ' (' + r.tls + ').' : 'Sends through the relay ' +
			'tamed was started with (--relay).');
		const test = async (e) => {
			const b = e.target;
			b.disabled = true;
			out.textContent = 'Sending…';
			try {
				const a = await api.post('/mailboxes/' + m.id + '/test-send',
					{ to: to.value.trim() });
				out.textContent = a.ok ? 'Test email sent to ' +
					to.value.trim() + ' through the ' + (a.relay ===
					'mailbox' ? "mailbox's own" : 'global') + ' relay.' :
					'Failed: ' + a.error + (a.detail ? ' (' + a.detail +
						')' : '');
			} catch (err) {
				out.textContent = 'Failed: ' + err.message;
			}
			b.disabled = false;
		};
		return h('fieldset', 'relay',
			h('legend', {}, 'Send mail through'),
			field('SMTP relay URL', url, r ? 'leave the password out to ' +
				'keep the stored one' : 'smtps:// for TLS, ?starttls to ' +
				'require STARTTLS'),
			field('Trusted CA file', ca, 'for a relay with a self-signed ' +
				'certificate; empty: the system CAs'),
			h('div', 'buttons',
				h('button', { onclick: () => {
					if (!url.value.trim()) {
						warn('Enter the relay URL first.');
						return;
					}
					save({ relay: { url: url.value.trim(),
						ca_file: ca.value.trim() || null } },
					'Relay of ' + m.address + ' saved.');
				} }, r ? 'Save relay' : 'Use this relay'),
				r ? h('button', { className: 'ghost',
					onclick: () => save({ relay: null }, m.address +
						' sends through the global relay again.') },
				'Use the global relay') : null),
			h('div', 'form-row', field('Test email to', to),
				h('button', { className: 'test-send',
					onclick: test }, 'Send test email')),
			out);
	}

	destroy() {
		this.destroyed = true;
	}
}

// ---- desk settings: urgency can raise priority (GET/PATCH /settings)

// A card on the Agents page: off by default; when on, a customer
// message at least this urgent raises its ticket to high, or to urgent
// above the second threshold (never lower, never over an agent's own
// later choice; the ticket's history says why). Saved on each change.
function urgencySettings() {
	const on = h('input', { id: 'urgency-priority', type: 'checkbox' });
	const num = (id) => h('input', { id, type: 'number', min: 0.05,
		max: 1, step: 0.05, size: 4, required: true });
	const high = num('urgency-high-at');
	const urgent = num('urgency-urgent-at');
	const status = h('span', { className: 'muted', role: 'status',
		id: 'urgency-status' });
	const show = (st) => {
		on.checked = st.urgency_priority;
		high.value = st.urgency_high_at;
		urgent.value = st.urgency_urgent_at;
		high.disabled = urgent.disabled = !st.urgency_priority;
		status.textContent = st.urgency_priority ? 'On: urgent customer ' +
			'messages raise the priority.' : 'Off: priority is set by ' +
			'agents only.';
	};
	const save = async (body) => {
		try {
			show((await api.patch('/settings', body)).settings);
			toast('Urgency setting saved.');
		} catch (e) {
			warn('The setting was not saved: ' + e.message);
			load();
		}
	};
	const load = async () => {
		try {
			show((await api.get('/settings')).settings);
		} catch (e) {
			status.textContent = 'Could not load the setting: ' + e.message;
		}
	};
	on.onchange = () => save({ urgency_priority: on.checked });
	const thresholds = () => save({
		urgency_high_at: Number(high.value),
		urgency_urgent_at: Number(urgent.value),
	});
	high.onchange = urgent.onchange = thresholds;
	load();
	return h('section', { className: 'card', id: 'urgency-settings',
		'aria-label': 'Urgency and priority' },
	h('h2', {}, 'Urgency raises priority'),
	h('label', 'check', on, ' A customer message in an ' +
		'urgent tone ("ASAP", a deadline) raises its ticket\'s priority'),
	h('div', 'form-row',
		field('High from urgency', high, '0.05 to 1; "ASAP" alone is 0.63'),
		field('Urgent from urgency', urgent, 'two strong signs: 0.86')),
	status);
}
