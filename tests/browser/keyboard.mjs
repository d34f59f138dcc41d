// keyboard.mjs - the web app with the keyboard and a screen reader: an
// open dialog has the keys to itself and one Escape closes it, with the
// focus back where it was; the focus stays on the control just used
// (a tag added, a select changed, earlier messages and remote images
// shown), goes to a page's heading and to the content from the skip
// link; messages raised over a dialog are read out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, sleep, makeMail } from './lib.mjs';
import { env, assertClean } from './fixture.mjs';

const focused = (page) => page.evaluate(() => {
	const el = document.activeElement;
	return el ? (el.id || el.tagName + '.' + el.className) : null;
});

const ticket = async (id) => (await env.tamed.api('GET', '/tickets/' +
	id)).ticket;

test('a dialog has the keys: the page behind does not hear them, one ' +
	'Escape closes it and the focus goes back', async () => {
	const id = await env.tamed.deliver({ from: 'Kai Keys <kai@example.org>',
		subject: 'Keys behind a dialog', text: 'Can you merge these?' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	await page.waitForSelector('.conversation:focus');
	const hash = '#/t/' + id;
	// Escape in the dialog's field: closed at once, the ticket stays
	await page.keyboard.press('m');
	await page.waitForSelector('#merge-into:focus');
	await page.keyboard.press('Escape');
	await page.waitForSelector('dialog.modal', { state: 'detached',
		timeout: 2000 });
	assert.equal(await page.evaluate(() => location.hash), hash);
	assert.equal(await focused(page), 'SECTION.conversation');
	// the ticket's keys wait while it is open
	await page.keyboard.press('m');
	await page.waitForSelector('#merge-into:focus');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() =>
		document.activeElement.textContent), 'Merge');
	for (const k of ['s', 'a', 'u', 'j', 'f'])
		await page.keyboard.press(k);
	await sleep(400);
	assert.equal(await page.locator('dialog.modal').count(), 1);
	assert.equal(await page.evaluate(() => location.hash), hash);
	const t = await ticket(id);
	assert.equal(t.status, 'new');
	assert.equal(t.assignee, null);
	// Escape on its button closes it too; the page behind stays
	await page.keyboard.press('Escape');
	await page.waitForSelector('dialog.modal', { state: 'detached',
		timeout: 2000 });
	assert.equal(await page.evaluate(() => location.hash), hash);
	assert.equal(await focused(page), 'SECTION.conversation');
	// back on the button that opened it, though a colleague's change
	// drew the button again meanwhile
	await page.focus('#merge');
	await page.keyboard.press('Enter');
	await page.waitForSelector('#merge-into:focus');
	await page.evaluate(() => { document.getElementById('merge').old = 1; });
	await env.tamed.api('PATCH', '/tickets/' + id, { tags: ['seen'] });
	await page.waitForSelector('.tags-edit .tag:has-text("seen")');
	await page.keyboard.press('Escape');
	await page.waitForSelector('dialog.modal', { state: 'detached',
		timeout: 2000 });
	assert.equal(await focused(page), 'merge');
	assert.equal(await page.evaluate(() =>
		document.getElementById('merge').old), undefined);
	// the warning before a reply: Escape is "review first", in place
	await page.keyboard.press('r');
	await page.keyboard.type('Merged, Kai.');
	await env.tamed.send(makeMail({ from: 'Kai Keys <kai@example.org>',
		subject: 'Re: Keys behind a dialog [#' + id + ']',
		text: 'Actually, leave them apart.',
		headers: { 'In-Reply-To': '<' + t.messages[0].message_id + '>' } }),
	'kai@example.org');
	await page.waitForSelector('.msg.in:has-text("leave them apart")');
	await page.keyboard.press('Control+Enter');
	await page.waitForSelector('dialog.modal:has-text("The customer ' +
		'wrote again")');
	await page.keyboard.press('Escape');
	await page.waitForSelector('dialog.modal', { state: 'detached',
		timeout: 2000 });
	assert.equal(await page.evaluate(() => location.hash), hash);
	assert.equal(await focused(page), 'composer-text');
	assert.equal(await page.inputValue('#composer-text'), 'Merged, Kai.');
	assertClean(seen);
	await context.close();
});
