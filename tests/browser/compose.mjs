// compose.mjs - writing in a ticket: the saved replies library and the
// "/" picker (the personalised text reaches the relay), collision
// detection with two agents in two browser contexts, spell check, notes
// with @mentions, followers and notifications.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, sleep, makeMail, MAILBOX,
	AGENT } from './lib.mjs';
import { env, assertClean } from './fixture.mjs';

test('saved replies: write, change and delete in the library',
	async () => {
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.keyboard.press('g');
		await page.keyboard.press('r');
		await page.waitForSelector('h1:text("Saved replies")');
		for (const [title, body, shared] of [
			['Refund on its way', 'Hi {{customer.first_name}},\n\nyour ' +
				'refund for ticket {{ticket.id}} is on its way.\n\n' +
				'{{agent.first_name}}', true],
			['Scratch', 'to be deleted', false]]) {
			await page.keyboard.press('c');
			await page.fill('#reply-title', title);
			await page.fill('#reply-body', body);
			if (!shared)
				await page.uncheck('#reply-shared');
			await page.click('dialog.modal button:text("Save")');
			await page.waitForSelector('.reply-card[data-title="' + title +
				'"]');
		}
		assert.match(await page.textContent('.reply-card[data-title=' +
			'"Scratch"]'), /personal/);
		// change the title of one, delete the other
		await page.click('.reply-card[data-title="Scratch"] ' +
			'button:text("Edit")');
		await page.fill('#reply-title', 'Scratch 2');
		// Enter in a field of a dialog does what its main button does
		await page.press('#reply-title', 'Enter');
		await page.waitForSelector('.reply-card[data-title="Scratch 2"]');
		await page.click('.reply-card[data-title="Scratch 2"] ' +
			'button:text("Delete")');
		await page.click('dialog.modal button:text("Delete")');
		await page.waitForSelector('.reply-card[data-title="Scratch 2"]',
			{ state: 'detached' });
		const all = (await env.tamed.api('GET', '/saved-replies'))
			.saved_replies.map((r) => r.title);
		assert.ok(all.includes('Refund on its way'));
		assert.ok(!all.includes('Scratch 2'));
		assertClean(seen);
		await context.close();
	});

test('reply with a saved reply: "/" opens the picker, the customer gets ' +
	'it personalised', async () => {
	const id = await env.tamed.deliver({
		from: 'Olga Petrova <olga@example.org>', subject: 'Where is my refund',
		text: 'I sent the item back two weeks ago.' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	await page.keyboard.press('r');
	await page.keyboard.type('/');
	await page.waitForSelector('#picker-q');
	// fuzzy: a few letters in order find it
	await page.keyboard.type('rfnd');
	await page.waitForSelector('#picker-list li.on:has-text("Refund on ' +
		'its way")');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.getElementById(
		'composer-text').value.startsWith('Hi Olga,'));
	const text = await page.inputValue('#composer-text');
	assert.ok(text.includes('ticket ' + id + ' is on its way'));
	assert.ok(!text.includes('{{'), 'placeholders left: ' + text);
	// editable before sending
	await page.keyboard.type('\nPS: it left our warehouse today.');
	const before = env.sink.messages.length;
	await page.keyboard.press('Control+Enter');
	const mail = await waitFor(() => env.sink.messages.slice(before).find(
		(m) => m.raw.includes('left our warehouse')),
	{ what: 'the saved reply at the relay' });
	assert.match(mail.raw, /Hi Olga,/);
	assert.match(mail.raw, new RegExp('refund for ticket ' + id +
		' is on its way'));
	assert.match(mail.raw, /\nAda\r?\n/);
	assert.ok(mail.to.some((r) => r.includes('olga@example.org')));
	assertClean(seen);
	await context.close();
});

test('collision: two agents see each other; a new customer message ' +
	'stops a reply until the agent decides', async () => {
	const id = await env.tamed.deliver({
		from: 'Pia Quist <pia@example.org>', subject: 'Collision course',
		text: 'My invoice is wrong.' });
	const ada = await watchedPage(env.browser, env.tamed);
	const grace = await watchedPage(env.browser, env.tamed);
	await signIn(ada.page, env.tamed);
	await signIn(grace.page, env.tamed, AGENT);
	await grace.page.goto(env.tamed.url + '/#/t/' + id);
	await grace.page.waitForSelector('.msg.in');
	// in the list, Ada sees that Grace has the ticket open
	await ada.page.goto(env.tamed.url + '/#/inbox/all');
	await ada.page.waitForSelector('#row-' + id + ' .here .avatar.viewing');
	assert.equal(await ada.page.getAttribute('#row-' + id + ' .here',
		'title'), 'Grace Hopper is viewing');
	await ada.page.goto(env.tamed.url + '/#/t/' + id);
	// each sees the other
	await ada.page.waitForSelector('.presence:has-text("Grace Hopper is ' +
		'viewing")', { timeout: 8000 });
	await grace.page.waitForSelector('.presence:has-text("Ada Admin is ' +
		'viewing")', { timeout: 8000 });
	// Grace starts a reply: Ada sees her typing
	await grace.page.keyboard.press('r');
	await grace.page.keyboard.type('Hello Pia, I am on it');
	await ada.page.waitForSelector('.presence.typing:has-text("Grace ' +
		'Hopper is typing")', { timeout: 8000 });
	// Ada writes too; the customer writes again meanwhile
	await ada.page.keyboard.press('r');
	await ada.page.keyboard.type('Hello Pia, the invoice is fixed.');
	const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
	await env.tamed.send(makeMail({ from: 'Pia Quist <pia@example.org>',
		subject: 'Re: Collision course [#' + id + ']',
		text: 'Sorry, it is the March invoice, not February.',
		headers: { 'In-Reply-To': '<' + t.messages[0].message_id + '>' } }),
	'pia@example.org');
	await ada.page.waitForSelector('.msg.in:has-text("March invoice")');
	const before = env.sink.messages.length;
	await ada.page.keyboard.press('Control+Enter');
	// the warning, with the new message; review first: nothing sent
	await ada.page.waitForSelector('dialog.modal:has-text("The customer ' +
		'wrote again")');
	assert.match(await ada.page.textContent('dialog.modal'),
		/March invoice/);
	await ada.page.click('dialog.modal button:text("Review first")');
	assert.equal(await ada.page.inputValue('#composer-text'),
		'Hello Pia, the invoice is fixed.');
	await ada.page.fill('#composer-text', 'Hello Pia, the March invoice ' +
		'is fixed.');
	// what she has read is not asked about again
	await ada.page.keyboard.press('Control+Enter');
	await waitFor(() => env.sink.messages.slice(before).find((m) =>
		m.raw.includes('the March invoice is fixed')),
	{ what: 'the reply sent after the warning' });
	// the server checks too: Grace's view hears no live events, the
	// customer writes, and her send is refused until she says so
	await grace.page.route('**/api/v1/events', (r) => r.abort());
	await grace.page.reload();
	await grace.page.waitForSelector('.msg.in');
	// her draft from before the reload is back; she starts afresh
	await grace.page.waitForFunction(() => document.getElementById(
		'composer-text').value === 'Hello Pia, I am on it');
	await grace.page.fill('#composer-text', '');
	await grace.page.keyboard.type('Hello Pia, one more thing.');
	await env.tamed.send(makeMail({ from: 'Pia Quist <pia@example.org>',
		subject: 'Re: Collision course [#' + id + ']',
		text: 'And the April one is wrong too.',
		headers: { 'In-Reply-To': '<' + t.messages[0].message_id + '>' } }),
	'pia@example.org');
	await waitFor(async () => (await env.tamed.api('GET', '/tickets/' +
		id)).ticket.messages.some((m) => /April/.test(m.text || '')),
	{ what: 'the third customer message' });
	await grace.page.keyboard.press('Control+Enter');
	await grace.page.waitForSelector('dialog.modal:has-text("The customer ' +
		'wrote again")');
	assert.match(await grace.page.textContent('dialog.modal'), /April/);
	await grace.page.click('dialog.modal button:text("Review first")');
	await grace.page.waitForFunction(() => document.getElementById(
		'composer-text').value === 'Hello Pia, one more thing.');
	// Ada answers meanwhile: Grace is asked before Pia gets two answers
	await ada.page.fill('#composer-text', 'Hello Pia, April is fixed too.');
	await ada.page.keyboard.press('Control+Enter');
	await waitFor(() => env.sink.messages.some((m) =>
		m.raw.includes('April is fixed too')), { what: 'Ada\'s answer' });
	await grace.page.keyboard.press('Control+Enter');
	await grace.page.waitForSelector('dialog.modal:has-text("A colleague ' +
		'answered")');
	assert.match(await grace.page.textContent('dialog.modal'),
		/Ada Admin answered[^]*April is fixed too/);
	await grace.page.click('dialog.modal button:text("Review first")');
	await grace.page.waitForFunction(() => document.getElementById(
		'composer-text').value === 'Hello Pia, one more thing.');
	await sleep(300);
	assert.ok(!env.sink.messages.some((m) => m.raw.includes('one more ' +
		'thing')));
	// leaving the ticket: the other agent no longer sees her
	await grace.page.goto(env.tamed.url + '/#/inbox/all');
	await ada.page.waitForSelector('.presence', { state: 'detached',
		timeout: 8000 });
	assertClean(ada.seen);
	assertClean(grace.seen);
	await ada.context.close();
	await grace.context.close();
});

test('spell check: misspelt words underlined, a suggestion replaces one',
	async () => {
		const id = await env.tamed.deliver({ subject: 'Spelling please',
			text: 'Check my spelling.' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.msg.in');
		await page.keyboard.press('r');
		await page.keyboard.type('Thank you for your pateince with us.');
		await page.waitForSelector('mark.misspelt:text("pateince")');
		assert.equal(await page.locator('mark.misspelt').count(), 1);
		// the mark sits under the word in the textarea
		const box = await page.locator('mark.misspelt').boundingBox();
		const ta = await page.locator('#composer-text').boundingBox();
		assert.ok(box.x > ta.x && box.y > ta.y && box.y < ta.y + 40);
		// click on the word: its suggestions
		await page.mouse.click(box.x + box.width / 2, box.y +
			box.height / 2);
		await page.waitForSelector('.spell-menu button:text("patience")');
		await page.click('.spell-menu button:text("patience")');
		assert.equal(await page.inputValue('#composer-text'),
			'Thank you for your patience with us.');
		await page.waitForSelector('mark.misspelt', { state: 'detached' });
		// F7 from the keyboard
		await page.keyboard.press('Control+End');
		await page.keyboard.type(' Regrads');
		await page.waitForSelector('mark.misspelt:text("Regrads")');
		await page.keyboard.press('F7');
		await page.waitForSelector('.spell-menu button:focus');
		const items = await page.locator('.spell-menu button')
			.allTextContents();
		assert.ok(items.includes('Regards'), items.join());
		for (let i = 0; i < items.indexOf('Regards'); i++)
			await page.keyboard.press('ArrowDown');
		await page.keyboard.press('Enter');
		assert.match(await page.inputValue('#composer-text'),
			/with us\. Regards$/);
		assertClean(seen);
		await context.close();
	});

test('notes with @mentions, followers and notifications', async () => {
	const id = await env.tamed.deliver({ subject: 'Mention me',
		text: 'A tricky one.' });
	const ada = await watchedPage(env.browser, env.tamed);
	await signIn(ada.page, env.tamed);
	await ada.page.goto(env.tamed.url + '/#/t/' + id);
	await ada.page.waitForSelector('.msg.in');
	await ada.page.keyboard.press('n');
	await ada.page.keyboard.type('Could you look at this, @Gra');
	await ada.page.waitForSelector('#mention-list li.on:has-text("Grace ' +
		'Hopper")');
	await ada.page.keyboard.press('Enter');
	await ada.page.keyboard.type('? Thanks');
	assert.equal(await ada.page.inputValue('#composer-text'),
		'Could you look at this, @Grace Hopper ? Thanks');
	await ada.page.keyboard.press('Control+Enter');
	await ada.page.waitForSelector('.msg.note:has-text("@Grace Hopper")');
	// f: add a colleague as a follower
	await ada.page.keyboard.press('Escape');
	await ada.page.keyboard.press('f');
	await ada.page.waitForSelector('#follower-pick');
	await ada.page.selectOption('#follower-pick', { label: 'Grace Hopper' });
	await ada.page.click('dialog.modal button:text("Add")');
	await ada.page.waitForSelector('.followers li:has-text("Grace Hopper")');
	// a note on a ticket she follows reads as words, not an event's name
	await ada.page.keyboard.press('n');
	await ada.page.keyboard.type('Logs are in the shared drive.');
	await ada.page.keyboard.press('Control+Enter');
	await ada.page.waitForSelector('.msg.note:has-text("shared drive")');
	// Grace has three notifications; Shift+N lists them
	const grace = await watchedPage(env.browser, env.tamed);
	await signIn(grace.page, env.tamed, AGENT);
	await grace.page.waitForSelector('#bell .badge');
	await grace.page.keyboard.press('Shift+N');
	await grace.page.waitForSelector('dialog.modal .notes-list');
	const text = await grace.page.textContent('dialog.modal');
	assert.match(text, /Ada Admin mentioned you: #\d+ Mention me/);
	assert.match(text, /added you as a follower/);
	assert.match(text, /Ada Admin added a note: #\d+ Mention me/);
	assert.doesNotMatch(text, /note\.added/);
	await grace.page.click('dialog.modal li:has-text("mentioned you") ' +
		'button');
	await grace.page.waitForSelector('.msg.note:has-text("@Grace Hopper")');
	assert.match(grace.page.url(), new RegExp('#/t/' + id + '$'));
	assertClean(ada.seen);
	assertClean(grace.seen);
	await ada.context.close();
	await grace.context.close();
});

test('register hint: the composer shows how the customer writes',
	async () => {
		const formal = await env.tamed.deliver({
			from: 'Fiona Formal <fiona@example.org>',
			subject: 'Copy of my invoice',
			text: 'Dear Sir or Madam,\n\nI am writing to request a copy of ' +
				'my invoice for March.\n\nKind regards,\nFiona' });
		const relaxed = await env.tamed.deliver({
			from: 'Rick Relaxed <rick@example.org>', subject: 'login thing',
			text: 'hey guys, cant log in lol, any idea? thx :)' });
		// the intelligence thread writes the tone after the commit
		for (const id of [formal, relaxed])
			await waitFor(async () => (await env.tamed.api('GET',
				'/tickets/' + id)).ticket.tone, { what: 'tone of #' + id });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/t/' + formal);
		await page.waitForSelector('#register-hint:visible');
		const f = await page.textContent('#register-hint');
		assert.match(f, /formally/);
		assert.match(f, /Dear/);
		assert.match(f, /Kind regards/);
		// a note is not written to the customer: no hint
		await page.keyboard.press('n');
		await page.waitForSelector('#register-hint', { state: 'hidden' });
		await page.goto(env.tamed.url + '/#/t/' + relaxed);
		await page.waitForFunction(() => /casually/.test(
			document.getElementById('register-hint')?.textContent || ''));
		assert.match(await page.textContent('#register-hint'), /hey/);
		assertClean(seen);
		await context.close();
	});

test('urgency setting: an admin turns it on, an urgent mail raises the ' +
	'priority', async () => {
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/admin/agents');
	await page.waitForSelector('#urgency-status:has-text("Off")');
	assert.equal(await page.isChecked('#urgency-priority'), false);
	await page.check('#urgency-priority');
	await page.waitForSelector('#urgency-status:has-text("On:")');
	assert.equal((await env.tamed.api('GET', '/settings')).settings
		.urgency_priority, true);
	try {
		const id = await env.tamed.deliver({
			from: 'Una Urgent <una@example.org>', subject: 'checkout down',
			text: 'URGENT: the checkout is down, we need this fixed ASAP, ' +
				'we go live tomorrow!' });
		const t = await waitFor(async () => {
			const x = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
			return x.priority === 'urgent' ? x : null;
		}, { what: 'the urgent priority' });
		const ev = t.events.find((e) => e.kind === 'ticket.priority_raised');
		assert.ok(ev, JSON.stringify(t.events));
	} finally {
		await page.uncheck('#urgency-priority');
		await page.waitForSelector('#urgency-status:has-text("Off")');
	}
	assertClean(seen);
	await context.close();
});

test('composer: bold wraps the selection, files go with the reply and ' +
	'come back on undo', async () => {
	const id = await env.tamed.deliver({
		from: 'Rosa Diaz <rosa@example.org>', subject: 'Send me the form',
		text: 'Could you send the form again?' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await page.addInitScript(() =>
		localStorage.setItem('tame.undoMs', '2500'));
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + id);
	await page.waitForSelector('.msg.in');
	await page.fill('#composer-text', 'Here it is, signed today.\nThanks');
	// select "signed" and press Bold; Ctrl+I on "today"
	const sel = (word) => page.evaluate((w) => {
		const ta = document.getElementById('composer-text');
		const at = ta.value.indexOf(w);
		ta.setSelectionRange(at, at + w.length);
	}, word);
	await sel('signed');
	await page.click('button[aria-label="Bold (Ctrl+B)"]');
	await sel('today');
	await page.press('#composer-text', 'Control+i');
	await sel('Thanks');
	await page.click('button[aria-label="Bulleted list"]');
	assert.equal(await page.inputValue('#composer-text'),
		'Here it is, **signed** *today*.\n- Thanks');
	// two files; one removed again
	const form = Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 0xff, 0xfe]);
	await page.setInputFiles('#composer-file', [
		{ name: 'form.pdf', mimeType: 'application/pdf', buffer: form },
		{ name: 'wrong.txt', mimeType: 'text/plain',
			buffer: Buffer.from('not this one') }]);
	await page.waitForSelector('.att-list li:has-text("form.pdf")');
	assert.match(await page.textContent('.att-list'), /form\.pdf 9 B/);
	await page.click('.att-list button[aria-label="Remove wrong.txt"]');
	await page.waitForSelector('.att-list li:has-text("wrong.txt")',
		{ state: 'detached' });
	// send, undo: text and file are back; send again
	await page.press('#composer-text', 'Control+Enter');
	await page.click('.toast.held button:text("Undo")');
	await page.waitForSelector('.att-list li:has-text("form.pdf")');
	assert.match(await page.inputValue('#composer-text'), /\*\*signed\*\*/);
	const before = env.sink.messages.length;
	await page.press('#composer-text', 'Control+Enter');
	await page.click('.toast.held button:text("Send now")');
	const mail = await waitFor(() => env.sink.messages.slice(before).find(
		(m) => m.raw.includes('form.pdf')),
	{ what: 'the reply with its file at the relay' });
	assert.match(mail.raw, /multipart\/mixed/);
	assert.match(mail.raw, /filename="?form\.pdf/);
	assert.ok(mail.raw.includes(form.toString('base64')), mail.raw);
	assert.match(mail.raw, /<strong>signed<\/strong>/);
	assert.ok(!mail.raw.includes('not this one'));
	// the reply shows the file in the conversation
	await page.waitForSelector('.msg.out .attachments a:text("form.pdf")');
	assert.equal(await page.isHidden('.att-list'), true);
	assertClean(seen);
	await context.close();
});
