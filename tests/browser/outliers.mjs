// outliers.mjs - tickets no one writes on purpose: taller than the
// screen, a message of megabytes, a subject of a thousand characters,
// letters buried under combining marks, names that pass for another
// address or hide behind invisible characters. The agent still sees
// the ticket's heading, can read and answer it, and is not fooled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMail, waitFor } from './lib.mjs';
import { env, assertClean, openPage, openTicket } from './fixture.mjs';

// A mail body of n numbered lines.
const lines = (n, what = 'line') => Array.from({ length: n }, (_, i) =>
	what + ' ' + (i + 1) + ' of the log the customer pasted').join('\n');

// Sends text, which may be one line of megabytes, base64-encoded as a
// mail program would; returns the ticket's id.
async function deliverBase64(from, subject, text) {
	const m = makeMail({ from, subject, text: '' });
	m.raw = m.raw.replace('Content-Transfer-Encoding: 8bit',
		'Content-Transfer-Encoding: base64').replace(/\r\n$/,
		Buffer.from(text).toString('base64').replace(/.{76}/g, '$&\r\n') +
		'\r\n');
	const top = async () => ((await env.tamed.api('GET',
		'/tickets?status=any&limit=1')).tickets[0] || {}).id;
	const before = await top();
	await env.tamed.send(m);
	return waitFor(async () => {
		const id = await top();
		return id !== before && id;
	}, { timeout: 60000, what: 'the ticket of ' + subject });
}

test('a ticket taller than the screen opens at its heading, the ' +
	'conversation focused', async () => {
	const id = await env.tamed.deliver({ from: 'Tom Tall <tom@example.org>',
		subject: 'Tall ticket heading', text: lines(300) });
	const { page, seen, context } = await openTicket(id);
	await page.waitForSelector('.conversation:focus');
	const at = await page.evaluate(() => ({
		scrolled: document.getElementById('main').scrollTop,
		head: document.querySelector('.ticket-head').getBoundingClientRect()
			.top,
		assign: document.getElementById('assign-me').getBoundingClientRect()
			.top,
		tall: document.querySelector('.conversation').scrollHeight,
	}));
	assert.ok(at.tall > 2000, 'the ticket is not tall: ' + at.tall);
	assert.equal(at.scrolled, 0, 'the ticket opened scrolled down');
	assert.ok(at.head >= 0 && at.assign >= 0, 'the heading is off screen: ' +
		JSON.stringify(at));
	assertClean(seen);
	await context.close();
});

test('a message of megabytes shows its first part, and all of it, wrapped, ' +
	'on request; the reply is one click from the top', async () => {
	const words = ['refund', 'never', 'again', 'terrible', 'order',
		'waiting', 'weeks', 'the', 'and', 'furious'];
	const parts = ['Here is the whole log, all of it in one paragraph:'];
	for (let n = 0, i = 0; n < 5 * 1024 * 1024; i++) {
		parts.push(words[i * 7 % words.length]);
		n += parts[parts.length - 1].length + 1;
	}
	parts.push('LASTWORD');
	const text = parts.join(' ');
	const id = await deliverBase64('Paula Paste <paula@example.org>',
		'One paragraph of five megabytes', text);
	const { page, seen, context } = await openTicket(id);
	const conv = () => page.evaluate(() => {
		const c = document.querySelector('.conversation');
		const m = document.getElementById('main');
		return { tall: c.scrollHeight, chars: c.textContent.length,
			wide: m.scrollWidth - m.clientWidth,
			end: /LASTWORD$/.test(c.querySelector('.msg.in .text')
				.textContent) };
	});
	const folded = await conv();
	assert.ok(folded.tall < 20000 && folded.chars < 100000,
		'the message is shown whole: ' + JSON.stringify(folded));
	assert.equal(folded.end, false);
	// the reply, from the top of the ticket
	await page.locator('.ticket-head').getByRole('button', { name: 'Reply' })
		.click();
	await page.waitForSelector('#composer-text:focus');
	assert.ok(await page.$eval('#composer-text', (el) => {
		const r = el.getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight;
	}), 'the composer is off screen');
	// all of it: every word there, and no line wider than the pane
	await page.locator('.msg.in').getByRole('button',
		{ name: /^Show all 5\.\d MB$/ }).click();
	await page.waitForFunction(() => document.querySelector('.msg.in .text')
		.textContent.endsWith('LASTWORD'), null, { timeout: 30000 });
	const all = await conv();
	assert.equal(all.chars > text.length, true, 'not all the text is shown');
	assert.equal(all.wide, 0, 'a line runs off the pane sideways');
	assert.equal(await page.locator('.msg.in button.more-text').count(), 0);
	assertClean(seen);
	await context.close();
});

test('a subject of a thousand characters takes three lines of the ' +
	'heading, on a desk and on a phone; all of it on hover or a click',
	async () => {
		const subject = ('URGENT refund request for order 4711 ').repeat(30)
			.slice(0, 1000).trim();
		const id = await env.tamed.deliver({ subject, text: 'See above.' });
		// as kept: a subject is cut at 998 characters (RFC 5322)
		const kept = (await env.tamed.api('GET', '/tickets/' + id)).ticket
			.subject;
		assert.ok(kept.length > 990);
		const { page, seen, context } = await openTicket(id);
		for (const width of [1280, 390]) {
			await page.setViewportSize({ width, height: 800 });
			const h1 = await page.$eval('.ticket-head h1', (el) => {
				const line = parseFloat(getComputedStyle(el).lineHeight) ||
					el.querySelector('.id').getBoundingClientRect().height;
				const r = el.getBoundingClientRect();
				const id = el.querySelector('.id').getBoundingClientRect();
				return { lines: r.height / line, id: id.right <= r.right &&
					id.height > 0, title: el.firstChild.title };
			});
			assert.ok(h1.lines <= 3.5, width + ' px: the subject takes ' +
				h1.lines.toFixed(1) + ' lines');
			assert.ok(h1.id, 'the ticket number is not shown');
			assert.equal(h1.title, kept);
		}
		const tall = () => page.$eval('.ticket-head h1', (el) =>
			el.getBoundingClientRect().height);
		const cut = await tall();
		await page.click('.ticket-head h1 > span:first-child');
		assert.ok(await tall() > cut * 2, 'a click shows no more of it');
		assertClean(seen);
		await context.close();
	});

// s with n combining marks (U+0300-036F) on each letter: "zalgo".
const zalgo = (s, n) => [...s].map((c, i) => c + Array.from({ length: n },
	(_, j) => String.fromCharCode(0x300 + (i * 31 + j * 7) % 0x70))
	.join('')).join('');

// Whether the element sel draws anything outside its own box (more
// than 3 px off it): the strips around it, shot with the element shown
// and hidden, differ.
async function inkOutside(page, sel) {
	const el = page.locator(sel).first();
	await el.scrollIntoViewIfNeeded();
	const b = await el.boundingBox();
	const strips = [
		{ x: b.x, y: b.y - 27, width: b.width, height: 24 },
		{ x: b.x, y: b.y + b.height + 3, width: b.width, height: 24 },
		{ x: b.x - 27, y: b.y, width: 24, height: b.height },
		{ x: b.x + b.width + 3, y: b.y, width: 24, height: b.height },
	].filter((c) => c.x >= 0 && c.y >= 0);
	const shots = async () => Promise.all(strips.map((clip) =>
		page.screenshot({ clip })));
	const shown = await shots();
	await el.evaluate((e) => { e.style.visibility = 'hidden'; });
	const hidden = await shots();
	await el.evaluate((e) => { e.style.visibility = ''; });
	return shown.some((s, i) => !s.equals(hidden[i]));
}

test('letters under stacked combining marks stay in their box: the name ' +
	'in the message and beside it, the text', async () => {
	const id = await env.tamed.deliver({
		from: '"' + zalgo('Zed Zalgo', 60) + '" <zed@example.org>',
		subject: 'Zalgo in the name', text: 'Hello ' + zalgo('PLEASE', 60) +
			' answer.\n\nThanks' });
	const { page, seen, context } = await openTicket(id);
	await page.waitForSelector('.customer h2');
	for (const sel of ['.msg.in .from', '.customer h2', '.msg.in .text'])
		assert.equal(await inkOutside(page, sel), false, sel +
			' draws outside its box');
	assertClean(seen);
	await context.close();
});

test('an avatar\'s initials are letters: not an invisible character, ' +
	'nor half an emoji', async () => {
	for (const [name, want] of [['\u200b\u2060Zoe \u200dAdams', 'ZA'],
		['\ud83d\udc69\u200d\ud83d\udcbb Dev Team', 'DT'],
		['\u202eAlice Smith', 'AS']]) {
		const id = await env.tamed.deliver({ from: '"' + name + '" <i' +
			want + '@example.org>', subject: 'Initials ' + want,
		text: 'Hello.' });
		const { page, seen, context } = await openTicket(id);
		await page.waitForSelector('.customer .avatar');
		assert.equal(await page.textContent('.customer .avatar'), want);
		assertClean(seen);
		await context.close();
	}
});

test('a quote of ten thousands of lines, or a line made to make a pattern ' +
	'backtrack, opens at once', async () => {
	const mails = [
		['Sixty thousand quote marks', '>\n'.repeat(60000) + 'x\n'],
		['Thirty thousand schrieb', 'On ' + ' schrieb :x'.repeat(30000)],
		['A line of dashes', '-'.repeat(120000)],
	];
	for (const [subject, text] of mails) {
		const id = await deliverBase64('Hal Hang <hal@example.org>', subject,
			text);
		const { page, seen, context } = await openPage();
		const t0 = Date.now();
		await page.goto(env.tamed.url + '/#/t/' + id);
		// a page that hangs shows nothing for half a minute: no
		// need to wait for all of it
		await page.waitForSelector('.msg.in', { timeout: 15000 })
			.catch(() => {});
		const ms = Date.now() - t0;
		// (a hang is half a minute; a slow machine, a few seconds)
		assert.ok(ms < 15000, subject + ': shown after ' + ms + ' ms');
		assertClean(seen);
		await context.close();
	}
});

test('a name that holds another address does not pass for it: the real ' +
	'address shows in the list and the ticket', async () => {
	const fakes = [['"ceo@example.com" <attacker@evil.example>',
		'attacker@evil.example', 'Please change my bank details'],
	['"support@example.com via Bank <billing@bank.example>" ' +
		'<x@evil.example>', 'x@evil.example', 'Invoice overdue now'],
	// an at sign that only looks like one: fullwidth, small
	['"ceo\uff20example.com" <wide@evil.example>', 'wide@evil.example',
		'Wide at sign in the name'],
	['"billing\ufe6bbank.example" <small@evil.example>',
		'small@evil.example', 'Small at sign in the name'],
	// the name holds their own address: it stays
	['"Pat (pat@example.org)" <pat@example.org>', 'Pat (pat@example.org)',
		'Name with the own address']];
	for (const [from, shown, subject] of fakes) {
		const id = await env.tamed.deliver({ from, subject,
			text: 'This is the CEO. Change the payout account.' });
		// the API keeps the name as it came
		const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
		assert.equal(t.customer.name, from.match(/^"(.*)" </)[1]);
		const { page, seen, context } = await openTicket(id);
		assert.equal(await page.textContent('.msg.in .from'), shown);
		assert.equal(await page.locator('.msg.in header').getByText(
			'@example.com').count(), 0, 'the fake address is shown');
		await page.waitForSelector('.customer h2');
		assert.equal(await page.textContent('.customer h2'), shown);
		await page.goto(env.tamed.url + '/#/inbox/all?q=' +
			encodeURIComponent(subject));
		await page.waitForSelector('#row-' + id);
		assert.equal(await page.textContent('#row-' + id + ' .who'), shown);
		assertClean(seen);
		await context.close();
	}
});
