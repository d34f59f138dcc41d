// trends.mjs - what an agent sees of trends and does to them in the web
// app: the strip puts a problem that starts to come in before larger
// trends that no longer grow, and links to every trend (#/trends); how
// many of a trend's tickets are still to answer once most were
// answered; renaming a trend, merging another into it and moving
// tickets out of it, from a trend's view and from a ticket's chip.
//
// These tests run on a tamed of their own: its trends must have a past
// (mail imported with the dates of ten days ago, read before any of
// today's), which the shared one, with the other files' mail of today
// in it, cannot give.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tamed, watchedPage, signIn, waitFor, sleep } from './lib.mjs';
import { env, assertClean } from './fixture.mjs';

let tamed = null;
const trend = {};       // topic -> trend id
const tickets = {};     // topic -> ticket ids

// Six problems of ten days ago that no longer grow, one of them large.
const OLD = [
	['invoice', 8, 'The invoice download fails', 'I cannot download the ' +
		'invoice PDF, the invoice download button fails.'],
	['calendar', 4, 'Calendar sync broken', 'The calendar sync stopped: ' +
		'my calendar events no longer sync with the phone.'],
	['export', 5, 'Spreadsheet export empty', 'The spreadsheet export ' +
		'gives an empty spreadsheet file, the export has no rows.'],
	['printer', 6, 'Printer driver crash', 'The printer driver crashes ' +
		'whenever I print, the printer driver must be reinstalled.'],
	['avatar', 7, 'Avatar upload rejected', 'My avatar upload is ' +
		'rejected, the avatar picture upload says wrong format.'],
	['big', 55, 'Dark theme contrast', 'The dark theme has too little ' +
		'contrast, grey text on the dark theme is unreadable.'],
];
// A problem of this morning: three customers within the hour.
const NEW = ['login', 'Logged out after the update', 'After the app ' +
	'update this morning my session expires at once and the login ' +
	'screen comes back every time.'];

function mbox() {
	const when = new Date(Date.now() - 10 * 24 * 3600 * 1000);
	let out = '';
	let n = 0;
	for (const [topic, count, subject, text] of OLD)
		for (let i = 0; i < count; i++) {
			const d = new Date(when.getTime() + (n++) * 60000);
			out += 'From c' + n + '@example.org Mon Nov 23 10:00:00 2026\n' +
				'From: Customer ' + n + ' <c' + n + '@example.org>\n' +
				'To: support@example.com\nSubject: ' + subject + '\n' +
				'Message-ID: <old-' + topic + '-' + i + '@example.org>\n' +
				'Date: ' + d.toUTCString() + '\n\n' + text + '\n\n';
		}
	return out;
}

// The trend holding every ticket of ids, once tamed has grouped them.
function trendOf(ids) {
	return waitFor(async () => {
		const t = await Promise.all(ids.map((id) => tamed.api('GET',
			'/tickets/' + id).then((r) => r.ticket.trend)));
		return t.every((x) => x && x.id === t[0].id) && t[0].id;
	}, { timeout: 20000, what: 'one trend of ' + ids.join(', ') });
}

async function open(path) {
	const w = await watchedPage(env.browser, tamed);
	await signIn(w.page, tamed);
	if (path)
		await w.page.goto(tamed.url + path);
	return w;
}

describe('trends, from the web app', () => {
	before(async () => {
		tamed = await new Tamed().start({ relayPort: env.sink.port });
		tamed.importMbox(mbox());
		const all = (await tamed.api('GET', '/tickets?status=any&' +
			'limit=500')).tickets;
		for (const [topic, , subject] of OLD) {
			tickets[topic] = all.filter((t) => t.subject === subject)
				.map((t) => t.id);
			trend[topic] = await trendOf(tickets[topic]);
		}
		tickets.login = [];
		for (const who of ['Ann', 'Bob', 'Cleo'])
			tickets.login.push(await tamed.deliver({ from: who +
				' <' + who.toLowerCase() + '@example.org>', subject: NEW[1],
				text: NEW[2] }));
		trend.login = await trendOf(tickets.login);
	});

	after(async () => {
		if (tamed)
			await tamed.stop();
	});

	test('the strip shows the new problem first, not only the six ' +
		'largest; "All 7 trends" lists every one', async () => {
		const { page, seen, context } = await open();
		const chips = page.locator('.trends a.trend');
		await chips.first().waitFor();
		assert.equal(await chips.count(), 6);
		// 3 tickets of this morning before the flat ones of 4 to 55
		assert.equal(await chips.first().getAttribute('href'),
			'#/trend/' + trend.login);
		assert.match(await chips.first().textContent(), /3 to answer/);
		assert.match(await chips.first().getAttribute('aria-label'),
			/3 of 3 open tickets to answer, rising/);
		const up = chips.first().locator('.growth.up');
		assert.match(await up.textContent(), /↑ 3 today/);
		// a trend of an hour has no "usual" rate yet; an old one has
		assert.match(await up.getAttribute('title'), /new: first seen/);
		assert.doesNotMatch(await up.getAttribute('title'), /usually/);
		const big = page.locator('.trends a[href="#/trend/' + trend.big +
			'"] .growth');
		assert.match(await big.getAttribute('title'),
			/usually (about \d+ a day|less than one a day)/);
		// a trend without a first_seen says nothing of it (not "first
		// seen NaN ago")
		assert.equal(await page.evaluate(async () => (await import(
			'/trends.js')).growth({ growth: { last_hour: 1, last_day: 2 },
			first_seen: null }).title),
			'1 in the last hour, 2 in the last day');
		// the seventh is a click away, with the keyboard too
		const all = page.locator('.trends a.all-trends');
		assert.equal(await all.textContent(), 'All 7 trends');
		await all.focus();
		await page.keyboard.press('Enter');
		await page.waitForSelector('h1:text("Trends")');
		// (the heading comes at once, the list and its count after)
		await page.waitForFunction(() =>
			/^Trends \(\d+\)/.test(document.title));
		assert.equal(await page.title(), 'Trends (7) · Tame');
		const rows = page.locator('.trends-table tbody tr');
		assert.equal(await rows.count(), 7);
		assert.match(await rows.first().textContent(), /↑ 3 today/);
		assert.equal(await rows.first().locator('a').getAttribute('href'),
			'#/trend/' + trend.login);
		// the largest flat ones after it, each with its counts
		assert.match(await rows.nth(1).textContent(), /55.*55/);
		await page.fill('#trends-find', 'printer');
		await page.waitForFunction(() => document.querySelectorAll(
			'.trends-table tbody tr:not([hidden])').length === 1);
		await page.click('.trends-table tbody tr:not([hidden]) a');
		await page.waitForSelector('h1:has-text("Trend: "):has-text("printer")');
		assertClean(seen);
		await context.close();
	});

	test('a trend answered but for one says "1 to answer"; a long one ' +
		'says how many of its tickets are shown', async () => {
		for (const id of tickets.login.slice(1))
			await tamed.api('PATCH', '/tickets/' + id, { status: 'pending' });
		await waitFor(async () => (await tamed.api('GET', '/trends/' +
			trend.login)).trend.to_answer === 1, { what: '1 to answer' });
		const { page, seen, context } = await open();
		const chip = page.locator('.trends a[href="#/trend/' +
			trend.login + '"]');
		await chip.waitFor();
		assert.match(await chip.locator('.n').textContent(),
			/^1 to answer · 3$/);
		await chip.click();
		await page.waitForSelector('.trend-head .answer');
		assert.equal(await page.textContent('.trend-head .answer'),
			'1 to answer · 3 open');
		// 55 open: the first 50 rows, and the count says so
		await page.goto(tamed.url + '/#/trend/' + trend.big);
		await page.waitForSelector('.trend-head .answer');
		await page.waitForFunction(() => /^50 of 55 shown$/.test(
			document.querySelector('.count-total').textContent));
		assert.equal(await page.textContent('.trend-head .answer'),
			'55 to answer');
		assertClean(seen);
		await context.close();
	});

	test('rename a trend and merge another into it from its view',
		async () => {
			const { page, seen, context } = await open('/#/trend/' +
				trend.login);
			await page.waitForSelector('h1:has-text("Trend: ")');
			await page.click('#trend-rename');
			await page.waitForSelector('dialog.modal #trend-name');
			await page.fill('#trend-name', 'Logged out after the update');
			await page.keyboard.press('Enter');
			await page.waitForSelector('h1:text("Trend: Logged out after ' +
				'the update")');
			assert.equal((await tamed.api('GET', '/trends/' + trend.login))
				.trend.label.text, 'Logged out after the update');
			// the calendar trend is the same problem (say): merged in,
			// picked by a few letters of its label
			await page.click('#trend-merge');
			await page.waitForSelector('#merge-trend-list li');
			assert.ok(await page.isVisible('dialog.modal p:has-text(' +
				'"never undoes a merge")'));
			await page.fill('#merge-trend-q', 'calend');
			await page.waitForFunction(() => document.querySelectorAll(
				'#merge-trend-list li[role="option"]').length === 1);
			assert.match(await page.textContent('#merge-trend-list li.on'),
				/calendar.*4 to answer/);
			await page.keyboard.press('Enter');
			await page.waitForSelector('.toast:has-text("is now part of ' +
				'“Logged out after the update”")');
			for (const id of tickets.calendar)
				await page.waitForSelector('#row-' + id);
			await page.waitForFunction(() => document.querySelector(
				'.trend-head .answer').textContent === '5 to answer · 7 open');
			// the focus stays where it was
			assert.equal(await page.evaluate(() =>
				document.activeElement.id), 'trend-merge');
			// the calendar trend's address leads to the trend it went into
			await page.goto(tamed.url + '/#/trend/' + trend.calendar);
			await page.waitForSelector('h1:text("Trend: Logged out after ' +
				'the update")');
			for (const id of tickets.calendar.concat(tickets.login))
				await page.waitForSelector('#row-' + id);
			assertClean(seen);
			await context.close();
		});

	test('move tickets out of a trend: selected rows in its view, and ' +
		'from a ticket\'s trend chip; they never come back', async () => {
		const { page, seen, context } = await open('/#/trend/' +
			trend.printer);
		const [a, b, c] = tickets.printer;
		await page.waitForSelector('#row-' + a);
		await page.click('#row-' + a + ' .pick');
		await page.click('#row-' + b + ' .pick');
		await page.click('.bulkbar button:text("Move out of trend…")');
		await page.waitForSelector('dialog.modal p:has-text("never puts ' +
			'them back")');
		await page.click('dialog.modal button:text("Move out")');
		await page.waitForSelector('.toast:has-text("2 of 2 tickets moved ' +
			'out")');
		await page.waitForSelector('#row-' + a, { state: 'detached' });
		await page.waitForSelector('#row-' + b, { state: 'detached' });
		await page.waitForFunction(() => document.querySelector(
			'.trend-head .answer').textContent === '4 to answer');
		for (const id of [a, b])
			assert.notEqual((await tamed.api('GET', '/tickets/' + id))
				.ticket.trend.id, trend.printer);
		// from the ticket page, with the keyboard
		await page.goto(tamed.url + '/#/t/' + c);
		await page.waitForSelector('.msg.in');
		assert.equal(await page.getAttribute('.trend-chip', 'href'),
			'#/trend/' + trend.printer);
		await page.focus('#trend-menu');
		assert.equal(await page.getAttribute('#trend-menu', 'aria-label'),
			'Trend actions');
		await page.keyboard.press('Enter');
		await page.waitForSelector('.menu [role="menuitem"]:focus');
		await page.keyboard.press('End');
		assert.equal(await page.evaluate(() => document.activeElement
			.textContent), 'Move #' + c + ' out of the trend…');
		await page.keyboard.press('Enter');
		await page.waitForSelector('dialog.modal p:has-text("never puts ' +
			'it back")');
		await page.keyboard.press('Enter');
		await page.waitForSelector('.toast:has-text("#' + c + ' moved out ' +
			'of")');
		await page.waitForFunction((old) => {
			const el = document.querySelector('.trend-chip');
			return el && el.getAttribute('href') !== old;
		}, '#/trend/' + trend.printer);
		// the same complaint again joins the trend; the three stay out
		const more = await tamed.deliver({ from: 'Dan <dan@example.org>',
			subject: OLD[3][2], text: OLD[3][3] });
		assert.equal(await trendOf([more, tickets.printer[3]]),
			trend.printer);
		await sleep(500);
		for (const id of [a, b, c])
			assert.notEqual((await tamed.api('GET', '/tickets/' + id))
				.ticket.trend.id, trend.printer);
		assertClean(seen);
		await context.close();
	});
});
