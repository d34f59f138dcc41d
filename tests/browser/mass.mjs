// mass.mjs - the reply to a whole trend as the probe of a morning's
// wave worked it: the same reply sent twice by mistake (those answered
// lately start unchecked, with who and when; the button counts who
// gets it; tamed skips whoever has the very text already), Undo in the
// seconds before a reply to many goes, and the dialog on a phone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, waitFor } from './lib.mjs';
import { env, assertClean, openPage, mailsAfter, trendOf } from
	'./fixture.mjs';

// Four customers with one problem (and their ticket ids, in order).
async function wave(subject, text, people) {
	const ids = [];
	for (const [name, addr] of people)
		ids.push(await env.tamed.deliver({ from: name + ' <' + addr + '>',
			subject, text }));
	return { ids, trend: await trendOf(ids) };
}

// The trend's view with its Reply to all dialog open.
async function openDialog(page, trend, n) {
	if (!page.url().endsWith('#/trend/' + trend.id))
		await page.goto(env.tamed.url + '/#/trend/' + trend.id);
	await page.click('#reply-all');
	await page.waitForSelector('#bulk-rcpts li');
	assert.equal(await page.locator('#bulk-rcpts li').count(), n);
}

const box = (page, id) => page.locator('#bulk-rcpts input[value="' + id +
	'"]');
const row = (page, id) => page.locator('#bulk-rcpts li:has(input[value="' +
	id + '"])');

test('reply to all twice by mistake: the answered start unchecked and ' +
	'say who and when, the button counts, nobody gets the text twice; ' +
	'Undo takes a reply to many back', async () => {
	const people = [['Mia Moss', 'mia@example.org'],
		['Ned Nash', 'ned@example.org'], ['Ola Ortiz', 'ola@example.org'],
		['Pia Park', 'pia@example.org']];
	const { ids, trend } = await wave('Calendar sync stopped',
		'Since the update the calendar sync stopped working, no events ' +
		'come through to our phones any more.', people);
	// Pia wrote about something else too, and was answered there
	const other = await env.tamed.deliver({ from: 'Pia Park ' +
		'<pia@example.org>', subject: 'Invoice address',
	text: 'Please put our new street on the invoices.' });
	await env.tamed.api('POST', '/tickets/' + other + '/replies',
		{ text: 'Done, the next invoice has it.' });
	const { page, seen, context } = await openPage('/#/inbox/all');
	await openDialog(page, trend, 4);
	assert.equal(await box(page, ids[3]).isChecked(), false);
	assert.match(await row(page, ids[3]).textContent(),
		new RegExp('answered on #' + other + ' by Ada Admin just now'));
	assert.equal(await page.textContent('#bulk-send'), 'Send to 3 customers');
	// the first send: Ola left out
	await box(page, ids[2]).uncheck();
	assert.equal(await page.textContent('#bulk-send'), 'Send to 2 customers');
	const text = 'Hi {{customer.first_name}}, calendar sync works again.';
	await page.fill('#bulk-text', text);
	const before = env.sink.messages.length;
	await page.click('#bulk-send');
	await page.waitForSelector('.toast:has-text("2 customers answered, 2 ' +
		'left out.")');

	// the same again: Mia and Ned start unchecked, and say why
	await openDialog(page, trend, 4);
	for (const id of ids.slice(0, 2)) {
		assert.equal(await box(page, id).isChecked(), false);
		assert.match(await row(page, id).textContent(),
			/answered by Ada Admin just now/);
	}
	assert.equal(await box(page, ids[2]).isChecked(), true);
	assert.equal(await page.textContent('#bulk-send'), 'Send to 1 customer');
	// ticked again by hand, Mia is still not mailed twice: tamed skips her
	await box(page, ids[0]).check();
	assert.equal(await page.textContent('#bulk-send'), 'Send to 2 customers');
	await page.fill('#bulk-text', text);
	await page.click('dialog.modal button:text("Preview")');
	await page.waitForSelector('#bulk-rcpts li:has(input[value="' + ids[0] +
		'"]) .why:has-text("got this very text already")');
	assert.equal(await box(page, ids[0]).isChecked(), true);
	await page.click('#bulk-send');
	await page.waitForSelector('.toast:has-text("1 customer answered, 2 ' +
		'left out, 1 not again: they had this very text already.")');
	// (the outbox sends after the answer; then nothing more comes)
	await waitFor(() => mailsAfter(before, /calendar sync works again/)
		.length >= 3, { what: 'the mails at the relay' });
	await sleep(500);
	const got = mailsAfter(before, /calendar sync works again/).map((m) =>
		m.to.join());
	assert.equal(got.length, 3, got.join(' '));
	for (const addr of ['mia@', 'ned@', 'ola@'])
		assert.equal(got.filter((t) => t.includes(addr)).length, 1, addr);

	// Undo in the seconds before it goes: nothing is sent, and the
	// dialog is back with what was written
	await page.evaluate(() => localStorage.setItem('tame.undoMs', '4000'));
	await openDialog(page, trend, 4);
	await box(page, ids[3]).check();
	await page.fill('#bulk-text', 'One more word about the calendar.');
	await page.click('#bulk-send');
	await page.click('.toast.held button:text("Undo")');
	await page.waitForSelector('dialog.modal #bulk-text');
	assert.equal(await page.inputValue('#bulk-text'),
		'One more word about the calendar.');
	assert.equal(await box(page, ids[3]).isChecked(), true);
	await page.click('dialog.modal button:text("Cancel")');
	await sleep(4500);
	assert.equal(mailsAfter(before, /One more word/).length, 0);
	assertClean(seen);
	await context.close();
});

test('reply to all on a phone (390x844): each recipient wraps inside the ' +
	'list, "see the text" can be tapped, the send button stays in reach',
async () => {
	const people = [['Quentin Alexander Montgomery-Fairweather',
		'quentin.montgomery-fairweather@subsidiary.example.org'],
	['Rosalind Bartholomew-Featherstonehaugh',
		'rosalind.featherstonehaugh@long-company-name.example.com'],
	['Sebastian Wolfeschlegelsteinhausen',
		'sebastian@wolfeschlegelsteinhausen.example.net']];
	const { ids, trend } = await wave('Exported spreadsheet is missing the ' +
		'last columns of every report since Monday',
	'The exported spreadsheet is missing the last columns of every ' +
		'report since Monday; the totals and the notes are gone.', people);
	for (const height of [844, 768]) {
		const { page, seen, context } = await openPage('/#/inbox/all', null,
			{ viewport: { width: 390, height }, hasTouch: true,
				isMobile: true });
		await openDialog(page, trend, 3);
		await page.fill('#bulk-text', 'Hi {{customer.first_name}}, fixed.');
		// the send button is on the first screen of the dialog
		const send = await page.locator('#bulk-send').boundingBox();
		assert.ok(send && send.y >= 0 && send.y + send.height <= height,
			'the send button is off screen at ' + height + ': ' +
			JSON.stringify(send));
		assert.equal(await page.evaluate(({ x, y }) =>
			document.elementFromPoint(x, y).id, { x: send.x + send.width / 2,
			y: send.y + send.height / 2 }), 'bulk-send');
		await page.click('dialog.modal button:text("Preview")');
		await page.waitForSelector('#bulk-rcpts button:text("see the text")');
		const list = await page.locator('#bulk-rcpts').boundingBox();
		for (const id of ids) {
			const r = row(page, id);
			// nothing of the row is cut: the ticket number is there whole
			assert.ok(await r.evaluate((li) =>
				li.scrollWidth <= li.clientWidth + 1 &&
				li.getBoundingClientRect().right <=
				li.parentNode.getBoundingClientRect().right + 1),
			'row #' + id + ' is wider than the list');
			const link = r.locator('button:text("see the text")');
			await link.scrollIntoViewIfNeeded();
			const b = await link.boundingBox();
			const l = await page.locator('#bulk-rcpts').boundingBox();
			assert.ok(b.x >= list.x - 1 && b.x + b.width <= list.x +
				list.width + 1 && b.y >= l.y - 1 && b.y + b.height <=
				l.y + l.height + 1, 'see the text of #' + id +
				' is outside the list: ' + JSON.stringify([b, l]));
			assert.ok(await page.evaluate(({ x, y }) =>
				document.elementFromPoint(x, y).textContent, {
				x: b.x + b.width / 2, y: b.y + b.height / 2 }) ===
				'see the text', 'see the text of #' + id + ' is covered');
			await link.tap();
			await page.waitForSelector('.preview-text:has-text("Hi ' +
				people[ids.indexOf(id)][0].split(' ')[0] + ', fixed.")');
		}
		await page.click('dialog.modal button:text("Cancel")');
		assertClean(seen);
		await context.close();
	}
});
