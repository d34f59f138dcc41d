// live.mjs - what an agent is doing stays put while colleagues and
// customers change things (the views reload on tamed's live events):
// the message being read, the line being typed, the row under the
// cursor and the control that has the keyboard focus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMail, waitFor } from './lib.mjs';
import { env, assertClean, openPage, openTicket } from './fixture.mjs';

// The top of element sel on the screen.
const topOf = (page, sel) => page.$eval(sel, (e) =>
	e.getBoundingClientRect().top);

// A colleague's note on ticket id, and the agent's page showing it.
async function noteBy(page, id, text) {
	await env.tamed.api('POST', '/tickets/' + id + '/notes', { text });
	await page.waitForSelector('.msg.note:has-text("' + text + '")');
}

test('a folded thread keeps the message being read, and where it was',
	async () => {
		const id = await env.tamed.deliver({ subject: 'Jams every morning',
			text: 'The printer jams.' });
		for (let i = 1; i <= 8; i++)
			await env.tamed.api('POST', '/tickets/' + id + '/notes',
				{ text: 'Step ' + i + '\n' + 'what we tried\n'.repeat(8) });
		await env.tamed.quiet();
		const { page, seen, context } = await openTicket(id);
		const kept = page.locator('.conversation > .msg').nth(1);
		const readId = await kept.getAttribute('id');
		assert.equal(await page.textContent('.conversation .earlier'),
			'4 earlier messages');
		// the agent reads the first of the last messages shown
		await page.evaluate((m) => {
			const el = document.getElementById(m);
			el.scrollIntoView({ block: 'start' });
			el.tabIndex = -1;
			el.focus({ preventScroll: true });
		}, readId);
		const y = await topOf(page, '#' + readId);
		await noteBy(page, id, 'Ordered a new drum');
		assert.equal(await page.textContent('.conversation .earlier'),
			'4 earlier messages');
		assert.equal(await page.evaluate(() => document.activeElement.id),
			readId);
		assert.equal(await topOf(page, '#' + readId), y);
		assertClean(seen);
		await context.close();
	});

test('the reply being typed stays on the screen when the customer writes ' +
	'again', async () => {
	const id = await env.tamed.deliver({ subject: 'Invoice amount wrong',
		text: 'My invoice shows the wrong amount.' });
	await env.tamed.quiet();
	const { page, seen, context } = await openTicket(id);
	await page.click('#composer-text');
	await page.keyboard.type('Dear Carol, I checked the invoice');
	await page.evaluate(() => document.getElementById('composer-text')
		.scrollIntoView({ block: 'end' }));
	const y = await topOf(page, '#composer-text');
	const first = (await env.tamed.api('GET', '/tickets/' + id)).ticket
		.messages[0];
	await env.tamed.send(makeMail({ subject: 'Re: Invoice amount wrong',
		text: 'Also:\n' + 'more detail here\n'.repeat(40),
		headers: { 'In-Reply-To': '<' + first.message_id + '>' } }));
	await page.waitForSelector('.msg.in:has-text("more detail here")');
	// (its tone, a moment later, changes nothing here)
	await env.tamed.quiet(1500);
	// where it was, or as near as the page can scroll
	const now = await page.$eval('#composer-text', (e) => {
		const r = e.getBoundingClientRect();
		return { top: r.top, bottom: r.bottom, height: innerHeight };
	});
	assert.ok(now.top >= 0 && now.bottom <= now.height, 'the composer ' +
		'moved from ' + y + ' px to ' + JSON.stringify(now));
	await page.keyboard.type(' and it is fixed.');
	assert.equal(await page.inputValue('#composer-text'),
		'Dear Carol, I checked the invoice and it is fixed.');
	assertClean(seen);
	await context.close();
});

test('the keyboard focus stays on its control when a colleague changes ' +
	'the ticket', async () => {
	const id = await env.tamed.deliver({ subject: 'Focus stays here',
		text: 'Hello?' });
	await env.tamed.quiet();
	const { page, seen, context } = await openTicket(id);
	const focused = () => page.evaluate(() => {
		const e = document.activeElement;
		return e.id || e.dataset.key || e.getAttribute('href') || e.tagName;
	});
	let n = 0;
	for (const [sel, want] of [['#reply-top', 'reply-top'],
		['.ticket-head a.back', '#/inbox/unassigned?select=' + id],
		['details.history summary', 'history'],
		['#views a[href="#/inbox/all"]', '#/inbox/all']]) {
		await page.focus(sel);
		await noteBy(page, id, 'Colleague note ' + ++n);
		assert.equal(await focused(), want, sel);
	}
	// the head stays as the agent left it: the subject shown whole
	await page.click('.ticket-head h1 span');
	await noteBy(page, id, 'Colleague note ' + ++n);
	assert.match(await page.getAttribute('.ticket-head h1 span', 'class'),
		/whole/);
	assertClean(seen);
	await context.close();
});

test('the cursor\'s row stays under the eyes and the mouse when rows above ' +
	'it leave', async () => {
	const ids = [];
	for (let i = 0; i < 36; i++)
		ids.push(await env.tamed.deliver({ subject: 'Rowsteady ' + i,
			text: 'Question ' + i }));
	await env.tamed.quiet();
	const { page, seen, context } = await openPage(
		'/#/inbox/unassigned?q=Rowsteady&sort=oldest', null,
		{ viewport: { width: 1280, height: 600 } });
	await page.waitForSelector('#row-' + ids[35]);
	// the cursor on the 15th row, scrolled into the middle
	await page.focus('.rows');
	for (let i = 0; i < 14; i++)
		await page.keyboard.press('j');
	const row = '#row-' + ids[14];
	await page.waitForSelector(row + '.selected');
	await page.evaluate((r) => document.querySelector(r)
		.scrollIntoView({ block: 'center' }), row);
	const y = await topOf(page, row);
	// a colleague solves four tickets above it
	await env.tamed.api('POST', '/tickets/bulk', { ticket_ids:
		ids.slice(2, 6), action: 'status', status: 'solved' });
	await waitFor(async () => (await page.$$('.rows .row')).length === 32,
		{ what: 'the solved rows gone' });
	assert.equal(await topOf(page, row), y);
	assert.ok(await page.$(row + '.selected'), 'the cursor moved');
	assertClean(seen);
	await context.close();
});

test('a ticket merged away while the agent writes says where its ' +
	'conversation went, and the draft goes along', async () => {
	const id = await env.tamed.deliver({ subject: 'Merged under me',
		text: 'First question.' });
	const into = await env.tamed.deliver({ subject: 'Kept one',
		text: 'The same question again.' });
	await env.tamed.quiet();
	const { page, seen, context } = await openTicket(id);
	await page.click('#composer-text');
	await page.keyboard.type('Dear Carol, here is the answer.');
	await env.tamed.api('POST', '/tickets/' + id + '/merge', { into });
	const note = page.locator('.conversation .merged-note');
	await note.waitFor();
	assert.match(await note.textContent(), new RegExp('goes on in #' +
		into + ', .*your draft goes with you'));
	await note.locator('a').click();
	await page.waitForSelector('.msg.in:has-text("The same question")');
	assert.equal(await page.inputValue('#composer-text'),
		'Dear Carol, here is the answer.');
	assertClean(seen);
	await context.close();
});

test('a ticket merged into an open, folded one hides nothing that was ' +
	'shown', async () => {
	const older = await env.tamed.deliver({ subject: 'Older one',
		text: 'Written first, merged in later.' });
	const id = await env.tamed.deliver({ subject: 'Long one',
		text: 'The opening question.' });
	for (let i = 1; i <= 8; i++)
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'Long note ' + i });
	await env.tamed.quiet();
	const { page, seen, context } = await openTicket(id);
	const opening = page.locator('.msg.in', { hasText: 'opening question' });
	assert.equal(await opening.isVisible(), true);
	await env.tamed.api('POST', '/tickets/' + older + '/merge', { into: id });
	await page.waitForSelector('.msg.in:has-text("merged in later")');
	assert.equal(await opening.isVisible(), true);
	assert.equal(await page.textContent('.conversation .earlier'),
		'4 earlier messages');
	assertClean(seen);
	await context.close();
});

test('rows under the mouse stay put when the cursor is out of sight',
	async () => {
		const ids = [];
		for (let i = 0; i < 40; i++)
			ids.push(await env.tamed.deliver({ subject: 'Mousesteady ' + i,
				text: 'Question ' + i }));
		await env.tamed.quiet();
		const { page, seen, context } = await openPage(
			'/#/inbox/unassigned?q=Mousesteady&sort=oldest', null,
			{ viewport: { width: 1280, height: 600 } });
		await page.waitForSelector('#row-' + ids[39]);
		// the cursor far down, the agent scrolled back to the top rows
		await page.focus('.rows');
		for (let i = 0; i < 36; i++)
			await page.keyboard.press('j');
		await page.waitForSelector('#row-' + ids[36] + '.selected');
		await page.evaluate(() => { document.getElementById('main')
			.scrollTop = 60; });
		const under = '#row-' + ids[8];
		const y = await topOf(page, under);
		// a colleague solves one ticket below the mouse, above the cursor
		await env.tamed.api('PATCH', '/tickets/' + ids[20],
			{ status: 'solved' });
		await page.waitForSelector('#row-' + ids[20], { state: 'detached' });
		assert.equal(await topOf(page, under), y);
		assertClean(seen);
		await context.close();
	});
