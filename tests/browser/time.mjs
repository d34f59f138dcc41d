// time.mjs - times in the web app as agents in several zones read them:
// every time names its zone and gives the UTC time in its tooltip, so a
// thread across the end of summer time reads in order; the inbox's
// waiting times move on by themselves; long ones read in months and
// years, in tamed's first rows (their tooltips in UTC) as in the app's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAILBOX, APP_ROWS, waitFor } from './lib.mjs';
import { env, assertClean, openPage, openTicket } from './fixture.mjs';

// An mbox of mails { from (an address), subject, at (ms), text, id,
// reply (the id answered), refs (the thread's ids, [reply] if not
// given) }, each dated at.
function mbox(mails) {
	return mails.map((m) => {
		const [w, d, mon, y, hms] = new Date(m.at).toUTCString()
			.replace(',', '').split(' ');
		return 'From ' + m.from + ' ' + [w, mon, d, hms, y].join(' ') +
			'\nFrom: ' + m.from + '\nTo: ' + (m.from === MAILBOX ?
			'dee@example.org' : MAILBOX) + '\nSubject: ' + m.subject +
			'\nDate: ' + new Date(m.at).toUTCString().replace('GMT',
				'+0000') + '\nMessage-ID: <' + m.id + '>\n' +
			(m.reply ? 'In-Reply-To: <' + m.reply + '>\nReferences: <' +
				(m.refs || [m.reply]).join('> <') + '>\n' : '') +
			'Content-Type: text/plain; charset=utf-8\n\n' + m.text + '\n\n';
	}).join('');
}

// The ids of the tickets a search for word finds, in any status.
async function found(word) {
	return (await env.tamed.api('GET', '/tickets?status=any&q=' + word))
		.tickets.map((t) => t.id);
}

const UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/;

test('every time names its zone, the UTC time in its tooltip: a thread ' +
	'across the end of summer time reads in order', async () => {
	// London, 25 Oct 2026: the customer asks at 01:40 BST (00:40 UTC),
	// the team answers 40 minutes later, at 01:20 GMT, and the customer
	// writes again at 01:50 GMT
	const q = Date.UTC(2026, 9, 25, 0, 40), run = Date.now();
	env.tamed.importMbox(mbox([
		{ from: 'dee@example.org', subject: 'Renewal Zonetest', at: q,
			text: 'When does my plan renew?', id: 'q.' + run + '@example.org' },
		{ from: MAILBOX, subject: 'Re: Renewal Zonetest', at: q + 2400e3,
			text: 'On the 1st.', id: 'a.' + run + '@example.com',
			reply: 'q.' + run + '@example.org' },
		{ from: 'dee@example.org', subject: 'Re: Renewal Zonetest',
			at: q + 4200e3, text: 'Thanks, and the price?',
			id: 'q2.' + run + '@example.org',
			reply: 'a.' + run + '@example.com' }]), 'solved');
	const [id] = await found('Zonetest');
	await env.tamed.api('PATCH', '/tickets/' + id, { priority: 'high' });
	const seenBy = {};
	for (const [timezoneId, locale, shown] of [
		['Europe/London', 'en-GB', ['25 Oct 2026, 01:40 BST',
			'25 Oct 2026, 01:20 GMT', '25 Oct 2026, 01:50 GMT']],
		['America/Los_Angeles', 'en-US', ['Oct 24, 2026, 5:40 PM PDT',
			'Oct 24, 2026, 6:20 PM PDT', 'Oct 24, 2026, 6:50 PM PDT']]]) {
		const { page, seen, context } = await openTicket(id, null,
			{ timezoneId, locale });
		const times = (sel) => page.$$eval(sel, (ts) => ts.map((t) =>
			[t.textContent, t.title]));
		// the messages, in order, each time with its zone; the same
		// UTC time in the tooltip for every agent
		const msgs = await times('.msg time');
		assert.deepEqual(msgs.map((t) => t[0]), shown, timezoneId);
		assert.deepEqual(msgs.map((t) => t[1]), ['2026-10-25 00:40:00 UTC',
			'2026-10-25 01:20:00 UTC', '2026-10-25 01:50:00 UTC']);
		// the history and the customer's first mail alike
		await page.click('details.history summary');
		const more = await times('details.history li time, ' +
			'.customer time');
		assert.ok(more.length >= 3, 'times in the history and "First ' +
			'wrote": ' + more.length);
		for (const [text, title] of more) {
			assert.match(text, /\d:\d\d( [AP]M)? (GMT|BST|P[SD]T)$/);
			assert.match(title, UTC);
		}
		// the customer's first mail is the question
		assert.match(await page.textContent('.customer'),
			new RegExp('First wrote ' + shown[0] + '$'));
		// in the list, the tooltip names the agent's zone and UTC
		await page.goto(env.tamed.url + '/#/inbox/all?q=Zonetest');
		seenBy[timezoneId] = await page.getAttribute(
			'#main:not([data-first]) #row-' + id + ' .wait', 'title');
		assertClean(seen);
		await context.close();
	}
	const at = /^solved since (\d{4}-\d\d-\d\d \d\d:\d\d) UTC(-[78] \((\d{4}-\d\d-\d\d )?\d\d:\d\d UTC\))?$/;
	assert.match(seenBy['Europe/London'], at);
	assert.match(seenBy['America/Los_Angeles'], at);
	assert.notEqual(seenBy['America/Los_Angeles'].match(at)[2], undefined);
});

test('waiting times move on by themselves: no request, the focus, cursor, ' +
	'scroll and checks stay, nothing is read out again', async () => {
	const ids = [];
	for (let i = 0; i < 8; i++)
		ids.push(await env.tamed.deliver({ subject: 'Clocktest ' + i,
			text: 'Anyone there? ' + i }));
	// (what the intelligence finds in them would reload the list)
	await env.tamed.quiet();
	// the page's clock is the test's to move (its timers with it); a
	// short window, so that the list scrolls
	const { page, seen, context } = await openPage(
		'/#/inbox/all?q=Clocktest', (p) => p.clock.install(),
		{ viewport: { width: 1280, height: 420 } });
	await page.waitForSelector(APP_ROWS + ' #row-' + ids[7]);
	const waits = () => page.$$eval('.rows .wait', (ws) => ws.map((w) =>
		w.textContent + (w.classList.contains('long') ? ' long' : '')));
	assert.deepEqual(await waits(), Array(8).fill('now'));
	// the cursor on the last row (the list scrolled to it), another
	// row checked
	await page.focus('.rows');
	await page.keyboard.press('End');
	await page.keyboard.press('k');
	await page.keyboard.press('x');
	await page.keyboard.press('End');
	const state = () => page.evaluate(() => {
		const list = document.querySelector('.rows');
		let scroll = [];
		for (let el = list; el; el = el.parentElement)
			scroll.push(el.scrollTop);
		return { focus: document.activeElement === list,
			cursor: list.getAttribute('aria-activedescendant'),
			checked: [...list.querySelectorAll('.pick')].map((c) =>
				c.checked), scroll, said: document.getElementById('said')
				.textContent, top: document.scrollingElement.scrollTop };
	});
	const before = await state();
	assert.ok(before.scroll.some((s) => s > 0), 'the list did not scroll');
	const cursor = '#' + before.cursor;
	const name = await page.getAttribute(cursor, 'aria-label');
	assert.match(name, /, waiting now,/);
	// what is read out (the live regions) is left alone
	await page.evaluate(() => {
		window.spoken = 0;
		for (const el of document.querySelectorAll('[aria-live], ' +
			'[role="status"], [role="alert"]'))
			new MutationObserver(() => window.spoken++).observe(el,
				{ subtree: true, childList: true, characterData: true });
	});
	// (the view's counts beside come when their time is due)
	const asked = [];
	page.on('request', (r) => /\/api\/v1\/tickets\?.*q=Clocktest/.test(
		r.url()) && asked.push(r.url()));
	await page.clock.fastForward('02:00:00');
	await waitFor(async () => (await waits()).every((w) => w === '2h'),
		{ what: 'the waits to read 2h' });
	await page.clock.fastForward('23:00:00');
	await waitFor(async () => (await waits()).every((w) => w === '1d long'),
		{ what: 'the waits to read 1d, long' });
	assert.deepEqual(await state(), before);
	assert.deepEqual(asked, []);
	assert.equal(await page.evaluate(() => window.spoken), 0);
	// the other rows' names say so; the cursor's row keeps its own (a
	// screen reader would say it again) until the cursor leaves it
	assert.match(await page.getAttribute('#row-' + ids[3], 'aria-label'),
		/, waiting 1d,/);
	assert.equal(await page.getAttribute(cursor, 'aria-label'), name);
	await page.keyboard.press('k');
	assert.match(await page.getAttribute(cursor, 'aria-label'),
		/, waiting 1d,/);
	assertClean(seen);
	await context.close();
});

test('long waits read in months and years, in tamed\'s first rows as in ' +
	'the app\'s, whose tooltips give the same UTC time', async () => {
	// a customer waiting 70 days, one 400 days, one since 10,000 days
	const day = 86400e3, run = Date.now();
	const old = [[70, '2mo'], [400, '1y'], [10000, '27y']].map(([d, said],
		i) => ({ from: 'old' + i + '@example.org', subject: 'Oldwait ' + d,
		at: Math.floor((run - d * day) / 60e3) * 60e3, text: 'Hello?',
		id: 'old' + i + '.' + run + '@example.org', said }));
	env.tamed.importMbox(mbox(old));
	const ids = (await env.tamed.api('GET', '/tickets?status=any&q=Oldwait'))
		.tickets.sort((a, b) => a.subject.localeCompare(b.subject))
		.map((t) => t.id);
	// (by subject: "Oldwait 10000" first)
	old.sort((a, b) => a.subject.localeCompare(b.subject));
	const waits = (page) => Promise.all(ids.map(async (id) => {
		const w = page.locator('#row-' + id + ' .wait');
		return [await w.textContent(), await w.getAttribute('title')];
	}));
	try {
		// the rows tamed draws, the page's scripts off: in UTC, named so
		const { page, seen, context } = await openPage();
		const bare = await env.browser.newContext({ storageState:
			await context.storageState(), javaScriptEnabled: false,
		timezoneId: 'America/Los_Angeles' });
		const still = await bare.newPage();
		await still.goto(env.tamed.url + '/#/inbox/unassigned');
		const first = await waits(still);
		assert.deepEqual(first, old.map((m) => [m.said, 'Customer ' +
			'waiting since ' + new Date(m.at).toISOString().slice(0, 16)
			.replace('T', ' ') + ' UTC']));
		await bare.close();
		await context.close();
		assertClean(seen);
		// the app's rows say the same; their tooltips, the agent's
		// time and the same UTC time (all of it at UTC)
		for (const timezoneId of ['UTC', 'America/Los_Angeles']) {
			const w = await openPage('/#/inbox/unassigned', null,
				{ timezoneId });
			await w.page.waitForSelector(APP_ROWS + ' #row-' + ids[0]);
			const app = await waits(w.page);
			first.forEach(([said, title], i) => {
				assert.equal(app[i][0], said);
				if (timezoneId === 'UTC')
					assert.equal(app[i][1], title);
				else
					assert.match(app[i][1], new RegExp('^Customer waiting ' +
						'since [-0-9]+ [0-9:]+ UTC-[78] \\(([-0-9]+ )?' +
						title.slice(-9).replace(' ', '\\s') + '\\)$'));
			});
			assertClean(w.seen);
			await w.context.close();
		}
	} finally {
		for (const id of ids)
			await env.tamed.api('PATCH', '/tickets/' + id,
				{ status: 'solved' });
	}
});

test('a Sent folder imported after its Inbox: the thread reads in the ' +
	'order written, and a reply to it asks about no newer message',
async () => {
	// the customer's two mails come in with the Inbox, the team's
	// answer between them only with the Sent folder, stored last
	const q = Date.UTC(2026, 2, 2, 9, 0), run = Date.now();
	const ids = ['q', 'a', 'r'].map((x) => x + '.' + run + '@example.org');
	env.tamed.importMbox(mbox([
		{ from: 'eli@example.org', subject: 'Scanner Sentlater', at: q,
			text: 'The scanner jams.', id: ids[0] },
		{ from: 'eli@example.org', subject: 'Re: Scanner Sentlater',
			at: q + 7200e3, text: 'Still jams after the update.',
			id: ids[2], reply: ids[1], refs: ids.slice(0, 2) }]));
	env.tamed.importMbox(mbox([
		{ from: MAILBOX, subject: 'Re: Scanner Sentlater', at: q + 3600e3,
			text: 'Please update the driver.', id: ids[1], reply: ids[0] }]));
	const [id] = await found('Sentlater');
	const { page, seen, context } = await openTicket(id);
	assert.deepEqual(await page.$$eval('.msg', (ms) => ms.map((m) =>
		m.classList.contains('in') ? 'in' : 'out')), ['in', 'out', 'in']);
	const before = env.sink.messages.length;
	await page.keyboard.press('r');
	await page.keyboard.type('Which scanner model is it?');
	await page.keyboard.press('Control+Enter');
	await waitFor(() => env.sink.messages.slice(before).find((m) =>
		m.raw.includes('Which scanner model')),
	{ what: 'the reply, sent without a question' });
	assert.equal(await page.$('dialog.modal'), null);
	assertClean(seen);
	await context.close();
});
