// spoof.mjs - customer text that tries to pass for something else: a
// right-to-left override in a subject must not reverse what the app
// shows after it (the preview, a status chip), one in an attachment's
// name must not turn "invoice<RLO>fdp.exe" into "invoiceexe.pdf", one
// in an address must not make "moc.elpmaxe@oec" read ceo@example.com,
// an address with "?bcc=" in its local part must not add headers to
// the customer's mail link, and a link in a mail must not be looked up
// in DNS before a click (the lookup is a read receipt).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { watchedPage, signIn } from './lib.mjs';
import { env, assertClean, rowOf, openTicket } from './fixture.mjs';

const RLO = '\u202e';

// 1 when, in the first element matching sel inside root (a locator),
// the text a is drawn left of the text b: the order a reader sees.
async function drawnBefore(loc, a, b) {
	return loc.evaluate((el, [x, y]) => {
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		const left = (word) => {
			for (let n = walk.currentNode; n; n = walk.nextNode()) {
				const i = n.nodeType === 3 ? n.data.indexOf(word) : -1;
				if (i >= 0) {
					const r = document.createRange();
					r.setStart(n, i);
					r.setEnd(n, i + 1);
					return r.getBoundingClientRect().left;
				}
			}
			return NaN;
		};
		const lx = left(x);
		walk.currentNode = el;
		const ly = left(y);
		return lx < ly;
	}, [a, b]);
}

test('an override in customer text reverses nothing after it; a crafted ' +
	'address adds nothing to the mail link', async () => {
	const { page, seen } = await watchedPage(env.browser, env.tamed);
	const from = 'Rae <rae?bcc=evil%40evil.example&subject=hijack' +
		'@example.org>';
	await env.tamed.deliver({ from, subject: 'Spoof one ' + RLO + 'abc \u2066x',
		text: 'preview normal text here' });
	const second = await env.tamed.deliver({ from, subject: 'Spoof two',
		text: 'See attached.', attachments: [{ name: 'invoice' + RLO +
			'fdp.exe', type: 'application/octet-stream', data: 'MZ' }] });
	await signIn(page, env.tamed);
	// the inbox: the preview after the subject reads left to right
	await page.goto(env.tamed.url + '/#/inbox/open?q=Spoof');
	const row = rowOf(page, 'Spoof one');
	await row.waitFor();
	assert.ok(await drawnBefore(row.locator('.preview'), 'preview', 'here'),
		'the preview was drawn reversed');
	for (const c of ['Spoof', 'c', 'x'])
		assert.ok(await drawnBefore(row.locator('.what'), c, 'preview'),
			'the preview was drawn inside the subject, before ' + c);
	// the ticket's heading: its number stays after the subject, and
	// the tab's title holds no override
	await row.click();
	await page.waitForSelector('h1 .id');
	const h1 = page.locator('h1:has(.id)');
	for (const c of ['Spoof', 'c', 'x'])
		assert.ok(await drawnBefore(h1, c, '#'),
			'the number was drawn inside the subject, before ' + c);
	assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(await page.title()),
		'the title holds an override: ' + await page.title());

	await page.goto(env.tamed.url + '/#/t/' + second);
	const att = page.locator('.attachments a');
	await att.waitFor();
	assert.equal(await att.textContent(), 'invoice_fdp.exe');
	// the customer's link writes to the address alone
	const link = page.locator('.customer a[href^="mailto:"]');
	await link.waitFor();
	const u = new URL(await link.getAttribute('href'));
	assert.equal(u.search, '', 'the mail link has header fields');
	assert.equal(decodeURIComponent(u.pathname),
		'rae?bcc=evil%40evil.example&subject=hijack@example.org');
	// the other ticket in the side panel: its status chip still reads
	// "new", not "wen"
	const other = page.locator('.others li', { hasText: 'Spoof one' });
	await other.waitFor();
	assert.ok(await drawnBefore(other.locator('.pill'), 'n', 'w'),
		'the status after the subject was drawn reversed');
	assertClean(seen);
	await page.context().close();
});

// Runs sql on the shared tamed's store, beside it (WAL: tamed goes on).
function storeSql(sql) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000',
		path.join(env.tamed.data, 'tame.db'), sql], { encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
}

test('an address kept with an override in it (by an older Tame) reads ' +
	'as its characters run, not as ceo@example.com', async () => {
	const id = await env.tamed.deliver({ from: 'bidi-x@example.net',
		subject: 'Bidi in the address', text: 'Pay this invoice today.',
		headers: { Cc: 'bidi-cc@example.net' } });
	// what tamed stored of "From: <RLO>moc.elpmaxe@oec" before
	// addresses lost their bidi controls at ingest
	const rlo = "char(8238) || 'moc.elpmaxe@oec'";
	storeSql(`UPDATE customers SET email = ${rlo}
		WHERE email = 'bidi-x@example.net';
		UPDATE messages SET from_email = ${rlo},
		cc_json = '["' || ${rlo} || '"]'
		WHERE from_email = 'bidi-x@example.net';`);
	const bidi = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
	const { page, seen, context } = await openTicket(id);
	assert.equal(await page.textContent('.msg.in .from'),
		'\ufffdmoc.elpmaxe@oec');
	await page.waitForSelector('.customer a[href^="mailto:"]');
	for (const sel of ['.msg.in header', '.msg.in .meta', '.customer'])
		assert.ok(!bidi.test(await page.textContent(sel)),
			sel + ' shows a bidi control');
	assert.equal(await page.textContent('.customer a[href^="mailto:"]'),
		'\ufffdmoc.elpmaxe@oec');
	await page.goto(env.tamed.url + '/#/inbox/all?q=' +
		encodeURIComponent('Bidi in the address'));
	const row = rowOf(page, 'Bidi in the address');
	await row.waitFor();
	assert.equal(await row.locator('.who').textContent(),
		'\ufffdmoc.elpmaxe@oec');
	assert.ok(!bidi.test(await row.getAttribute('aria-label')));
	assertClean(seen);
	await context.close();
});

test('a link in an HTML mail is not looked up in DNS before a click: the ' +
	'frame says so', async () => {
	const id = await env.tamed.deliver({ subject: 'Prefetch in the frame',
		text: 'our offer', html: '<p><a href="https://receipt.example.net/' +
			'opened?id=7">our offer</a></p>' });
	const { page, seen, context } = await openTicket(id);
	const frame = page.frameLocator('.msg.in iframe.html');
	await frame.locator('a').waitFor();
	assert.equal(await frame.locator('meta[http-equiv="x-dns-prefetch-' +
		'control"][content="off"]').count(), 1);
	assertClean(seen);
	await context.close();
});
