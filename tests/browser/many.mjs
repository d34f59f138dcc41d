// many.mjs - many tickets at once: select with the mouse and the
// keyboard, reply to all (one personal email per customer, in their own
// thread, sent once even when the answer to the request is lost),
// assign, tag, set status, merge; trends with "reply to all"; saved
// filters with counts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, sleep, AGENT } from './lib.mjs';
import { env, assertClean, rowOf } from './fixture.mjs';

// Sends one mail per [name, address, subject]; returns the ticket ids.
async function deliverAll(people, text) {
	const ids = [];
	for (const [name, addr, subject] of people)
		ids.push(await env.tamed.deliver({ from: name + ' <' + addr + '>',
			subject, text: text || subject + ', please help.' }));
	return ids;
}

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
		await page.click('dialog.modal button:text("Send to each")');
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
		assertClean(seen);
		await context.close();
	});
