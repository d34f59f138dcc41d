// many.mjs - many tickets at once: select with the mouse and the
// keyboard, reply to all (one personal email per customer, in their own
// thread, sent once even when the answer to the request is lost),
// assign, tag, set status, merge; trends with "reply to all"; saved
// filters with counts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, sleep, AGENT, makeMail } from
	'./lib.mjs';
import { env, assertClean, rowOf, deliverAll, trendOf } from
	'./fixture.mjs';

async function searchFor(page, q) {
	await page.goto(env.tamed.url + '/#/inbox/all?q=' +
		encodeURIComponent(q));
	await page.waitForSelector('.row');
}

test('bulk reply: three customers, three emails, each in its own thread',
	async () => {
		const people = [['Anna Berg', 'anna@example.org', 'Bulkreply one'],
			['Boris Chen', 'boris@example.org', 'Bulkreply two'],
			['Chiara Dal', 'chiara@example.org', 'Bulkreply three']];
		const ids = await deliverAll(people);
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await searchFor(page, 'Bulkreply');
		await page.waitForFunction(() =>
			document.querySelectorAll('.row').length === 3);
		// click the first box, shift-click the last: all three
		const boxes = page.locator('.row .pick');
		await boxes.nth(0).click();
		await boxes.nth(2).click({ modifiers: ['Shift'] });
		await page.waitForSelector('.bulkbar strong:text("3 selected")');
		// the first answer is lost on the way back: the app tries again
		// with the same Idempotency-Key and nobody gets a second mail
		const keys = [];
		let lost = false;
		await page.route('**/api/v1/tickets/bulk', async (route) => {
			// the dialog's preview (the point it looks from) is no send
			if (!route.request().headers()['idempotency-key'])
				return route.continue();
			keys.push(route.request().headers()['idempotency-key']);
			if (lost)
				return route.continue();
			lost = true;
			await route.fetch();
			return route.abort('failed');
		});
		const before = env.sink.messages.length;
		await page.keyboard.press('r');
		await page.waitForSelector('dialog.modal #bulk-text');
		assert.equal(await page.locator('#bulk-rcpts li').count(), 3);
		await page.fill('#bulk-text', 'Hello {{customer.first_name}}, ' +
			'ticket {{ticket.id}} is fixed now.');
		await page.selectOption('#bulk-after', 'solved');
		await page.click('#bulk-send');
		await page.waitForSelector('.toast:has-text("3 of 3 tickets ' +
			'answered")', { timeout: 15000 });
		const mails = await waitFor(() => {
			const m = env.sink.messages.slice(before).filter((x) =>
				/is fixed now/.test(x.raw));
			return m.length >= 3 && m;
		}, { what: 'three replies at the relay' });
		await sleep(300);
		assert.equal(env.sink.messages.slice(before).filter((x) =>
			/is fixed now/.test(x.raw)).length, 3, 'a reply went twice');
		assert.equal(keys.length, 2);
		assert.ok(keys[0] && keys[0] === keys[1], 'the retry used a new key');
		people.forEach(([name, addr, subject], i) => {
			const m = mails.find((x) => x.to.some((r) => r.includes(addr)));
			assert.ok(m, 'no mail to ' + addr);
			assert.equal(m.to.length, 1);
			assert.match(m.raw, new RegExp('Subject: Re: ' + subject +
				' \\[#' + ids[i] + '\\]'));
			assert.match(m.raw, new RegExp('Hello ' + name.split(' ')[0] +
				', ticket ' + ids[i] + ' is fixed now.'));
			assert.match(m.raw, /In-Reply-To: <[^>]+@browser\.test>/);
		});
		for (const id of ids)
			assert.equal((await env.tamed.api('GET', '/tickets/' + id))
				.ticket.status, 'solved');
		assertClean(seen);
		await context.close();
	});

// Grace's page with the three tickets a search for q finds selected
// and the "reply to all" dialog open.
async function replyToAll(q) {
	const w = await watchedPage(env.browser, env.tamed);
	await signIn(w.page, env.tamed, AGENT);
	await searchFor(w.page, q);
	await w.page.waitForFunction(() =>
		document.querySelectorAll('.row').length === 3);
	await w.page.keyboard.press('*');
	await w.page.waitForSelector('.bulkbar strong:text("3 selected")');
	await w.page.keyboard.press('r');
	await w.page.waitForSelector('dialog.modal #bulk-text');
	return w;
}

test('bulk reply: a customer a colleague answered while the dialog was ' +
	'open is not mailed again, and the toast says so', async () => {
	const people = [['Lena Lund', 'lena@example.org', 'Meanwhile one'],
		['Milo Marsh', 'milo@example.org', 'Meanwhile two'],
		['Nora Nagy', 'nora@example.org', 'Meanwhile three']];
	const ids = await deliverAll(people);
	const { page, seen, context } = await replyToAll('Meanwhile');
	assert.equal(await page.textContent('#bulk-send'), 'Send to 3 customers');
	// Grace writes; meanwhile Ada answers Milo herself and solves Nora's
	const before = env.sink.messages.length;
	await env.tamed.api('POST', '/tickets/' + ids[1] + '/replies',
		{ text: 'Milo, this is fixed for you.' });
	await env.tamed.api('PATCH', '/tickets/' + ids[2], { status: 'solved' });
	await page.fill('#bulk-text', 'Hello {{customer.first_name}}, ' +
		'all fixed now.');
	await page.click('#bulk-send');
	// in the order of the rows
	const said = await page.locator('.toast:has-text("1 of 3 tickets ' +
		'answered; 2 not sent: ")').textContent({ timeout: 15000 });
	assert.match(said, /Milo Marsh was answered by Ada Admin meanwhile/);
	assert.match(said,
		/Nora Nagy’s ticket was solved by Ada Admin meanwhile/);
	await waitFor(() => mailsTo(before, 'lena@example.org').length === 1 &&
		mailsTo(before, 'milo@example.org').length === 1,
	{ what: 'the mails at the relay' });
	await sleep(500);
	assert.equal(mailsTo(before, 'milo@example.org').length, 1,
		'Milo got a second answer');
	assert.ok(/this is fixed for you/.test(mailsTo(before,
		'milo@example.org')[0].raw));
	assert.equal(mailsTo(before, 'nora@example.org').length, 0);
	assertClean(seen);
	await context.close();
});

test('bulk reply: a customer answered lately and a customer\'s second ' +
	'ticket start unchecked, each saying why', async () => {
	const people = [['Pia Park', 'pia@example.org', 'Lately one'],
		['Quinn Roe', 'quinn@example.org', 'Lately two'],
		['Quinn Roe', 'quinn@example.org', 'Lately three']];
	const ids = await deliverAll(people);
	// Ada answered Pia a minute ago; Pia has not written since
	await env.tamed.api('POST', '/tickets/' + ids[0] + '/replies',
		{ text: 'Pia, it is fixed.', status: 'open' });
	const { page, seen, context } = await replyToAll('Lately');
	const box = (id) => page.locator('#bulk-rcpts input[value="' + id +
		'"]');
	const why = (id) => page.locator('#bulk-rcpts li:has(input[value="' +
		id + '"]) .why').textContent();
	assert.equal(await box(ids[0]).isChecked(), false);
	assert.match(await why(ids[0]), /^answered by Ada Admin/);
	// the one higher in the list gets it
	const order = (await page.$$eval('#bulk-rcpts input', (xs) =>
		xs.map((x) => Number(x.value)))).filter((id) => id !== ids[0]);
	const [first, second] = order;
	assert.deepEqual(order.slice().sort(), [ids[1], ids[2]].sort());
	assert.equal(await box(first).isChecked(), true);
	assert.equal(await box(second).isChecked(), false);
	assert.equal(await why(second), 'also gets it on #' + first);
	assert.equal(await page.textContent('#bulk-send'), 'Send to 1 customer');
	const before = env.sink.messages.length;
	await page.fill('#bulk-text', 'Hello {{customer.first_name}}, ' +
		'fixed lately.');
	await page.click('#bulk-send');
	await page.waitForSelector('.toast:has-text("1 of 1 ticket")',
		{ timeout: 15000 });
	await waitFor(() => mailsTo(before, 'quinn@example.org').length === 1,
		{ what: 'Quinn\'s one mail' });
	await sleep(500);
	assert.equal(mailsTo(before, 'quinn@example.org').length, 1);
	assert.equal(mailsTo(before, 'pia@example.org').length, 0);
	assertClean(seen);
	await context.close();
});

// The mails the relay got after index from, to addr.
function mailsTo(from, addr) {
	return env.sink.messages.slice(from).filter((m) =>
		m.to.some((r) => r.includes(addr)));
}

test('bulk with the keyboard: x, shift+x, *, assign, tag, status, merge',
	async () => {
		const ids = await deliverAll([['Dan', 'dan@example.org', 'Kbbulk a'],
			['Eva', 'eva@example.org', 'Kbbulk b'],
			['Finn', 'finn@example.org', 'Kbbulk c']]);
		const grace = (await env.tamed.api('GET', '/agents')).agents.find(
			(a) => a.email === AGENT.email);
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await searchFor(page, 'Kbbulk');
		await page.waitForFunction(() =>
			document.querySelectorAll('.row').length === 3);
		await page.locator('.rows').focus();
		// x on the first row, j j, shift+x: the range of three
		await page.keyboard.press('x');
		await page.waitForSelector('.bulkbar strong:text("1 selected")');
		await page.keyboard.press('j');
		await page.keyboard.press('j');
		await page.keyboard.press('Shift+X');
		await page.waitForSelector('.bulkbar strong:text("3 selected")');
		await page.keyboard.press('Escape');
		await page.waitForSelector('.bulkbar', { state: 'hidden' });
		await page.keyboard.press('*');
		await page.waitForSelector('.bulkbar strong:text("3 selected")');
		// a: assign them to Grace
		await page.keyboard.press('a');
		await page.waitForSelector('#bulk-assignee');
		await page.selectOption('#bulk-assignee', String(grace.id));
		await page.click('dialog.modal button:text("Apply")');
		await waitFor(async () => {
			for (const id of ids) {
				const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
				if (!t.assignee || t.assignee.id !== grace.id)
					return false;
			}
			return true;
		}, { what: 'three tickets assigned' });
		// t: tag them
		await page.waitForSelector('.bulkbar', { state: 'hidden' });
		await page.keyboard.press('*');
		await page.keyboard.press('t');
		await page.fill('#bulk-tag', 'outage');
		await page.click('dialog.modal button:text("Add tag")');
		await page.waitForSelector('.toast:has-text("3 of 3 tickets ' +
			'tagged")');
		// e: status pending
		await page.keyboard.press('*');
		await page.keyboard.press('e');
		await page.selectOption('#bulk-status', 'pending');
		await page.click('dialog.modal button:text("Apply")');
		await page.waitForSelector('.toast:has-text("3 of 3 tickets set ' +
			'pending")');
		for (const id of ids) {
			const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
			assert.deepEqual(t.tags, ['outage']);
			assert.equal(t.status, 'pending');
		}
		// m: merge the three into the first
		await page.keyboard.press('*');
		await page.keyboard.press('m');
		await page.check('input[name="merge-into"][value="' + ids[0] + '"]');
		await page.click('dialog.modal button:text("Merge")');
		await page.waitForSelector('.toast:has-text("3 of 3 tickets ' +
			'merged")');
		const kept = (await env.tamed.api('GET', '/tickets/' + ids[0]))
			.ticket;
		assert.equal(kept.message_count, 3);
		for (const id of ids.slice(1))
			assert.equal((await env.tamed.api('GET', '/tickets/' + id))
				.ticket.status, 'closed');
		// one merged away says where its conversation went
		await page.goto(env.tamed.url + '/#/t/' + ids[1]);
		await page.click('a.merged-into:text("merged into #' + ids[0] +
			'")');
		await page.waitForSelector('h1:has-text("#' + ids[0] + '")');
		assertClean(seen);
		await context.close();
	});

test('trends: the strip above the inbox, a trend\'s view, reply to all ' +
	'with a preview and one customer left out', async () => {
	const people = [['Gus Hale', 'gus@example.org'],
		['Hana Ito', 'hana@example.org'], ['Ivo Jansen', 'ivo@example.org']];
	const ids = [];
	for (const [name, addr] of people)
		ids.push(await env.tamed.deliver({ from: name + ' <' + addr + '>',
			subject: 'Webhook signature invalid',
			text: 'Since this morning every webhook delivery fails with ' +
				'an invalid signature error on our endpoint.' }));
	const trend = await trendOf(ids);
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	const chip = page.locator('.trends a[href="#/trend/' + trend.id + '"]');
	await chip.waitFor();
	assert.match(await chip.textContent(), /3/);
	await chip.click();
	await page.waitForSelector('h1:has-text("Trend: ")');
	for (const id of ids)
		await page.waitForSelector('#row-' + id);
	await page.locator('.rows').focus();
	await page.keyboard.press('Shift+R');
	await page.waitForSelector('#bulk-rcpts li');
	assert.equal(await page.locator('#bulk-rcpts li').count(), 3);
	// leave Ivo out, preview, send
	await page.uncheck('#bulk-rcpts input[value="' + ids[2] + '"]');
	// a mistyped placeholder is pointed out before anything goes
	await page.fill('#bulk-text', 'Dear {{customer.firstname}}, hello.');
	await page.click('#bulk-send');
	await page.waitForSelector('.toast:has-text("{{customer.firstname}} ' +
		'is no placeholder")');
	assert.ok(await page.isVisible('dialog.modal #bulk-text'));
	await page.fill('#bulk-text', 'Dear {{customer.first_name}}, the ' +
		'webhook keys were rotated; signatures work again.');
	await page.click('dialog.modal button:text("Preview")');
	await page.waitForSelector('.preview-text:has-text("Dear Gus")');
	assert.equal(await page.isChecked('#bulk-rcpts input[value="' + ids[2] +
		'"]'), false);
	// a customer who joins the trend after the preview is not answered
	// with the others: the agent has not seen them
	const late = await env.tamed.deliver({ from: 'Lou Late <lou@example.org>',
		subject: 'Webhook signature invalid',
		text: 'Since this morning every webhook delivery fails with ' +
			'an invalid signature error on our endpoint.' });
	await waitFor(async () => ((await env.tamed.api('GET', '/tickets/' +
		late)).ticket.trend || {}).id === trend.id, { timeout: 15000,
		what: 'the late ticket in the trend' });
	const before = env.sink.messages.length;
	await page.click('#bulk-send');
	await page.waitForSelector('.toast:has-text("2 customers answered, 2 ' +
		'left out")');
	const mails = await waitFor(() => {
		const m = env.sink.messages.slice(before).filter((x) =>
			/keys were rotated/.test(x.raw));
		return m.length >= 2 && m;
	}, { what: 'two replies to the trend' });
	await sleep(300);
	assert.equal(env.sink.messages.slice(before).filter((x) =>
		/keys were rotated/.test(x.raw)).length, 2);
	assert.ok(mails.some((m) => /Dear Hana,/.test(m.raw) &&
		m.raw.includes('[#' + ids[1] + ']')));
	assert.ok(!mails.some((m) => m.to.some((r) => r.includes('ivo@') ||
		r.includes('lou@'))));
	// a trend with nothing open says so
	await page.goto(env.tamed.url + '/#/trend/999999');
	await page.waitForSelector('h1:has-text("No open tickets in this ' +
		'trend")');
	assertClean(seen);
	await context.close();
});

test('tone chips with their words, outlier flags, similar solved cases',
	async () => {
		const old = await env.tamed.deliver({
			from: 'Jo Kim <jo@example.org>', subject: 'Printer toner jammed',
			text: 'The printer toner cartridge is jammed and the paper ' +
				'tray shows error E42.' });
		// solved once the queue intelligence has read it (it learns the
		// words of open tickets)
		await waitFor(async () => (await env.tamed.api('GET', '/tickets/' +
			old)).ticket.trend, { timeout: 20000, interval: 200,
			what: 'the old case read' });
		await env.tamed.api('POST', '/tickets/' + old + '/replies', {
			text: 'Open the front panel and pull the green lever.',
			status: 'solved' });
		const id = await env.tamed.deliver({
			from: 'Kai Lund <kai@example.org>',
			subject: 'Toner cartridge jammed AGAIN',
			text: 'This is UNACCEPTABLE!!! The printer toner cartridge is ' +
				'jammed again, error E42 on the paper tray. Nobody answers ' +
				'and I am furious.' });
		// the queue intelligence counts words after each commit: wait
		// until it knows the old case is similar, as the page will ask
		await waitFor(async () => (await env.tamed.api('GET', '/tickets/' +
			id + '/similar')).similar.some((c) => c.ticket_id === old),
		{ timeout: 20000, interval: 500, what: 'the similar case' });
		const long = await env.tamed.deliver({ subject: 'A long story',
			text: 'Let me tell you what happened in our office. '
				.repeat(50) });
		// the flag and the tone come a moment after the ticket: the page
		// loaded before them shows them when tamed says they changed
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/inbox/all');
		await page.locator('#row-' + long).waitFor();
		const flag = page.locator('#row-' + long + ' .chip.flag');
		await flag.waitFor({ timeout: 15000 });
		assert.match(await flag.textContent(), /long message/);
		assert.match(await flag.getAttribute('title'), /words/);
		// one more, arriving while the inbox is open: flagged live
		const later = await env.tamed.deliver({ subject: 'Another long one',
			text: 'The whole team waited for the delivery all week. '
				.repeat(50) });
		await page.locator('#row-' + later + ' .chip.flag')
			.waitFor({ timeout: 15000 });
		const chip = page.locator('#row-' + id + ' .chip.tone-anger');
		await chip.waitFor();
		assert.match(await chip.getAttribute('title'),
			/angry.*UNACCEPTABLE.*furious/);
		// a plain "any news?" after it: the ticket's tone is that mail's
		// (the API's tone), the angry one still shows (tone_earlier) in
		// the row and the head until the customer calms
		const first = (await env.tamed.api('GET', '/tickets/' + id)).ticket
			.messages[0];
		await env.tamed.send(makeMail({ from: 'Kai Lund <kai@example.org>',
			subject: 'Re: Toner cartridge jammed AGAIN',
			text: 'Any news on this?',
			headers: { 'In-Reply-To': '<' + first.message_id + '>' } }));
		const now = await waitFor(async () => {
			const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
			return t.tone_earlier ? t : null;
		}, { timeout: 20000, interval: 200, what: 'the earlier tone' });
		assert.equal(now.tone_earlier.message_id, first.id);
		assert.ok(now.tone.anger < 0.5, JSON.stringify(now.tone));
		await page.locator('#row-' + id + ' .count:has-text("2")').waitFor();
		assert.match(await page.locator('#row-' + id + ' .chip.tone-anger')
			.getAttribute('title'), /angry.*UNACCEPTABLE/);
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.ticket-head .chip.tone-anger');
		assert.equal(await page.locator('.msg.in').count(), 2);
		assert.equal(await page.locator('.msg.in').nth(1).locator('.chip')
			.count(), 0);
		await page.waitForSelector('.msg.in .chip.tone-anger');
		// the solved case and how it was answered
		const similar = page.locator('.similar li:has(a[href="#/t/' + old +
			'"])');
		await similar.waitFor();
		await similar.locator('summary').click();
		assert.match(await similar.textContent(), /green lever/);
		assertClean(seen);
		await context.close();
	});

test('a filter saved from a mailbox view keeps its mailbox and order',
	async () => {
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		const mb = (await env.tamed.api('GET', '/mailboxes')).mailboxes[0];
		await page.goto(env.tamed.url + '/#/mailbox/' + mb.id +
			'?sort=newest');
		await page.waitForSelector('.list-head h1');
		await page.locator('.rows').focus();
		await page.keyboard.press('Shift+F');
		await page.waitForSelector('#filter-mailbox');
		assert.equal(await page.inputValue('#filter-mailbox'),
			String(mb.id));
		assert.equal(await page.inputValue('#filter-sort'), 'newest');
		await page.fill('#filter-name', 'Support, newest');
		await page.press('#filter-name', 'Enter');
		await page.waitForSelector('h1:has-text("Support, newest")');
		assert.equal(await page.inputValue('#sort'), 'newest');
		const f = (await env.tamed.api('GET', '/filters')).filters.find(
			(x) => x.name === 'Support, newest');
		assert.equal(f.mailbox, String(mb.id));
		assert.equal(f.sort, 'newest');
		// the other tests count on their own filters being the first
		await env.tamed.api('DELETE', '/filters/' + f.id);
		assertClean(seen);
		await context.close();
	});

test('saved filters: made from a view, counted, kept after a reload',
	async () => {
		const ids = await deliverAll([['Lea', 'lea@example.org',
			'Filter me one'], ['Max', 'max@example.org', 'Filter me two'],
		['Nia', 'nia@example.org', 'Filter me three']]);
		await env.tamed.api('PATCH', '/tickets/' + ids[0],
			{ tags: ['vip'], priority: 'urgent' });
		await env.tamed.api('PATCH', '/tickets/' + ids[1],
			{ tags: ['vip'] });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.keyboard.press('Shift+F');
		await page.fill('#filter-name', 'VIP urgent');
		await page.fill('#filter-tag', 'vip');
		await page.check('input[name="filter-priority"][value="urgent"]');
		await page.click('dialog.modal button:text("Save filter")');
		await page.waitForSelector('h1:has-text("VIP urgent")');
		await page.waitForSelector('#row-' + ids[0]);
		assert.equal(await page.locator('.row').count(), 1);
		const link = page.locator('.views a:has-text("VIP urgent")');
		await page.waitForFunction(() => {
			const a = Array.from(document.querySelectorAll('.views a'))
				.find((x) => x.textContent.startsWith('VIP urgent'));
			return a && a.querySelector('.n') &&
				a.querySelector('.n').textContent === '1';
		});
		// counts beside the views
		assert.match(await page.textContent('.views a[href="#/inbox/' +
			'unassigned"] .n'), /^\d+\+?$/);
		// a new matching ticket raises the count live
		await env.tamed.api('PATCH', '/tickets/' + ids[1],
			{ priority: 'urgent' });
		await page.waitForSelector('#row-' + ids[1]);
		await page.waitForFunction(() => Array.from(document
			.querySelectorAll('.views a')).some((x) =>
			x.textContent === 'VIP urgent2'), null, { timeout: 10000 });
		// kept after a reload; g 1 opens the first filter
		await page.goto(env.tamed.url + '/#/inbox/mine');
		await page.reload();
		await link.waitFor();
		await page.locator('.rows').focus();
		await page.keyboard.press('g');
		await page.keyboard.press('1');
		await page.waitForSelector('h1:has-text("VIP urgent")');
		assertClean(seen);
		await context.close();
	});

test('merge a ticket into another from its own view (m)', async () => {
	const [a, b, c] = await deliverAll([['Otto', 'otto@example.org',
		'Merge source'], ['Otto', 'otto@example.org', 'Merge target'],
	['Pia', 'pia@example.org', 'Merge stranger']]);
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + a);
	await page.waitForSelector('.msg.in');
	await page.keyboard.press('m');
	// another customer's ticket is named as such
	await page.keyboard.type('#' + c);
	await page.waitForSelector('#merge-which:has-text("Another customer")');
	await page.fill('#merge-into', '');
	// the dialog says which ticket the number is before anything
	// moves: Enter pressed before the lookup of the typed number has
	// answered only shows it (the answer is held until Enter is in)
	let release;
	const held = new Promise((r) => { release = r; });
	await page.route('**/api/v1/tickets/' + b, async (route) => {
		await held;
		await route.continue();
	});
	await page.keyboard.type('#' + b);
	await page.keyboard.press('Enter');
	await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
	assert.ok(await page.isVisible('dialog.modal'), 'merged unseen');
	release();
	await page.waitForSelector('#merge-which:has-text("Merge target")');
	await page.unroute('**/api/v1/tickets/' + b);
	assert.match(await page.textContent('#merge-which'), /Otto/);
	assert.doesNotMatch(await page.textContent('#merge-which'),
		/Another customer/);
	assert.ok(await page.isVisible('dialog.modal'), 'merged unseen');
	assert.equal((await env.tamed.api('GET', '/tickets/' + a)).ticket
		.status, 'new');
	await page.keyboard.press('Enter');
	await page.waitForFunction((id) => location.hash === '#/t/' + id, b);
	await page.waitForSelector('.msg.in:has-text("Merge source")');
	assert.equal((await env.tamed.api('GET', '/tickets/' + a)).ticket
		.status, 'closed');
	assertClean(seen);
	await context.close();
});
