// basics.mjs - the web app as an agent first meets it: sign in, see
// mail that arrived by SMTP, open it, reply and find the reply at the
// relay, take a reply back, triage with the keyboard alone, watch a new
// ticket appear live, and read hostile HTML mail without anything in it
// running or calling out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { watchedPage, signIn, makeMail, waitFor, sleep, ADMIN, AGENT,
	ROOT, APP_ROWS } from './lib.mjs';
import { env, assertClean, rowOf } from './fixture.mjs';
import { XSS_MAILS } from './xss.mjs';
import { foldPoint } from '../../web/message.js';

// A 2x1 PNG, for an image attachment.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAA' +
	'DklEQVR4nGP4z8DwHwQBEPgD/U6VwW8AAAAASUVORK5CYII=', 'base64');

test('sign in, wrong password, session restored on reload, sign out',
	async () => {
		const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
		await page.goto(env.tamed.url + '/');
		await page.waitForSelector('#login:not([hidden])');
		assert.equal(await page.evaluate(() =>
			document.activeElement.id), 'login-email');
		await page.fill('#login-email', ADMIN.email);
		await page.fill('#login-password', 'not the password');
		await page.press('#login-password', 'Enter');
		await page.waitForSelector('#login-error:text("Wrong email or password.")');
		await page.fill('#login-password', ADMIN.password);
		await page.click('#login-form button[type=submit]');
		await page.waitForSelector(APP_ROWS);
		assert.match(await page.textContent('#me'), /Ada Admin/);
		await page.reload();
		await page.waitForSelector(APP_ROWS);
		assert.equal(await page.isHidden('#login'), true);
		await page.click('#logout');
		await page.waitForSelector('#login:not([hidden])');
		// the session is gone on the server too
		await page.reload();
		await page.waitForSelector('#login:not([hidden])');
		assertClean(seen);
		await context.close();
	});

// What a row is made of, for comparing the rows tamed draws into the
// page with the app's: every element's tag and classes, and the text of
// those without children (the wait's text moves with the clock, the
// colleagues on a ticket come later).
function rowShapes(page) {
	return page.$$eval('#main .list-head, #main .rows > .row', (els) =>
		els.map((el) => [el, ...el.querySelectorAll('*')]
			.filter((e) => !e.closest('.here') || e.matches('.here'))
			.map((e) => e.tagName + '.' + [...e.classList].sort().join('.') +
				(e.children.length || e.matches('.wait') ? '' :
					'=' + e.textContent) + (e.getAttribute('aria-selected') ||
					'')).join(' ')));
}

test('first rows: the page comes with the inbox in it, the app takes over',
	async () => {
		const hostile = '<img src=x onerror="window.owned=1"> & "Firstrows"';
		const id = await env.tamed.deliver({
			from: '"Dora <D> Diaz" <dora@example.org>',
			subject: hostile, text: 'Firstrows body' });
		await env.tamed.deliver({ subject: 'Firstrows second',
			text: 'So that j has a row to go to' });
		// a name that passes for another address: the real one shows
		const fake = await env.tamed.deliver({
			from: '"ceo@example.com" <mallory@evil.example>',
			subject: 'Firstrows payout', text: 'Change the account.' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		const state = await context.storageState();
		// without scripts: the rows are there, texts as texts
		const bare = await env.browser.newContext({ viewport: { width: 1280,
			height: 760 }, storageState: state, javaScriptEnabled: false });
		const still = await bare.newPage();
		await still.goto(env.tamed.url + '/#/inbox/unassigned');
		const row = still.locator('#row-' + id);
		assert.equal(await row.isVisible(), true);
		assert.equal(await row.locator('.subject').textContent(), hostile);
		assert.equal(await row.locator('.who').textContent(), 'Dora <D> Diaz');
		assert.equal(await still.locator('#row-' + fake + ' .who')
			.textContent(), 'mallory@evil.example');
		// read out as the app's row is: one message, not "1 messages"
		assert.match(await row.getAttribute('aria-label'), /, 1 message, /);
		assert.equal(await still.locator('#main img').count(), 0);
		const drawn = await rowShapes(still);
		assert.ok(drawn.length > 1, 'no rows in the page');
		await bare.close();
		// with them: the app's rows in their place, alike, and working
		await page.reload();
		await page.waitForSelector(APP_ROWS + ' #row-' + id);
		assert.deepEqual(await rowShapes(page), drawn);
		const first = await page.getAttribute('.rows',
			'aria-activedescendant');
		await page.keyboard.press('j');
		assert.notEqual(await page.getAttribute('.rows',
			'aria-activedescendant'), first);
		assert.equal(await page.evaluate(() => window.owned), undefined);
		// another view asked for: the drawn rows are never shown (the
		// app kept from starting, so that only the page is measured)
		const idle = await env.browser.newContext({ viewport: { width: 1280,
			height: 760 }, storageState: state });
		const other = await idle.newPage();
		await other.route('**/boot.js', (r) => r.abort());
		await other.goto(env.tamed.url + '/#/inbox/mine');
		assert.equal(await other.locator('#main[data-first]').count(), 1);
		assert.equal(await other.locator('#row-' + id).isVisible(), false);
		await other.goto(env.tamed.url + '/#/t/' + id);
		await other.reload();
		assert.equal(await other.locator('#row-' + id).isVisible(), false);
		await idle.close();
		// and with the app, the view asked for replaces them
		await page.goto(env.tamed.url + '/#/inbox/mine');
		await page.reload();
		await page.waitForSelector(APP_ROWS);
		await page.waitForSelector('h1:text("Mine")');
		assert.equal(await page.locator('#row-' + id).count(), 0);
		assertClean(seen);
		await context.close();
	});

test('a mail that arrived by SMTP is a row in the inbox', async () => {
	const id = await env.tamed.deliver({
		from: 'Bob Buyer <bob@example.org>',
		subject: 'Order 1182 never arrived',
		text: 'Hello, my order 1182 has not arrived after two weeks.',
	});
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	const row = rowOf(page, 'Order 1182 never arrived');
	await row.waitFor();
	assert.match(await row.textContent(), /Bob Buyer/);
	assert.match(await row.textContent(), /my order 1182 has not arrived/);
	assert.equal(await row.locator('.count').textContent(), '1');
	assert.equal(await row.getAttribute('id'), 'row-' + id);
	// a long thread stands out
	for (let i = 0; i < 11; i++)
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'note ' + i });
	await page.reload();
	await rowOf(page, 'Order 1182 never arrived').locator('.count.hot')
		.waitFor();
	assertClean(seen);
	await context.close();
});

test('open a ticket, reply with CC and solve; the mail reaches the relay',
	async () => {
		const id = await env.tamed.deliver({
			from: 'Dana Doe <dana@example.org>',
			subject: 'Cannot log in',
			text: 'Since this morning I cannot log in.\n\n-- \nDana\n' +
				'Head of Things',
			attachments: [{ name: 'screen.png', type: 'image/png',
				data: PNG }],
		});
		const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
		await signIn(page, env.tamed);
		await rowOf(page, 'Cannot log in').click();
		await page.waitForSelector('.msg.in');
		// the signature is folded away
		assert.equal(await page.isVisible('.msg.in details.quoted .text'),
			false);
		assert.match(await page.textContent('.msg.in .body'),
			/cannot log in/);
		// the screenshot is shown, and can be downloaded
		await page.waitForFunction(() => {
			const i = document.querySelector('.msg.in img.preview-img');
			return i && i.complete && i.naturalWidth === 2;
		});
		assert.equal(await page.getAttribute('.attachments a', 'download'),
			'screen.png');
		// the customer panel
		assert.match(await page.textContent('.side'), /dana@example.org/);
		await page.fill('#composer-text', 'Hello Dana, please try again now.');
		await page.fill('#composer-cc', 'it@example.org');
		const before = env.sink.messages.length;
		await page.click('button:text("Send & solve")');
		// (held 400 ms here: the undo test sees the toast)
		const mail = await waitFor(() => env.sink.messages.slice(before).find(
			(m) => m.raw.includes('please try again now')),
		{ what: 'the reply at the relay' });
		assert.match(mail.raw, new RegExp('Subject: Re: Cannot log in \\[#' +
			id + '\\]'));
		assert.ok(mail.to.some((r) => r.includes('dana@example.org')));
		assert.ok(mail.to.some((r) => r.includes('it@example.org')));
		await page.waitForSelector('.msg.out');
		await page.waitForSelector('.pill.st-solved');
		const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
		assert.equal(t.status, 'solved');
		assertClean(seen);
		await context.close();
	});

test('the customer\'s Cc stays on the reply unless taken off', async () => {
	const id = await env.tamed.deliver({
		from: 'Erin <erin@example.org>', subject: 'Invoice copy',
		text: 'Please send the invoice to Frank too.',
		headers: { Cc: 'Frank <Frank@example.org>, ERIN@example.org, ' +
			'alias@example.com' },
	});
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	// not the customer, nor an address at the mailbox's own domain
	const cc = async () => (await page.inputValue('#composer-cc'))
		.toLowerCase();
	await waitFor(async () => await cc() === 'frank@example.org',
		{ what: 'the Cc suggested' });
	assert.ok(await page.isHidden('#composer-cc-new'),
		'the customer\'s own Cc was named as new');
	const reply = async (text) => {
		const before = env.sink.messages.length;
		await page.fill('#composer-text', text);
		await page.click('button:text("Send, keep open")');
		return waitFor(() => env.sink.messages.slice(before).find(
			(m) => m.raw.includes(text)), { what: 'the reply sent' });
	};
	let mail = await reply('Sent to both of you.');
	assert.ok(mail.to.some((r) => /frank@example.org/i.test(r)));
	assert.ok(!mail.to.some((r) => r.includes('alias@example.com')));
	// suggested again for the next reply; an agent who takes it off
	// sends to the customer alone
	await waitFor(async () => await cc() === 'frank@example.org',
		{ what: 'the Cc suggested again' });
	await page.fill('#composer-cc', '');
	mail = await reply('Only to you this time.');
	assert.deepEqual(mail.to.map((r) => r.toLowerCase()),
		['<erin@example.org>']);
	// Erin answers from her work address: it is offered for the answer
	const mid = /^Message-ID: *(<[^>]+>)/mi.exec(mail.raw)[1];
	await env.tamed.send(makeMail({ from: 'Erin <erin@work.example.net>',
		subject: 'Re: Invoice copy [#' + id + ']',
		text: 'Please use this address from now on.',
		headers: { 'In-Reply-To': mid, References: mid } }));
	await waitFor(async () => await cc() === 'erin@work.example.net',
		{ what: 'the new address suggested' });
	// ... and named as new to the conversation: anyone who knows a
	// Message-ID of the thread can write into it
	assert.match(await page.textContent('#composer-cc-new'),
		/New to this conversation: erin@work\.example\.net/);
	// a contact form's mail: its noreply sender is no one to copy
	const form = await env.tamed.deliver({
		from: 'Web form <noreply@forms.example.net>', subject: 'Form mail',
		text: 'Sent from the website.',
		headers: { 'Reply-To': 'Finn <finn@example.org>' } });
	await page.goto(env.tamed.url + '/#/t/' + form);
	await page.waitForSelector('.msg.in:has-text("Sent from the website")');
	await sleep(500);
	assert.equal(await cc(), '');
	// Finn is the customer: nothing to warn of
	assert.ok(await page.isHidden('#composer-to-warn'),
		'a reachable customer was warned of');
	// a shop's order mail with no Reply-To: the reply would go nowhere
	const shop = await env.tamed.deliver({
		from: 'Shop <do-not-reply@shop.example.net>',
		subject: 'Your order 1234', text: 'Thank you for your order.' });
	await page.goto(env.tamed.url + '/#/t/' + shop);
	await page.waitForSelector('.msg.in:has-text("Thank you for your")');
	await page.waitForSelector('#composer-to-warn:visible');
	assert.match(await page.textContent('#composer-to-warn'),
		/Nobody reads mail to do-not-reply@shop\.example\.net/);
	assertClean(seen);
	await context.close();
});

test('undo takes a reply back before it leaves', async () => {
	const id = await env.tamed.deliver({ subject: 'Undo me please',
		text: 'A question.' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await page.addInitScript(() =>
		localStorage.setItem('tame.undoMs', '2500'));
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	await page.fill('#composer-text', 'Oops, wrong ticket.');
	await page.press('#composer-text', 'Control+Enter');
	await page.click('.toast.held button:text("Undo")');
	assert.equal(await page.inputValue('#composer-text'),
		'Oops, wrong ticket.');
	await sleep(3000);
	const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
	assert.equal(t.messages.length, 1, 'the reply was sent anyway');
	assert.ok(!env.sink.messages.some((m) => m.raw.includes('wrong ticket')));
	assertClean(seen);
	await context.close();
});

test('a half-written reply survives a reload; signing out forgets it',
	async () => {
		const id = await env.tamed.deliver({ subject: 'Draft me',
			text: 'A long question.' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.msg.in');
		await page.keyboard.press('r');
		await page.keyboard.type('Dear Dana, about your question: ');
		await page.reload();
		await page.waitForSelector('.msg.in');
		await page.waitForFunction(() => document.getElementById(
			'composer-text').value.startsWith('Dear Dana, about'));
		// the session ends without a sign-out; another agent signs in
		// on this browser and does not find it
		await context.clearCookies();
		await signIn(page, env.tamed, AGENT);
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.msg.in');
		assert.equal(await page.inputValue('#composer-text'), '');
		// signing out forgets one's own
		await page.keyboard.press('r');
		await page.keyboard.type('Grace was here');
		await page.click('#logout');
		await page.waitForSelector('#login-email');
		assert.equal(await page.evaluate(() =>
			localStorage.getItem('tame.drafts')), null);
		await signIn(page, env.tamed, AGENT);
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.msg.in');
		assert.equal(await page.inputValue('#composer-text'), '');
		assertClean(seen);
		await context.close();
	});

test('a phone-sized window: every view one tap away, nothing off screen',
	async () => {
		await env.tamed.deliver({ subject: 'Small screen question',
			text: 'Typed on a phone.' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed, { viewport: { width: 390, height: 844 },
				isMobile: true, hasTouch: true });
		await signIn(page, env.tamed);
		await page.waitForSelector('.row');
		const pending = page.locator('#views a.view-link[href="#/inbox/' +
			'pending"]');
		assert.ok(await pending.isVisible(), 'the views are hidden');
		await pending.tap();
		await page.waitForFunction(() =>
			location.hash.startsWith('#/inbox/pending'));
		// (the hash moves before the app hears of it: the old view's
		// head is there a moment longer)
		const h1 = page.locator('.list-head h1', { hasText: 'Pending' });
		await h1.waitFor();
		const head = await h1.boundingBox();
		assert.ok(head.height < 60, 'the title is ' + head.height +
			' px tall');
		const sort = await page.locator('#sort').boundingBox();
		assert.ok(sort.x + sort.width <= 390, 'the sort runs off screen');
		assertClean(seen);
		await context.close();
	});

test('keyboard only: move, open, note, assign, solve, search, help',
	async () => {
		const ids = [];
		for (const s of ['Triage one', 'Triage two', 'Triage three'])
			ids.push(await env.tamed.deliver({ subject: s, text: s + ' body' }));
		const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
		await signIn(page, env.tamed);
		await page.keyboard.press('/');
		assert.equal(await page.evaluate(() => document.activeElement.id),
			'search');
		await page.keyboard.type('Triage');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() =>
			document.querySelectorAll('.row').length === 3);
		await page.keyboard.press('Escape');
		// the list has the focus and the first row is selected
		await page.waitForFunction(() =>
			document.activeElement.classList.contains('rows'));
		const selected = () => page.getAttribute('.rows',
			'aria-activedescendant');
		const first = await selected();
		await page.keyboard.press('j');
		const second = await selected();
		assert.notEqual(first, second);
		await page.keyboard.press('k');
		assert.equal(await selected(), first);
		await page.keyboard.press('j');
		const target = Number(second.replace('row-', ''));
		await page.keyboard.press('Enter');
		await page.waitForSelector('.msg.in');
		assert.match(page.url(), new RegExp('#/t/' + target + '$'));
		// n: an internal note, written and sent from the keyboard
		await page.keyboard.press('n');
		assert.equal(await page.evaluate(() => document.activeElement.id),
			'composer-text');
		await page.keyboard.type('Checked the logs, nothing odd.');
		await page.keyboard.press('Control+Enter');
		await page.waitForSelector('.msg.note:has-text("Checked the logs")');
		await page.keyboard.press('Escape');   // leave the field
		await page.keyboard.press('a');
		await page.waitForSelector('#assign-me:text("Yours")');
		await page.keyboard.press('s');
		// back in the list, the solved ticket is gone from it
		await page.waitForSelector('.rows .row.selected');
		await page.waitForFunction((id) => !document.getElementById(
			'row-' + id), target);
		const t = (await env.tamed.api('GET', '/tickets/' + target)).ticket;
		assert.equal(t.status, 'solved');
		assert.equal(t.assignee.email, ADMIN.email);
		// s on a row solves the selected ticket without opening it
		const next = Number((await selected()).replace('row-', ''));
		await page.keyboard.press('s');
		await page.waitForFunction((id) => !document.getElementById(
			'row-' + id), next);
		assert.equal((await env.tamed.api('GET', '/tickets/' + next)).ticket
			.status, 'solved');
		// the focus is visible: the list draws an outline
		const outline = await page.evaluate(() => getComputedStyle(
			document.activeElement).outlineStyle);
		assert.notEqual(outline, 'none');
		await page.keyboard.press('?');
		await page.waitForSelector('#help[open]');
		await page.keyboard.press('Escape');
		await page.waitForFunction(() =>
			!document.getElementById('help').open);
		// a search in a view offers every ticket: the solved one is
		// found there
		await page.keyboard.press('/');
		await page.keyboard.type('Triage body');
		await page.keyboard.press('Enter');
		await page.waitForSelector('h1:has-text("matching “Triage body”")');
		// (the heading comes at once, the rows and their count after)
		await page.waitForFunction(() => / tickets?$/.test(
			document.querySelector('.count-total').textContent));
		assert.equal(await page.$('#row-' + target), null);
		await page.click('a.all-search');
		await page.waitForSelector('#row-' + target);
		// a ticket number typed in the search opens that ticket
		await page.keyboard.press('/');
		await page.keyboard.type('#' + ids[2]);
		await page.keyboard.press('Enter');
		await page.waitForSelector('.msg.in:has-text("Triage three body")');
		assert.ok(page.url().endsWith('#/t/' + ids[2]), page.url());
		assertClean(seen);
		await context.close();
	});

test('figures: inbox painted and ticket opened', async (t) => {
	await env.tamed.deliver({ subject: 'Timing', text: 'How fast?' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto('about:blank');
	const t0 = Date.now();
	await page.goto(env.tamed.url + '/#/inbox/all');
	await page.waitForSelector('.row');
	const inbox = Date.now() - t0;
	const rows = (await page.$$('.row')).length;
	const t1 = Date.now();
	await page.keyboard.press('Enter');
	await page.waitForSelector('.msg');
	const open = Date.now() - t1;
	t.diagnostic('inbox first rows painted ' + inbox + ' ms after ' +
		'navigation (target 300 ms); ticket opened in ' + open +
		' ms (target 100 ms), with ' + rows + ' tickets in the list');
	// (a figure, not a test: make bench has the targets)
	assert.ok(rows > 0);
	// the whole app stays small: JS and CSS under 150 kB, as served
	const web = path.join(ROOT, 'web');
	let bytes = 0;
	for (const f of fs.readdirSync(web).filter((x) => /\.(js|css)$/
		.test(x))) {
		const r = await fetch(env.tamed.url + '/' + f);
		assert.equal(r.status, 200, f);
		bytes += (await r.arrayBuffer()).byteLength;
	}
	// every module the inbox needs is fetched at once, not one import
	// after another (the others are imported after the first paint)
	const index = await (await fetch(env.tamed.url + '/')).text();
	for (const f of ['app.js', 'api.js', 'live.js', 'queue.js', 'dom.js',
		'inbox.js', 'filters.js', 'trends.js', 'tone.js', 'notify.js'])
		assert.ok(index.includes('<link rel="modulepreload" href="/' + f +
			'">'), f + ' is not preloaded');
	t.diagnostic('web app JS+CSS ' + bytes + ' bytes served, ' +
		(bytes / 1000).toFixed(1) + ' kB (target < 150 kB = 150000 bytes, ' +
		'as make bench counts)');
	assert.ok(bytes < 150000, bytes + ' bytes');
	assertClean(seen);
	await context.close();
});

test('sort by priority puts the urgent ticket first', async () => {
	const id = await env.tamed.deliver({ subject: 'Everything is down',
		text: 'Production is down.' });
	await env.tamed.api('PATCH', '/tickets/' + id, { priority: 'urgent' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.selectOption('#sort', 'priority');
	await page.waitForFunction(() => location.hash.includes('sort=priority'));
	await page.waitForFunction((rid) => {
		const r = document.querySelector('.row');
		return r && r.id === 'row-' + rid;
	}, id);
	assert.match(await page.getAttribute('.row', 'class'), /pr-urgent/);
	assertClean(seen);
	await context.close();
});

test('a new ticket appears live, without a reload', async () => {
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.waitForSelector('.live.on');
	await page.evaluate(() => { window.__noReload = true; });
	const subject = 'Live arrival ' + Date.now();
	await env.tamed.send(makeMail({ subject, text: 'Fresh off the wire.' }));
	await rowOf(page, subject).waitFor({ timeout: 5000 });
	assert.equal(await page.evaluate(() => window.__noReload), true);
	// and a change by another agent shows too
	const id = Number((await rowOf(page, subject).getAttribute('id'))
		.replace('row-', ''));
	const grace = (await env.tamed.api('GET', '/agents')).agents.find(
		(a) => a.email === AGENT.email);
	await env.tamed.api('PATCH', '/tickets/' + id, { assignee_id: grace.id });
	await page.waitForFunction((rid) => !document.getElementById(
		'row-' + rid), id, { timeout: 5000 });
	assertClean(seen);
	await context.close();
});

// Over HTTP/1.1 chromium opens at most six connections to a host, and a
// live stream holds one for good: the tabs of the app must share one
// stream, or the seventh tab (and every request of the other six)
// waits for a connection that never comes.
test('many tabs of the app share one live stream', async () => {
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	const streams = new Set();
	context.on('request', (r) => {
		if (r.url().includes('/api/v1/events'))
			streams.add(r);
	});
	const gone = (r) => streams.delete(r);
	context.on('requestfinished', gone);
	context.on('requestfailed', gone);
	// the streams still open, in the tabs still open
	const open = () => [...streams].filter((r) =>
		!r.frame().page().isClosed()).length;
	await signIn(page, env.tamed);
	const id = await env.tamed.deliver({ subject: 'Opened in tab eight',
		text: 'Every tab can still load.' });
	const tabs = [page];
	for (let i = 0; i < 7; i++) {
		const p = await context.newPage();
		await p.goto(env.tamed.url + '/#/inbox/all');
		await p.waitForSelector(APP_ROWS,
			{ timeout: 5000 });
		tabs.push(p);
	}
	await tabs[7].goto(env.tamed.url + '/#/t/' + id);
	await tabs[7].waitForSelector('.msg.in:has-text("Every tab can")',
		{ timeout: 5000 });
	await tabs[7].goto(env.tamed.url + '/#/inbox/all');
	for (const p of tabs)
		await p.waitForSelector('.live.on', { timeout: 5000 });
	assert.equal(open(), 1, 'one stream for all tabs');
	// every tab hears of a new ticket
	const subject = 'Seen in every tab ' + Date.now();
	await env.tamed.send(makeMail({ subject, text: 'Hello tabs.' }));
	for (const p of tabs)
		await rowOf(p, subject).waitFor({ timeout: 5000 });
	// the tab holding the stream closes: another takes it over
	assertClean(seen);
	await page.close();
	const later = 'After the handover ' + Date.now();
	await env.tamed.send(makeMail({ subject: later, text: 'Still live.' }));
	for (const p of tabs.slice(1))
		await rowOf(p, later).waitFor({ timeout: 5000 });
	await waitFor(() => open() === 1, { timeout: 5000,
		what: 'one stream after the handover' });
	await context.close();
});

test('HTML mail: quoted history folded, remote images held back',
	async () => {
		const id = await env.tamed.deliver({
			subject: 'Newsletter style reply', text: 'plain version',
			html: '<p>The <b>new</b> plan works for us.</p>' +
				'<img src="https://images.example.com/logo.png" alt="logo">' +
				'<blockquote><p>Earlier: which plan do you want?</p>' +
				'</blockquote>',
		});
		const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/t/' + id);
		const frame = await (await page.waitForSelector('.msg iframe'))
			.contentFrame();
		await frame.waitForSelector('b');
		const quote = await frame.$('blockquote');
		assert.equal(await quote.isVisible(), false);
		await page.click('.quote-toggle');
		assert.equal(await quote.isVisible(), true);
		assert.match(await page.textContent('.remote'),
			/1 remote image not loaded/);
		// "Show as text" gives the plain part
		await page.click('button:text("Show as text")');
		await page.waitForSelector('.msg.in .text:text("plain version")');
		assertClean(seen);
		await context.close();
	});

test('what the agent unfolded stays so when a colleague\'s note comes in',
	async () => {
		const id = await env.tamed.deliver({
			subject: 'Unfolded stays', text: 'plain version',
			html: '<p>Still broken.</p><blockquote><p>Earlier: did a ' +
				'restart help?</p></blockquote>',
		});
		await env.tamed.quiet();
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/t/' + id);
		const frame = page.frameLocator('.msg.in iframe');
		const quote = frame.locator('blockquote');
		await frame.locator('html.fold').waitFor({ state: 'attached' });
		assert.equal(await quote.isVisible(), false);
		await page.click('.quote-toggle');
		await quote.waitFor();
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'Looking into it, Grace' });
		await page.waitForSelector('.msg.note:has-text("Looking into it")');
		// (and the intelligence's second look, had it any news)
		await env.tamed.quiet(1500);
		assert.equal(await quote.isVisible(), true);
		assert.equal(await page.getAttribute('.quote-toggle',
			'aria-expanded'), 'true');
		assertClean(seen);
		await context.close();
	});

test('Outlook HTML: a reply\'s history folds, a forward\'s stays',
	async () => {
		const outlook = (lead) => '<div class="WordSection1"><p>' + lead +
			'</p><div style="border:none;border-top:solid #E1E1E1 1.0pt">' +
			'<p><b>From:</b> Support &lt;support@x.test&gt;<br>' +
			'<b>Sent:</b> Monday, 2 March 2026 10:00<br><b>To:</b> Ann' +
			'</p></div><p>Which plan do you want?</p></div>';
		const reply = await env.tamed.deliver({
			subject: 'RE: Your plan', text: 'plain',
			html: outlook('The new plan works for us.') });
		const fw = await env.tamed.deliver({
			subject: 'FW: Your plan', text: 'plain',
			html: outlook('Please look at this.') });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		const frameOf = async (id) => {
			await page.goto(env.tamed.url + '/#/t/' + id);
			await page.reload();
			const frame = await (await page.waitForSelector(
				'.msg.in iframe')).contentFrame();
			await frame.waitForSelector('p:text("Which plan")',
				{ state: 'attached' });
			return frame;
		};
		let frame = await frameOf(reply);
		const hidden = frame.locator('p:text("Which plan")');
		await waitFor(async () => !(await hidden.isVisible()),
			{ what: 'the history folded' });
		assert.equal(await frame.locator('p:text("works for us")')
			.isVisible(), true);
		await page.click('.quote-toggle');
		assert.equal(await hidden.isVisible(), true);
		frame = await frameOf(fw);
		// the frame's load handler (which folds) has run: it sizes it
		await page.waitForFunction(() => document.querySelector(
			'.msg.in iframe').style.height !== '');
		assert.equal(await frame.locator('p:text("Which plan")')
			.isVisible(), true);
		assert.equal(await page.locator('.msg.in .quote-toggle').count(), 0);
		assertClean(seen);
		await context.close();
	});

test('a long thread shows its first and latest messages, the rest ' +
	'behind one button', async () => {
	const id = await env.tamed.deliver({ subject: 'Long back and forth',
		text: 'The very first question.' });
	for (let i = 1; i <= 9; i++)
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'Step ' + i + ' of the investigation.' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg:has-text("Step 9 of")');
	// 10 messages: the first, 5 folded, the last 4
	assert.equal(await page.locator('.conversation .msg').count(), 5);
	assert.ok(await page.isVisible('.msg:has-text("The very first")'));
	assert.equal(await page.locator('.msg:has-text("Step 5 of")').count(), 0);
	assert.ok(await page.isVisible('.msg:has-text("Step 6 of")'));
	await page.click('button.earlier:text("5 earlier messages")');
	await page.waitForSelector('.msg:has-text("Step 5 of")');
	assert.equal(await page.locator('.conversation .msg').count(), 10);
	// a new note keeps it unfolded
	await env.tamed.api('POST', '/tickets/' + id + '/notes',
		{ text: 'Step 10 of the investigation.' });
	await page.waitForSelector('.msg:has-text("Step 10 of")');
	assert.equal(await page.locator('.conversation .msg').count(), 11);
	assertClean(seen);
	await context.close();
});

test('a ticket shows its history: who changed what, and why', async () => {
	const id = await env.tamed.deliver({ subject: 'History please',
		text: 'Where did my order go?' });
	const grace = (await env.tamed.api('GET', '/agents')).agents.find(
		(a) => a.email === AGENT.email);
	await env.tamed.api('PATCH', '/tickets/' + id,
		{ priority: 'high', tags: ['hist-vip', 'hist-login'],
			assignee_id: grace.id });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.click('details.history summary');
	const hist = page.locator('details.history li');
	await hist.first().waitFor();
	// newest first: the change by the admin, then the ticket's creation
	// whom it went to and which tags, in words
	const change = await hist.first().textContent();
	assert.match(change, /Ada Admin · ticket updated \(.*priority: high/);
	assert.match(change, /assigned to Grace Hopper/);
	assert.match(change, /tags: hist-vip, hist-login/);
	assert.match(await hist.last().textContent(), /Tame · ticket created/);
	assertClean(seen);
	await context.close();
});

test('a colleague\'s ticket is taken only when asked; a disabled ' +
	'assignee shows as such', async () => {
	const id = await env.tamed.deliver({ subject: 'Whose is it',
		text: 'Hello?' });
	const otto = await env.tamed.api('POST', '/agents', {
		email: 'otto@example.com', name: 'Otto Other',
		password: 'otto password 1', role: 'agent' });
	await env.tamed.api('PATCH', '/tickets/' + id, { assignee_id: otto.id });
	const holder = async () => (await env.tamed.api('GET', '/tickets/' +
		id)).ticket.assignee;
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	// "a" asks first; Cancel leaves it with Otto
	await page.keyboard.press('a');
	await page.waitForSelector('dialog.modal:has-text("is Otto Other\'s")');
	await page.click('dialog.modal button:text("Cancel")');
	await sleep(300);
	assert.equal((await holder()).id, otto.id);
	// disabled, Otto still holds it once it is solved (a disable sends
	// only open tickets back): the menu says so, not "Nobody"
	await env.tamed.api('PATCH', '/tickets/' + id, { status: 'solved' });
	await env.tamed.api('PATCH', '/agents/' + otto.id, { disabled: true });
	await page.reload();
	await page.waitForSelector('.msg.in');
	assert.equal(await page.$eval('#assignee', (s) =>
		s.selectedOptions[0].textContent), 'Otto Other (disabled)');
	await page.click('#assign-me');
	await page.click('dialog.modal button:text("Take it")');
	await waitFor(async () => (await holder()).email === ADMIN.email,
		{ what: 'the ticket taken over' });
	assertClean(seen);
	await context.close();
});

test('a tag being typed survives a colleague\'s change', async () => {
	const id = await env.tamed.deliver({ subject: 'Tag race',
		text: 'Tag me.' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed, AGENT);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	await page.click('#tag-input');
	await page.keyboard.type('billing');
	// the admin tags it meanwhile: the bar is drawn again live
	await env.tamed.api('PATCH', '/tickets/' + id, { tags: ['vip'] });
	await page.waitForSelector('.tags-edit .tag:has-text("vip")');
	assert.equal(await page.inputValue('#tag-input'), 'billing');
	await page.keyboard.press('Enter');
	await waitFor(async () => (await env.tamed.api('GET', '/tickets/' +
		id)).ticket.tags.includes('billing'), { what: 'both tags' });
	assert.deepEqual((await env.tamed.api('GET', '/tickets/' + id)).ticket
		.tags.sort(), ['billing', 'vip']);
	assertClean(seen);
	await context.close();
});

test('s in the list solves, and the toast takes it back', async () => {
	const id = await env.tamed.deliver({ subject: 'Undo the solve',
		text: 'Oops.' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/inbox/all?q=' +
		encodeURIComponent('Undo the solve'));
	await page.waitForSelector('#row-' + id + '.selected');
	await page.focus('.rows');
	await page.keyboard.press('s');
	await page.click('.toast:has-text("#' + id + ' solved") button:text("Undo")');
	await page.waitForSelector('.toast:has-text("as it was")');
	assert.equal((await env.tamed.api('GET', '/tickets/' + id)).ticket
		.status, 'new');
	assertClean(seen);
	await context.close();
});

test('hostile HTML mail is shown harmless', async () => {
	const ids = [];
	for (const m of XSS_MAILS)
		ids.push([await env.tamed.deliver(m), m]);
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	for (const [id, m] of ids) {
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.msg.in');
		await sleep(150);
		const frames = await page.$$('.msg iframe');
		for (const f of frames) {
			await (await f.contentFrame()).waitForLoadState();
			const sandbox = await f.getAttribute('sandbox');
			assert.ok(!/allow-scripts/.test(sandbox), 'frame may run script');
		}
		if (m.expect) {
			const text = frames.length ?
				await (await frames[0].contentFrame()).textContent('body') :
				await page.textContent('.msg.in .body');
			assert.match(text, m.expect, m.subject + ': content missing');
		}
		// click every link in the mail: none may run anything
		for (const f of frames) {
			const fr = await f.contentFrame();
			for (const a of await fr.$$('a'))
				await a.click({ timeout: 1000 }).catch(() => {});
		}
		await sleep(100);
		assert.equal(await page.evaluate(() => window.__pwned), undefined,
			m.subject);
		assert.equal(await page.evaluate(() =>
			document.querySelectorAll('script').length), 1, m.subject);
	}
	// a link the sanitiser emptied is no link: no tab was opened
	assert.deepEqual(context.pages().map((p) => p.url()).slice(1), [],
		'a mail link opened a tab');
	// the app itself stays clean; what the mails try is refused
	assertClean(seen, { csp: false });
	await context.close();
});

test('saved filters follow the agent; one kept by an older Tame in ' +
	'this browser is uploaded once', async () => {
	const grace = (await env.tamed.api('GET', '/agents')).agents.find(
		(a) => a.email === AGENT.email);
	const id = await env.tamed.deliver({ subject: 'Legacy filter match',
		text: 'Tagged for the old filter.' });
	await env.tamed.api('PATCH', '/tickets/' + id, { tags: ['legacy'] });
	const a = await watchedPage(env.browser, env.tamed);
	await signIn(a.page, env.tamed, AGENT);
	// what an older Tame left in localStorage, and a link to it
	await a.page.evaluate((gid) => localStorage.setItem('tame.filters.' +
		gid, JSON.stringify([{ id: 'fold1', name: 'Old local',
		status: ['new', 'open'], assignee: '', tag: 'legacy',
		priority: [], q: '' }])), grace.id);
	await a.page.goto(env.tamed.url + '/#/filter/fold1');
	await a.page.reload();
	await a.page.waitForFunction(() => /^#\/filter\/\d+$/.test(
		location.hash), null, { timeout: 10000 });
	await a.page.waitForSelector('h1:has-text("Old local")');
	await a.page.waitForSelector('#row-' + id);
	assert.equal(await a.page.evaluate((gid) => localStorage.getItem(
		'tame.filters.' + gid), grace.id), null);
	// another browser: the filter is there, once
	const b = await watchedPage(env.browser, env.tamed);
	await signIn(b.page, env.tamed, AGENT);
	const link = b.page.locator('.views a:has-text("Old local")');
	await link.waitFor();
	assert.equal(await link.count(), 1);
	await link.click();
	await b.page.waitForSelector('#row-' + id);
	// deleted in one browser, gone from the other after a reload
	await b.page.click('button:text("Edit filter")');
	await b.page.click('dialog.modal button:text("Delete")');
	await b.page.waitForSelector('.views a:has-text("Old local")',
		{ state: 'detached' });
	await a.page.reload();
	await a.page.waitForSelector(APP_ROWS);
	await a.page.waitForFunction(() => !Array.from(document
		.querySelectorAll('.views a')).some((x) =>
		x.textContent.startsWith('Old local')), null, { timeout: 10000 });
	assertClean(a.seen);
	assertClean(b.seen);
	await a.context.close();
	await b.context.close();
});

// Opens the event stream; until(pred) reads until pred(all text so
// far) holds (or fails after timeout ms), close() ends it.
async function openEvents(tamed, headers = {}) {
	const ctl = new AbortController();
	const r = await fetch(tamed.url + '/api/v1/events', {
		headers: { Authorization: 'Bearer ' + tamed.token, ...headers },
		signal: ctl.signal });
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^text\/event-stream/);
	const reader = r.body.getReader();
	const dec = new TextDecoder();
	let text = '';
	return {
		async until(pred, timeout = 10000) {
			const timer = setTimeout(() => ctl.abort(), timeout);
			try {
				while (!pred(text)) {
					const { value, done } = await reader.read();
					if (done)
						break;
					text += dec.decode(value);
				}
			} finally {
				clearTimeout(timer);
			}
			return text;
		},
		close: () => ctl.abort(),
	};
}

test('event stream: new tickets, Last-Event-ID resume, reset', async () => {
	const denied = await fetch(env.tamed.url + '/api/v1/events');
	assert.equal(denied.status, 401);
	const live = await openEvents(env.tamed);
	assert.match(await live.until((t) => t.includes('retry:')),
		/^retry: \d+\n\n/);
	const id = await env.tamed.deliver({ subject: 'Stream me', text: 'hello' });
	const created = new RegExp('id: (\\d+)\\nevent: ticket\\.created\\n' +
		'data: \\{"ticket_id":' + id + '\\}\\n\\n');
	const seq = Number((await live.until((t) => created.test(t)))
		.match(created)[1]);
	live.close();
	// resuming just before it gets it again
	const again = await openEvents(env.tamed,
		{ 'Last-Event-ID': String(seq - 1) });
	await again.until((t) => t.includes('id: ' + seq + '\n'));
	again.close();
	// an id the server never gave (or gave before a restart): reload
	const reset = await openEvents(env.tamed, { 'Last-Event-ID': '12' });
	assert.match(await reset.until((t) => t.includes('event: reset')),
		/event: reset\ndata: \{\}/);
	reset.close();
});

test('API: sort=oldest and sort=priority page with their own cursor',
	async () => {
		const ids = [];
		for (const s of ['Sort A', 'Sort B', 'Sort C'])
			ids.push(await env.tamed.deliver({ subject: s, text: s }));
		await env.tamed.api('PATCH', '/tickets/' + ids[2],
			{ priority: 'high' });
		const walk = async (sort) => {
			const seen = [];
			let cursor = null;
			do {
				const page = await env.tamed.api('GET', '/tickets?q=Sort&sort=' +
					sort + '&limit=1' + (cursor ? '&cursor=' +
					encodeURIComponent(cursor) : ''));
				seen.push(...page.tickets.map((x) => x.id));
				cursor = page.next_cursor;
			} while (cursor);
			return seen;
		};
		assert.deepEqual(await walk('oldest'), ids);
		assert.deepEqual(await walk('priority'), [ids[2], ids[0], ids[1]]);
		assert.deepEqual(await walk('newest'), ids.slice().reverse());
		const t = (await env.tamed.api('GET', '/tickets?q=Sort&limit=1'))
			.tickets[0];
		assert.match(t.last_customer_at, /^\d{4}-\d\d-\d\dT/);
		const bad = await fetch(env.tamed.url + '/api/v1/tickets?sort=random',
			{ headers: { Authorization: 'Bearer ' + env.tamed.token } });
		assert.equal(bad.status, 400);
		assert.equal((await bad.json()).error.code, 'invalid_parameter');
	});

test('quoted history and signatures fold, the message stays', () => {
	const f = (s) => foldPoint(s.split('\n'));
	assert.equal(f('Thanks!\n\nOn Mon, 2 Mar 2026, Ann wrote:\n> old'), 2);
	assert.equal(f('Thanks!\nOn Mon, 2 Mar 2026 at 10:00, Ann\n' +
		'<ann@example.org> wrote:\n> old'), 1);
	assert.equal(f('See below.\n-----Original Message-----\nFrom: x'), 1);
	assert.equal(f('Hi\n--\nAnn\nACME'), 1);
	assert.equal(f('Hi\n-- \nAnn'), 1);
	assert.equal(f('Yes.\n\n> did it work?\n> really?\n'), 2);
	// inline answers between quotes stay visible
	assert.equal(f('> question one\nanswer one\n> question two\nanswer two'),
		-1);
	// answers between the quotes of an attribution, or below them,
	// stay visible; a signature after them still folds
	assert.equal(f('See inline.\n\nOn Fri, Support wrote:\n> 1. Version?\n' +
		'2.3\n> 2. Which OS?\nDebian'), -1);
	assert.equal(f('On Fri, Support wrote:\n> Version?\n\n2.3\n-- \nJo'),
		4);
	// a forwarded message is content, not history
	assert.equal(f('FYI, see below.\n\n---------- Forwarded message ' +
		'---------\nFrom: Ann <ann@x.org>\nDate: Mon\n\nIt broke.'), -1);
	assert.equal(f('FYI\n\nBegin forwarded message:\n\nFrom: Ann\n' +
		'Date: Mon\n> It broke.'), -1);
	assert.equal(f('FYI\n-- \nJo\n\n---------- Forwarded message ' +
		'---------\nFrom: Ann\n\nIt broke.'), -1);
	// attributions and Outlook blocks in other languages fold too;
	// a customer's own "wrote:" line does not
	assert.equal(f('Danke\nAm 03.03.2026 um 10:02 schrieb Ann <a@b.de>:' +
		'\n> alt'), 1);
	assert.equal(f('Merci\nLe lun. 2 mars 2026 \u00e0 10:00, Ann ' +
		'<a@b.fr> a \u00e9crit :\n> vieux'), 1);
	assert.equal(f('Gracias\nEl lun, 2 mar 2026, Ann\n(<a@b.es>) ' +
		'escribi\u00f3:\n> viejo'), 1);
	assert.equal(f('Geht nicht.\n\nVon: Shop <a@b.c>\nGesendet: Montag\n' +
		'An: mich'), 2);
	assert.equal(f('Merci\nDe : Shop\nEnvoy\u00e9 : lundi\nObjet : x'), 1);
	assert.equal(f('Here is what my colleague wrote:\nIt broke on ' +
		'Monday.'), -1);
	// Outlook's forward ("FW:") has only a header block: what it
	// forwards stays, where a reply's history with it folds
	const outlookFw = 'Please handle.\n\n________________________________\n' +
		'From: Ann <ann@x.org>\nSent: Monday\nTo: us\n\nIt broke.';
	assert.equal(foldPoint(outlookFw.split('\n'), true), -1);
	assert.equal(foldPoint(outlookFw.split('\n'), false), 3);
	assert.equal(foldPoint(('FYI\n-----Original Message-----\nFrom: x')
		.split('\n'), true), -1);
	// a mail that is only a quote is shown whole
	assert.equal(f('> all of it\n> quoted'), -1);
	assert.equal(f('Nothing to fold here.\nReally.'), -1);
});

