// profile.js - the agent's own page: name, avatar, signature,
// notification settings, password, and the sessions signed in.
//
// Model: each part is its own small form that saves on its own. The
// parts whose endpoint this tamed does not have hide themselves.

import * as api from './api.js';
import { h, fill, toast, timeEl, avatar, personName, field, warn }
	from './dom.js';

const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

function card(title, ...body) {
	return h('section', { className: 'card', 'aria-label': title },
		h('h2', {}, title), body);
}

export class ProfileView {
	constructor(ctx, main) {
		this.ctx = ctx;
		this.extra = h('div', 'cards');
		fill(main, h('div', 'page',
			h('div', 'list-head', h('h1', {}, 'Your profile')),
			h('div', 'cards', this.nameCard(),
				this.passwordCard()), this.extra));
		this.loadExtra();
	}

	nameCard() {
		const me = this.ctx.me;
		const name = h('input', { id: 'profile-name', value: me.name || '',
			required: true });
		return h('form', { className: 'card', 'aria-label': 'Name',
			onsubmit: async (e) => {
				e.preventDefault();
				try {
					const a = await api.patch('/agents/me',
						{ name: name.value.trim() });
					Object.assign(me, a);
					this.ctx.onMe();
					toast('Name saved.');
				} catch (err) {
					warn('Not saved: ' + err.message);
				}
			} },
		h('h2', {}, 'Name'), h('p', 'muted', me.email),
		field('Name customers and colleagues see', name),
		h('button', { type: 'submit', className: 'primary' }, 'Save name'));
	}

	passwordCard() {
		const cur = h('input', { id: 'password-current', type: 'password',
			autocomplete: 'current-password', required: true });
		const pw = h('input', { id: 'password-new', type: 'password',
			autocomplete: 'new-password', minLength: 8, required: true });
		const again = h('input', { id: 'password-again', type: 'password',
			autocomplete: 'new-password', required: true });
		const msg = h('p', { className: 'error', role: 'alert' });
		const form = h('form', { className: 'card', 'aria-label': 'Password',
			onsubmit: async (e) => {
				e.preventDefault();
				msg.textContent = '';
				if (pw.value.length < 8) {
					msg.textContent = 'The new password needs 8 characters ' +
						'or more.';
					return;
				}
				if (pw.value !== again.value) {
					msg.textContent = 'The two new passwords differ.';
					return;
				}
				try {
					await this.changePassword(cur.value, pw.value);
				} catch (err) {
					msg.textContent = err.code === 'invalid_credentials' ?
						'The current password is wrong.' : err.message;
					return;
				}
				form.reset();
				toast('Password changed.');
				this.loadExtra();
			} },
		h('h2', {}, 'Password'), field('Current password', cur),
		field('New password', pw, 'at least 8 characters'),
		field('New password again', again), msg,
		h('button', { type: 'submit', className: 'primary' },
			'Change password'));
		return form;
	}

	// The other sessions end with it.
	async changePassword(current, next) {
		await api.post('/session/password', { current, new: next });
	}

	async loadExtra() {
		const parts = await Promise.all([this.profileCard(),
			this.sessionsCard()]);
		if (!this.destroyed)
			fill(this.extra, parts);
	}

	// Avatar, signature, notification settings: fields of the agent
	// (GET and PATCH /agents/me) when this tamed has them.
	async profileCard() {
		let p;
		try {
			p = await api.get('/agents/me');
		} catch (e) {
			return null;
		}
		if (!('signature' in p))
			return null;
		const me = Object.assign(this.ctx.me, p);
		const sig = h('textarea', { id: 'profile-signature', rows: 4,
			value: p.signature || '',
			placeholder: 'Best,\n' + personName(me) });
		const box = (key, label) => h('label', 'check',
			h('input', { type: 'checkbox', name: key, checked: !!p[key] }),
			' ' + label);
		const notes = [['notify_mentions', 'when someone @mentions me'],
			['notify_follows', 'of changes to tickets I follow'],
			['notify_assigned', 'when a ticket is assigned to me']]
			.filter(([k]) => k in p).map(([k, l]) => box(k, l));
		const file = h('input', { id: 'avatar-file', type: 'file',
			accept: AVATAR_TYPES.join(','), className: 'sr-only',
			onchange: () => this.upload(file.files[0]) });
		const form = h('form', { className: 'card', 'aria-label': 'Profile',
			onsubmit: async (e) => {
				e.preventDefault();
				const body = { signature: sig.value };
				for (const c of form.querySelectorAll('input[name]'))
					body[c.name] = c.checked;
				try {
					Object.assign(me, await api.patch('/agents/me', body));
					toast('Profile saved.');
				} catch (err) {
					warn('Not saved: ' + err.message);
				}
			} },
		h('h2', {}, 'Profile'),
		h('div', 'avatar-row', avatar(me, 'big'),
			h('label', { htmlFor: 'avatar-file', className: 'button',
				tabindex: '0', onkeydown: (e) => {
					if (e.key === 'Enter' || e.key === ' ') {
						e.preventDefault();
						file.click();
					}
				} }, 'Upload a picture…'), file,
			me.avatar_url ? h('button', { className: 'ghost',
				onclick: () => this.upload(null) }, 'Remove') : null),
		field('Signature, added below your replies', sig),
		notes.length ? h('fieldset', {}, h('legend', {}, 'Notify me'),
			notes) : null,
		h('button', { type: 'submit', className: 'primary' },
			'Save profile'));
		return form;
	}

	// f: the picture (tamed checks its type and size), null to remove.
	async upload(f) {
		try {
			if (f)
				await api.call('PUT', '/agents/me/avatar', undefined,
					{ raw: f });
			else
				await api.del('/agents/me/avatar');
			Object.assign(this.ctx.me, await api.get('/agents/me'));
			this.ctx.onMe();
			toast(f ? 'Picture saved.' : 'Picture removed.');
		} catch (e) {
			warn('Not saved: ' + e.message);
		}
		this.loadExtra();
	}

	// Where the agent is signed in; each other one can be ended.
	async sessionsCard() {
		let list;
		try {
			list = (await api.get('/sessions')).sessions;
		} catch (e) {
			return null;
		}
		return card('Signed in', h('ul', 'sessions',
			list.map((s) => h('li', {}, s.current ?
				h('strong', {}, 'This browser') : 'Another browser',
			h('span', 'muted', ' since ',
				timeEl(s.created_at), ', until ', timeEl(s.expires_at)),
			s.current ? null : h('button', { className: 'small end-session', onclick: async () => {
					try {
						await api.del('/sessions/' + s.id);
						toast('That session is signed out.');
					} catch (e) {
						warn(e.message);
					}
					this.loadExtra();
				} }, 'Sign out')))));
	}

	destroy() {
		this.destroyed = true;
	}
}
