// keyboard.mjs - the web app with the keyboard and a screen reader: an
// open dialog has the keys to itself and one Escape closes it, with the
// focus back where it was; the focus stays on the control just used
// (a tag added, a select changed, earlier messages and remote images
// shown), goes to a page's heading and to the content from the skip
// link; messages raised over a dialog are read out, as are the
// colleague highlighted in the @mention list and the words behind a
// tone or flag chip; after Ctrl+Enter the toast's Undo has the focus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, sleep, makeMail } from './lib.mjs';
import { env, assertClean, openPage, openTicket } from './fixture.mjs';

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
	const { page, seen, context } = await openTicket(id);
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

test('the focus stays on the tag field and on a select after a change',
	async () => {
		const id = await env.tamed.deliver({ subject: 'Tag me',
			text: 'Please sort this.' });
		const { page, seen, context } = await openTicket(id);
		// marks the properties bar, to tell when it was drawn again
		const mark = () => page.evaluate(() => {
			document.querySelector('.actions').firstChild.old = 1;
		});
		const redrawn = () => page.waitForFunction(() =>
			!document.querySelector('.actions').firstChild.old);
		// drawn again with the change made (a live event of the change
		// before may draw the bar once more in between), the focus on id
		const drawnWith = (id, sel) => page.waitForFunction(([f, s]) => {
			const bar = document.querySelector('.actions');
			return !bar.firstChild.old && document.activeElement &&
				document.activeElement.id === f && (!s ||
				bar.querySelector(s));
		}, [id, sel]);
		await page.focus('#tag-input');
		for (const tag of ['vip', 'sales']) {
			await mark();
			await page.keyboard.type(tag);
			await page.keyboard.press('Enter');
			await redrawn();
			await page.waitForSelector('.tags-edit .tag:has-text("' + tag +
				'")');
			assert.equal(await focused(page), 'tag-input');
			assert.equal(await page.inputValue('#tag-input'), '');
		}
		let t = await ticket(id);
		assert.deepEqual(t.tags.sort(), ['sales', 'vip']);
		assert.equal(t.status, 'new');
		assert.equal(t.assignee, null);
		assert.equal(await page.evaluate(() => location.hash), '#/t/' + id);
		// a tag's × goes with its tag: to the tag field
		await mark();
		await page.focus('button[aria-label="Remove tag vip"]');
		await page.keyboard.press('Enter');
		await redrawn();
		await page.waitForSelector('.tags-edit .tag:has-text("vip")',
			{ state: 'detached' });
		assert.equal(await focused(page), 'tag-input');
		// Assign to me, then Yours (disabled): to the assignee
		await mark();
		await page.focus('#assign-me');
		await page.keyboard.press('Enter');
		await drawnWith('assignee', '#assign-me:disabled');
		// arrows on a closed select: each is saved, the focus stays
		await page.focus('#priority');
		const from = await page.inputValue('#priority');
		const order = ['low', 'normal', 'high', 'urgent'];
		for (let i = 1; i <= 2; i++) {
			await mark();
			await page.keyboard.press('ArrowDown');
			await drawnWith('priority', '#priority option[value="' +
				order[order.indexOf(from) + i] + '"]:checked');
		}
		await waitFor(async () => (await ticket(id)).priority ===
			order[order.indexOf(from) + 2], { what: 'the priority saved' });
		await page.focus('#status');
		await mark();
		await page.keyboard.press('ArrowDown');
		await drawnWith('status', '#status option[value="open"]:checked');
		t = await ticket(id);
		assert.equal(t.status, 'open');
		assertClean(seen);
		await context.close();
	});

test('a message raised over a dialog is read out and shown above it',
	async () => {
		const { page, seen, context } = await openPage();
		await page.keyboard.press('g');
		await page.keyboard.press('r');
		await page.waitForSelector('h1:text("Saved replies")');
		await page.keyboard.press('c');
		await page.waitForSelector('#reply-title:focus');
		await page.keyboard.press('Enter');
		const toast = page.locator('.toast.bad', { hasText: 'A saved reply ' +
			'needs a title and a text.' });
		await toast.waitFor();
		// in the accessibility tree (outside the dialog, Chrome leaves
		// it out: activeModalDialog), in a live region
		const cdp = await context.newCDPSession(page);
		const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
		const { nodeId } = await cdp.send('DOM.querySelector',
			{ nodeId: root.nodeId, selector: '#toasts' });
		const region = (await cdp.send('Accessibility.getPartialAXTree',
			{ nodeId, fetchRelatives: false })).nodes[0];
		assert.equal(region.ignored, false, JSON.stringify(region));
		assert.equal(region.role.value, 'status');
		const text = (await cdp.send('Accessibility.queryAXTree', { nodeId,
			accessibleName: 'A saved reply needs a title and a text.',
			role: 'StaticText' })).nodes;
		assert.equal(text.length, 1);
		assert.equal(text[0].ignored, false);
		// above the backdrop
		const box = await toast.boundingBox();
		assert.equal(await page.evaluate(([x, y]) => !!document
			.elementFromPoint(x, y).closest('.toast'),
		[box.x + box.width / 2, box.y + box.height / 2]), true);
		// closed: the messages are the page's again
		await page.keyboard.press('Escape');
		await page.waitForSelector('dialog.modal', { state: 'detached' });
		assert.equal(await page.evaluate(() =>
			document.getElementById('toasts').parentNode === document.body),
		true);
		await cdp.detach();
		assertClean(seen);
		await context.close();
	});

test('the skip link goes to the content and keeps the page', async () => {
	const id = await env.tamed.deliver({ subject: 'Skip ahead',
		text: 'Hello.' });
	const { page, seen, context } = await openTicket(id);
	await page.focus('a.skip');
	await page.keyboard.press('Enter');
	await sleep(300);
	assert.equal(await page.evaluate(() => location.hash), '#/t/' + id);
	assert.equal(await page.locator('.msg.in').count(), 1);
	assert.equal(await page.evaluate(() =>
		document.getElementById('main').contains(document.activeElement)),
	true);
	assertClean(seen);
	await context.close();
});

test('the focus goes on: to the earlier messages shown, the remote ' +
	'images note, a page\'s heading', async () => {
	const id = await env.tamed.deliver({ subject: 'Long and keyboarded',
		text: 'The first word.' });
	for (let i = 1; i <= 9; i++)
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'Keyed step ' + i + '.' });
	const pic = await env.tamed.deliver({ subject: 'Keyed picture',
		text: 'plain', html: '<p>Look:</p><img src="http://127.0.0.1:9/' +
			'x.png" alt="x">' });
	const { page, seen, context } = await openPage('/#/t/' + id);
	await page.waitForSelector('.msg:has-text("Keyed step 9")');
	await page.focus('button.earlier');
	await page.keyboard.press('Enter');
	await page.waitForSelector('.msg:has-text("Keyed step 1.")');
	assert.equal(await page.evaluate(() =>
		document.activeElement.textContent.includes('Keyed step 1.') &&
		document.activeElement.matches('.msg')), true);
	await page.goto(env.tamed.url + '/#/t/' + pic);
	await page.focus('.msg.in .show-remote');
	await page.keyboard.press('Enter');
	await page.waitForSelector('.msg.in .remote:text("shown")');
	assert.equal(await page.evaluate(() =>
		document.activeElement.matches('.msg.in .remote')), true);
	// a page by its shortcut, and by its link
	await page.keyboard.press('g');
	await page.keyboard.press('r');
	await page.waitForSelector('h1:text("Saved replies")');
	await page.waitForSelector('h1:focus', { timeout: 5000 });
	assert.equal(await page.textContent('h1:focus'), 'Saved replies');
	await page.focus('#views a:text("Your profile")');
	await page.keyboard.press('Enter');
	await page.waitForSelector('h1:focus:text("Your profile")',
		{ timeout: 5000 });
	assert.deepEqual(seen.dialogs, []);
	assert.deepEqual(seen.errors, []);
	await context.close();
});

test('the @mention list is read out: the note field is its combobox, ' +
	'the highlighted colleague its active descendant', async () => {
	for (const [email, name] of [['moss@example.com', 'Moss Keyfield'],
		['nell@example.com', 'Nell Keyworth']])
		await env.tamed.api('POST', '/agents', { email, name, role: 'agent',
			password: 'keyed password 1' });
	const id = await env.tamed.deliver({ subject: 'Mention by keys',
		text: 'Who knows this?' });
	const { page, seen, context } = await openTicket(id);
	await page.keyboard.press('n');
	await page.keyboard.type('Over to @Key');
	// what a screen reader gets: the field's role and active descendant
	// (Chrome's accessibility tree), and the option it names
	const cdp = await context.newCDPSession(page);
	const read = async () => {
		const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
		const { nodeId } = await cdp.send('DOM.querySelector',
			{ nodeId: root.nodeId, selector: '#composer-text' });
		const node = (await cdp.send('Accessibility.getPartialAXTree',
			{ nodeId, fetchRelatives: false })).nodes[0];
		const prop = (n) => (node.properties || []).find((p) =>
			p.name === n);
		const active = prop('activedescendant');
		return { role: node.role.value, expanded: prop('expanded') ?
			prop('expanded').value.value : undefined,
		active: active ? (await cdp.send('DOM.describeNode', {
			backendNodeId: active.value.relatedNodes[0].backendDOMNodeId }))
			.node.attributes.join(' ') : null };
	};
	const on = () => page.$eval('#mention-list li.on', (li) =>
		[li.id, li.getAttribute('role'), li.textContent]);
	await page.waitForSelector('#mention-list li.on');
	const first = await on();
	let said = await read();
	assert.equal(said.role, 'combobox', JSON.stringify(said));
	assert.equal(said.expanded, true);
	assert.equal(first[1], 'option');
	assert.ok(said.active && said.active.includes('id ' + first[0]),
		JSON.stringify(said));
	assert.equal(await page.getAttribute('#composer-text', 'aria-controls'),
		'mention-list');
	// the arrows move the highlight, and what is read with it
	await page.keyboard.press('ArrowDown');
	const second = await on();
	assert.notEqual(second[0], first[0]);
	assert.deepEqual([first[2], second[2]].map((t) => t.split(' ')[0])
		.sort(), ['Moss', 'Nell']);
	said = await read();
	assert.ok(said.active && said.active.includes('id ' + second[0]),
		JSON.stringify(said));
	// Escape closes it: a plain note field again, the note kept
	await page.keyboard.press('Escape');
	await page.waitForSelector('#mention-list', { state: 'hidden' });
	said = await read();
	assert.notEqual(said.role, 'combobox');
	assert.equal(said.active, null);
	assert.equal(await page.getAttribute('#composer-text',
		'aria-activedescendant'), null);
	assert.equal(await page.inputValue('#composer-text'), 'Over to @Key');
	await cdp.detach();
	assertClean(seen);
	await context.close();
});

test('a tone chip\'s words and a flag\'s reason are read with the chip, ' +
	'in the list and the ticket, and look as before', async () => {
	const id = await env.tamed.deliver({ from: 'Rae Loud <rae@example.org>',
		subject: 'Keyed anger', text: 'This is UNACCEPTABLE!!! The ' +
			'parcel is lost again and nobody answers. I am furious.' });
	const long = await env.tamed.deliver({ subject: 'Keyed long story',
		text: 'Our office waited for the parcel the whole week. '
			.repeat(50) });
	const { page, seen, context } = await openPage('/#/inbox/all');
	const tone = page.locator('#row-' + id + ' .chip.tone-anger');
	const flag = page.locator('#row-' + long + ' .chip.flag');
	await tone.waitFor({ timeout: 15000 });
	await flag.waitFor({ timeout: 15000 });
	// a row is read by its label: the chips' words are in it
	assert.match(await page.getAttribute('#row-' + id, 'aria-label'),
		/, angry \(\d+%\): “UNACCEPTABLE[^]*furious/);
	assert.match(await page.getAttribute('#row-' + long, 'aria-label'),
		/, ⚑ long message: a customer message of \d+ words$/);
	// shown as before: the label only (the words would be wider), on
	// one line
	for (const [chip, wide] of [[tone, 80], [flag, 130]]) {
		const box = await chip.boundingBox();
		assert.ok(box.height < 24 && box.width < wide, JSON.stringify(box));
	}
	// in the ticket, the chips' text in the accessibility tree
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.ticket-head .chip.tone-anger');
	assert.match(await page.locator('.ticket-head').ariaSnapshot(),
		/angry \(\d+%\): “UNACCEPTABLE[^]*furious/);
	assertClean(seen);
	await context.close();
});

test('Ctrl+Enter puts the focus on the toast\'s Undo: Enter takes the ' +
	'reply back, and the focus returns to the composer', async () => {
	const id = await env.tamed.deliver({ subject: 'Undo by keys',
		text: 'A question for the keyboard.' });
	const { page, seen, context } = await openTicket(id, (p) =>
		p.addInitScript(() =>
			localStorage.setItem('tame.undoMs', '4000')));
	await page.keyboard.press('r');
	await page.keyboard.type('Sent too soon.');
	await page.keyboard.press('Control+Enter');
	await page.waitForSelector('.toast.held button:text("Undo"):focus',
		{ timeout: 3000 });
	await page.keyboard.press('Enter');
	await page.waitForSelector('.toast.held', { state: 'detached' });
	assert.equal(await focused(page), 'composer-text');
	assert.equal(await page.inputValue('#composer-text'), 'Sent too soon.');
	// left alone, it goes: the focus back in the composer
	await page.keyboard.press('Control+Enter');
	await page.waitForSelector('.toast.held button:text("Undo"):focus',
		{ timeout: 3000 });
	await page.waitForSelector('.toast.held', { state: 'detached' });
	assert.equal(await focused(page), 'composer-text');
	await waitFor(async () => (await ticket(id)).messages.length === 2,
		{ what: 'the reply sent' });
	const t = await ticket(id);
	assert.match(t.messages[1].text, /^Sent too soon\./);
	assertClean(seen);
	await context.close();
});
