// scale.mjs - a list of thousands in the web app: a live change keeps
// every row loaded and every tick, however far down; "Load more" adds
// rows below the ones there instead of drawing them all again; a bulk
// action on more than the 500 tickets one request takes goes in parts;
// a trend of more than the 2,000 open tickets one reply to all answers
// says how to answer it from the app.
//
// These tests run on a tamed of their own, with 2,010 tickets about
// one problem imported (in a quarter of a second): the shared one's
// lists must stay short for the other files.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tamed, watchedPage, signIn, waitFor } from './lib.mjs';
import { env, assertClean } from './fixture.mjs';

const MANY = 2010;
let tamed = null;
let trend = null;

function mbox() {
	const when = Date.now() - 3 * 24 * 3600 * 1000;
	let out = '';
	for (let i = 0; i < MANY; i++)
		out += 'From c' + i + '@example.org Mon Nov 23 10:00:00 2026\n' +
			'From: Customer ' + i + ' <c' + i + '@example.org>\n' +
			'To: support@example.com\nSubject: Dark theme contrast\n' +
			'Message-ID: <scale-' + i + '@example.org>\n' +
			'Date: ' + new Date(when + i * 60000).toUTCString() + '\n\n' +
			'The dark theme has too little contrast, grey text on the ' +
			'dark theme is unreadable.\n\n';
	return out;
}

async function open(path) {
	const w = await watchedPage(env.browser, tamed);
	await signIn(w.page, tamed);
	await w.page.goto(tamed.url + path);
	await w.page.waitForSelector('#main:not([data-first]) .rows .row');
	return w;
}

const rows = (page) => page.$$eval('.row', (r) => r.length);

// Clicks "Load more" until the list has at least n rows.
async function loadTo(page, n) {
	for (let have = await rows(page); have < n; have = await rows(page)) {
		await page.click('button.more');
		await page.waitForFunction((k) =>
			document.querySelectorAll('.row').length > k, have);
	}
}

describe('a list of thousands, in the web app', () => {
	before(async () => {
		tamed = await new Tamed().start({ relayPort: env.sink.port });
		tamed.importMbox(mbox());
		trend = await waitFor(async () => (await tamed.api('GET',
			'/trends?samples=0')).trends.find((t) => t.open_count === MANY),
		{ timeout: 30000, what: 'the trend of ' + MANY });
		await tamed.quiet();
	});

	after(async () => {
		if (tamed)
			await tamed.stop();
	});

	test('"Load more" adds the next rows below the ones there, which ' +
		'stay as they are', async () => {
		const { page, seen, context } = await open('/#/inbox/unassigned');
		await loadTo(page, 150);
		await page.evaluate(() => {
			window.kept = Array.from(document.querySelectorAll('.row'));
		});
		await page.click('button.more');
		await page.waitForFunction(() =>
			document.querySelectorAll('.row').length === 200);
		assert.ok(await page.evaluate(() => window.kept.every((r, i) =>
			r.isConnected && document.querySelectorAll('.row')[i] === r)),
		'the rows there were drawn again');
		assert.equal(await page.textContent('.count-total'), '200+ tickets');
		assertClean(seen);
		await context.close();
	});

	test('a live change keeps the 600 rows loaded and the ticks on rows ' +
		'560 and 600, the last', async () => {
		const { page, seen, context } = await open('/#/inbox/unassigned?' +
			'sort=newest');
		await loadTo(page, 600);
		const ids = await page.$$eval('.row', (r) => [r[559].dataset.id,
			r[599].dataset.id]);
		for (const id of ids)
			await page.click('#row-' + id + ' .pick');
		await page.waitForSelector('.bulkbar strong:text("2 selected")');
		const fresh = await tamed.deliver({ from: 'Nia <nia@example.org>',
			subject: 'Invoice address', text: 'Please change the address ' +
				'on my invoice.' });
		await page.waitForSelector('#row-' + fresh);
		assert.ok(await rows(page) >= 601, await rows(page) + ' rows');
		// (the new row came above them: the last is asked for again too)
		for (const id of ids)
			assert.ok(await page.isChecked('#row-' + id + ' .pick'), id);
		assert.equal(await page.textContent('.bulkbar strong'),
			'2 selected');
		assert.match(await page.title(), /^Unassigned \(60\d\+\)/);
		assertClean(seen);
		await context.close();
	});

	test('a bulk tag of 600 tickets goes as 500 and 100, each part with ' +
		'a key of its own, and the toast counts all 600', async () => {
		const { page, seen, context } = await open('/#/inbox/unassigned');
		await loadTo(page, 600);
		const sent = [];
		page.on('request', (r) => {
			if (r.method() === 'POST' && r.url().endsWith('/tickets/bulk'))
				sent.push({ key: r.headers()['idempotency-key'],
					n: r.postDataJSON().ticket_ids.length });
		});
		await page.click('#check-all');
		await page.waitForSelector('.bulkbar strong:text("600 selected")');
		await page.keyboard.press('t');
		await page.fill('#bulk-tag', 'contrast');
		await page.click('dialog.modal button:text("Add tag")');
		await page.waitForSelector('.toast:has-text("600 of 600 tickets ' +
			'tagged.")', { timeout: 20000 });
		assert.deepEqual(sent.map((x) => x.n), [500, 100]);
		assert.ok(sent[0].key && sent[1].key && sent[0].key !== sent[1].key);
		const ids = await page.$$eval('.row', (r) => [r[0].dataset.id,
			r[599].dataset.id]);
		for (const id of ids)
			assert.deepEqual((await tamed.api('GET', '/tickets/' + id))
				.ticket.tags, ['contrast']);
		assertClean(seen);
		await context.close();
	});

	test('a trend of 2,010, too large for one reply, is answered in ' +
		'parts: after asking, the 2,000 waiting longest are split off ' +
		'and their reply opens', async () => {
		const { page, seen, context } = await open('/#/trend/' + trend.id);
		await page.waitForSelector('.trend-head .answer');
		await page.click('#reply-all');
		await page.click('dialog.modal:has-text("Answer this trend in ' +
			'parts") button:text("Split off and answer")');
		await waitFor(async () => await page.textContent('#bulk-send')
			.catch(() => '') === 'Send to 2000 customers',
		{ timeout: 30000, what: 'the reply to the 2,000 split off' });
		await page.keyboard.press('Escape');
		const all = (await tamed.api('GET', '/trends?samples=0')).trends;
		const part = all.find((t) => t.id !== trend.id &&
			t.open_count === 2000);
		assert.ok(part, JSON.stringify(all.map((t) => [t.id,
			t.open_count])));
		const left = await tamed.api('GET', '/tickets?trend=' + trend.id +
			'&status=new,open,pending&limit=50');
		assert.equal(left.tickets.length, MANY - 2000);
		// the newest stayed, for the next reply
		for (const t of left.tickets)
			assert.ok(Number(t.customer.email.match(/^c(\d+)@/)[1]) >= 2000,
				t.customer.email);
		assertClean(seen);
		await context.close();
	});
});
