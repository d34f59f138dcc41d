// fixture.mjs - what every browser test file shares: one SMTP sink,
// one tamed using it as its relay, one chromium, started before the
// first test and stopped (by PID) after the last; and the checks every
// page must pass.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Tamed, SmtpSink, launchBrowser, watchedPage, signIn, waitFor }
	from './lib.mjs';

export const env = { sink: null, tamed: null, browser: null };

before(async () => {
	env.sink = await new SmtpSink().start();
	env.tamed = await new Tamed().start({ relayPort: env.sink.port });
	env.browser = await launchBrowser();
});

after(async () => {
	if (env.browser)
		await env.browser.close();
	if (env.tamed)
		await env.tamed.stop();
	if (env.sink)
		await env.sink.stop();
});

// Every page must end clean: no alert, no request leaving tamed, no CSP
// violation by the app, no uncaught error.
export function assertClean(seen, { csp = true } = {}) {
	assert.deepEqual(seen.dialogs, [], 'a dialog was opened');
	assert.deepEqual(seen.remote, [], 'a request left for a remote host');
	assert.deepEqual(seen.errors, [], 'the page threw');
	if (csp)
		assert.deepEqual(seen.csp, [], 'the app broke its own CSP');
}

export const rowOf = (page, subject) =>
	page.locator('.row', { hasText: subject });

// The mails the sink got after index from, whose text matches re.
export function mailsAfter(from, re) {
	return env.sink.messages.slice(from).filter((m) => re.test(m.raw));
}

// A watched page of the shared tamed, signed in as the admin, at path
// ("/#/inbox/all") when one is given: { page, seen, context }.
// init(page) runs first (an init script, a colour scheme); options are
// the browser context's ({ timezoneId, locale }).
export async function openPage(path, init, options) {
	const w = await watchedPage(env.browser, env.tamed, options);
	if (init)
		await init(w.page);
	await signIn(w.page, env.tamed);
	if (path)
		await w.page.goto(env.tamed.url + path);
	return w;
}

// The same, at ticket id with its customer's message shown.
export async function openTicket(id, init, options) {
	const w = await openPage('/#/t/' + id, init, options);
	await w.page.waitForSelector('.msg.in');
	return w;
}

// Sends one mail per [name, address, subject]; returns the ticket ids.
export async function deliverAll(people, text) {
	const ids = [];
	for (const [name, addr, subject] of people)
		ids.push(await env.tamed.deliver({ from: name + ' <' + addr + '>',
			subject, text: text || subject + ', please help.' }));
	return ids;
}

// The trend that holds every one of ids, once tamed has found it.
export async function trendOf(ids) {
	return waitFor(async () => {
		const list = (await env.tamed.api('GET', '/trends?min_open=1&' +
			'limit=100')).trends;
		for (const t of list) {
			// a trend of the list may be merged into another meanwhile
			const r = await env.tamed.api('GET', '/trends/' + t.id)
				.catch(() => ({ tickets: [] }));
			const have = new Set(r.tickets.map((x) => x.id));
			if (ids.every((id) => have.has(id)))
				return t;
		}
		return null;
	}, { timeout: 15000, what: 'a trend of ' + ids.join(', ') });
}
