// presence.js - who else has a ticket open, and who is writing a reply:
// the ticket view says every few seconds that this agent is viewing or
// typing (POST /tickets/ID/presence) and hears back who else is there.
//
// Model: presence is soft state on the server that fades when it is
// not renewed, so a closed tab disappears by itself; leaving the ticket
// also says so (state "left"). A change from viewing to typing is sent at
// once, not at the next beat. When this tamed has no presence endpoint
// the poller stops and shows nothing.

import * as api from './api.js';
import { h, fill, avatar, personName } from './dom.js';

// Every few seconds (tests shorten it).
function beatMs() {
	return Number(localStorage.getItem('tame.presenceMs')) || 5000;
}
// After this long without a keystroke the agent counts as viewing.
const TYPING_MS = 8000;

export class Presence {
	constructor(ctx, ticketId, el) {
		this.ctx = ctx;
		this.id = ticketId;
		this.el = el;
		this.typedAt = 0;
		this.state = 'viewing';
		this.beat();
		this.timer = setInterval(() => this.beat(), beatMs());
	}

	// The agent typed in the composer.
	typed() {
		this.typedAt = Date.now();
		if (this.state !== 'typing')
			this.beat();
	}

	async beat() {
		if (this.stopped)
			return;
		this.state = Date.now() - this.typedAt < TYPING_MS ? 'typing' :
			'viewing';
		let r;
		try {
			r = await api.post('/tickets/' + this.id + '/presence',
				{ state: this.state });
		} catch (e) {
			if (api.missing(e))
				this.stop(true);
			return;
		}
		if (!this.stopped)
			this.draw(r.presence || []);
	}

	draw(list) {
		const others = list.filter((p) => p.agent.id !== this.ctx.me.id);
		this.others = others;
		fill(this.el, others.map((p) => h('span', {
			className: 'presence ' + p.state,
			title: personName(p.agent) + ' is ' + p.state,
		}, avatar(p.agent, 'small'), personName(p.agent) + (p.state ===
			'typing' ? ' is typing a reply…' : ' is viewing'))));
	}

	// Someone else is writing a reply right now.
	typingOthers() {
		return (this.others || []).filter((p) => p.state === 'typing');
	}

	stop(silent) {
		if (this.stopped)
			return;
		this.stopped = true;
		clearInterval(this.timer);
		if (!silent)
			api.post('/tickets/' + this.id + '/presence', { state: 'left' })
				.catch(() => {});
	}
}
