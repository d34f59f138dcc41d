// admin.mjs - the admin pages (agents, mailboxes) and an agent's own
// profile page, driven as a person would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, AGENT } from './lib.mjs';
import { env, assertClean, mailsAfter } from './fixture.mjs';

// A 2x2 PNG, for an avatar.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAA' +
	'EElEQVR4nGMwSJgARAwQCgAeDgSBHTXVHgAAAABJRU5ErkJggg==', 'base64');

async function agentBy(email) {
	return (await env.tamed.api('GET', '/agents')).agents.find(
		(a) => a.email === email);
}

test('admin: add an agent, change the role, disable and enable',
	async () => {
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		// g t goes to the agents page
		await page.keyboard.press('g');
		await page.keyboard.press('t');
		await page.waitForSelector('h1:text("Agents")');
		await page.fill('#new-agent-name', 'Linus Lindqvist');
		await page.fill('#new-agent-email', 'linus@example.com');
		await page.fill('#new-agent-password', 'a long new password');
		await page.selectOption('#new-agent-role', 'agent');
		await page.click('button:text("Add agent")');
		const row = page.locator('tr[data-email="linus@example.com"]');
		await row.waitFor();
		assert.match(await row.textContent(), /Linus Lindqvist/);
		// a role change is asked first: Cancel keeps the role
		await row.locator('select.role').selectOption('admin');
		await page.waitForSelector('dialog.modal:has-text("an admin?")');
		await page.click('dialog.modal button:text("Cancel")');
		assert.equal(await row.locator('select.role').inputValue(), 'agent');
		assert.equal((await agentBy('linus@example.com')).role, 'agent');
		await row.locator('select.role').selectOption('admin');
		await page.click('dialog.modal button:text("Make admin")');
		await waitFor(async () => (await agentBy('linus@example.com'))
			.role === 'admin', { what: 'the new role' });
		// the menu keeps the focus after the list is drawn again
		await page.waitForFunction(() => document.activeElement &&
			document.activeElement.matches('tr[data-email=' +
			'"linus@example.com"] select.role'));
		// an admin resets a forgotten password; the old one is gone
		await row.locator('button.reset').click();
		await page.fill('#reset-password', 'short');
		await page.click('dialog.modal button:text("Reset")');
		await page.waitForSelector('.toast:has-text("at least 8")');
		await page.fill('#reset-password', 'a brand new password');
		await page.click('dialog.modal button:text("Reset")');
		await page.waitForSelector('.toast:has-text("password is reset")');
		const login = (pw) => fetch(env.tamed.url + '/api/v1/session', {
			method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ email: 'linus@example.com',
				password: pw }) });
		assert.equal((await login('a long new password')).status, 401);
		assert.equal((await login('a brand new password')).status, 201);
		await row.locator('button.toggle:text("Disable")').click();
		await page.click('dialog.modal:has-text("Linus Lindqvist holds ' +
			'no open tickets") button:text("Disable")');
		await page.waitForSelector('tr[data-email="linus@example.com"] ' +
			'.pill:text("disabled")');
		assert.equal((await agentBy('linus@example.com')).disabled, true);
		// a disabled agent cannot sign in, and is told why
		const other = await watchedPage(env.browser, env.tamed);
		await other.page.goto(env.tamed.url + '/');
		await other.page.fill('#login-email', 'linus@example.com');
		await other.page.fill('#login-password', 'a brand new password');
		await other.page.press('#login-password', 'Enter');
		await other.page.waitForSelector('#login-error:text(' +
			'"This account is disabled. Ask an admin.")');
		await other.context.close();
		await row.locator('button.toggle:text("Enable")').click();
		await waitFor(async () => !(await agentBy('linus@example.com'))
			.disabled, { what: 'the agent enabled' });
		// an admin cannot demote or disable themself: no controls
		const self = page.locator('tr[data-email="admin@example.com"]');
		assert.equal(await self.locator('select.role').isDisabled(), true);
		assert.equal(await self.locator('button.toggle').count(), 0);
		assertClean(seen);
		await context.close();
	});

test('admin: disabling an agent asks first, naming their open tickets',
	async () => {
		// Dan holds three open tickets and a solved one; before, Disable
		// was one click, and the tickets stayed his where nobody looked
		const dan = (await env.tamed.api('POST', '/agents', {
			email: 'dan@example.com', name: 'Dan Dorsey', role: 'agent',
			password: 'dan long password' })).id;
		const ids = [];
		for (const s of ['Leaver one', 'Leaver two', 'Leaver three',
			'Leaver solved'])
			ids.push(await env.tamed.deliver({ subject: s }));
		for (const [i, id] of ids.entries())
			await env.tamed.api('PATCH', '/tickets/' + id, { assignee_id: dan,
				status: i === 3 ? 'solved' : 'open' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/admin/agents');
		const row = page.locator('tr[data-email="dan@example.com"]');
		await row.locator('button.toggle:text("Disable")').click();
		const dlg = page.locator('dialog.modal');
		await dlg.waitFor();
		assert.match(await dlg.textContent(),
			/Dan Dorsey holds 3 open tickets; they go back to Unassigned\./);
		// Cancel changes nothing
		await dlg.locator('button:text("Cancel")').click();
		await dlg.waitFor({ state: 'detached' });
		assert.equal((await agentBy('dan@example.com')).disabled, false);
		const held = async () => (await env.tamed.api('GET', '/tickets?' +
			'status=any&assignee=' + dan)).tickets.map((t) => t.id);
		assert.equal((await held()).length, 4);
		await row.locator('button.toggle:text("Disable")').click();
		await page.click('dialog.modal button:text("Disable")');
		await page.waitForSelector('.toast:has-text("3 tickets went back ' +
			'to Unassigned")');
		await page.waitForSelector('tr[data-email="dan@example.com"] ' +
			'.pill:text("disabled")');
		assert.deepEqual(await held(), [ids[3]]);
		// the ticket's history says why it is nobody's now
		await page.goto(env.tamed.url + '/#/t/' + ids[0]);
		await page.click('details.history summary');
		await page.waitForSelector('details.history li:has-text(' +
			'"unassigned, as Dan Dorsey was disabled")');
		assertClean(seen);
		await context.close();
	});

test('admin: mailbox name, acknowledgement, IMAP settings', async () => {
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/admin/mailboxes');
	const card = page.locator('form.mailbox[data-address=' +
		'"support@example.com"]');
	await card.waitFor();
	await card.locator('input[id$="-name"]').fill('Customer Support');
	await card.locator('input[id$="-ack"]').check();
	await card.locator('textarea[id$="-tpl"]').fill(
		'We got it: ticket #{{ticket.id}}.');
	await card.locator('button[type=submit]').click();
	const mb = async () => (await env.tamed.api('GET', '/mailboxes'))
		.mailboxes.find((m) => m.address === 'support@example.com');
	await waitFor(async () => (await mb()).ack_enabled,
		{ what: 'the acknowledgement on' });
	assert.equal((await mb()).name, 'Customer Support');
	assert.equal((await mb()).ack_template,
		'We got it: ticket #{{ticket.id}}.');
	// the navigation shows the new name
	await page.waitForSelector('.views a:text("Customer Support")');
	// IMAP: connect to a server that is not there; the page says so
	const imap = card.locator('fieldset.imap');
	await imap.locator('input[id$="-url"]').fill(
		'imap://poll:secret@127.0.0.1:9/INBOX');
	await imap.locator('button:text("Connect IMAP")').click();
	await waitFor(async () => (await mb()).imap,
		{ what: 'the IMAP settings stored' });
	assert.equal((await mb()).imap.host, '127.0.0.1');
	assert.ok(!JSON.stringify(await mb()).includes('secret'));
	// the status line follows the mailbox without a reload
	await page.waitForSelector('form.mailbox[data-address=' +
		'"support@example.com"] .imap-status:has-text("server not ' +
		'reachable")', { timeout: 15000 });
	await page.waitForSelector('form.mailbox[data-address=' +
		'"support@example.com"] button:text("Disconnect")');
	await page.locator('form.mailbox[data-address="support@example.com"] ' +
		'button:text("Disconnect")').click();
	await waitFor(async () => (await mb()).imap === null,
		{ what: 'IMAP disconnected' });
	// turn the acknowledgement off again for the other tests
	await env.tamed.api('PATCH', '/mailboxes/' + (await mb()).id,
		{ ack_enabled: false, name: 'Support' });
	// a new mailbox
	await page.fill('#new-mailbox-address', 'billing@example.com');
	await page.fill('#new-mailbox-name', 'Billing');
	await page.click('button:text("Add mailbox")');
	await page.waitForSelector('form.mailbox[data-address=' +
		'"billing@example.com"]');
	const bill = page.locator('form.mailbox[data-address=' +
		'"billing@example.com"]');
	const billing = async () => (await env.tamed.api('GET', '/mailboxes'))
		.mailboxes.find((m) => m.address === 'billing@example.com');
	// another admin gives it a signature meanwhile; a new name alone
	// saves (no acknowledgement text needed) and keeps that signature
	await env.tamed.api('PATCH', '/mailboxes/' + (await billing()).id,
		{ signature: 'The Billing Team' });
	await bill.locator('input[id$="-name"]').fill('Billing and Invoices');
	// a save draws the cards again once the mailboxes are read back;
	// what the admin types meanwhile (held here until it is typed)
	// survives that, with the focus
	let release;
	const held = new Promise((r) => { release = r; });
	await page.route('**/api/v1/mailboxes', async (route) => {
		if (route.request().method() === 'GET')
			await held;
		await route.continue();
	});
	await bill.evaluate((f) => { f.dataset.before = '1'; });
	await bill.locator('button[type=submit]').click();
	await waitFor(async () => (await billing()).name ===
		'Billing and Invoices', { what: 'the new name saved' });
	assert.equal((await billing()).signature, 'The Billing Team');
	const url = bill.locator('fieldset.relay input[id$="-url"]');
	await url.fill('smtp://127.0.0.1:9');
	release();
	await page.waitForSelector('form.mailbox[data-address=' +
		'"billing@example.com"]:not([data-before])');
	await page.unroute('**/api/v1/mailboxes');
	assert.equal(await url.inputValue(), 'smtp://127.0.0.1:9');
	assert.equal(await bill.locator('input[id$="-name"]').inputValue(),
		'Billing and Invoices');
	// Enter in the relay URL uses that relay, it does not save the card
	await url.press('Enter');
	await waitFor(async () => (await billing()).relay,
		{ what: 'the relay stored by Enter' });
	assertClean(seen);
	await context.close();
});

test('admin: send a test email, own relay and global relay', async () => {
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/admin/mailboxes');
	const card = page.locator('form.mailbox[data-address=' +
		'"support@example.com"]');
	const relay = card.locator('fieldset.relay');
	const result = relay.locator('p[role=status]');
	await relay.waitFor();
	// no relay of its own: through tamed's --relay, the sink here
	const before = env.sink.messages.length;
	await relay.locator('input[id$="-to"]').fill('tester@example.org');
	await relay.locator('button:text("Send test email")').click();
	await waitFor(async () => /Test email sent to tester@example\.org/
		.test(await result.textContent()), { what: 'the success shown' });
	assert.match(await result.textContent(), /global relay/);
	await waitFor(async () => mailsAfter(before, /tester@example\.org/)
		.length === 1, { what: 'the test email at the sink' });
	// a relay of its own where nobody listens: the page says why
	await relay.locator('input[id$="-url"]').fill(
		'smtp://mailer:secret@127.0.0.1:9');
	await relay.locator('button:text("Use this relay")').click();
	const mb = async () => (await env.tamed.api('GET', '/mailboxes'))
		.mailboxes.find((m) => m.address === 'support@example.com');
	await waitFor(async () => (await mb()).relay,
		{ what: 'the relay stored' });
	assert.ok(!JSON.stringify(await mb()).includes('secret'));
	await relay.locator('button:text("Save relay")').waitFor();
	await relay.locator('input[id$="-to"]').fill('tester@example.org');
	await relay.locator('button:text("Send test email")').click();
	await waitFor(async () => /Failed: connection refused/
		.test(await result.textContent()), { what: 'the failure shown' });
	// back to the global relay
	await relay.locator('button:text("Use the global relay")').click();
	await waitFor(async () => (await mb()).relay === null,
		{ what: 'the relay removed' });
	assertClean(seen);
	await context.close();
});

test('an agent sees no admin pages', async () => {
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed, AGENT);
	await page.waitForSelector('.views a:text("Your profile")');
	assert.equal(await page.locator('.views a:text("Agents")').count(), 0);
	await page.goto(env.tamed.url + '/#/admin/agents');
	await page.waitForSelector('text=Only an admin can change this.');
	assertClean(seen);
	await context.close();
});

test('profile: name, signature, avatar, password, sessions', async () => {
	const who = { email: 'mara@example.com', password: 'first password 1' };
	await env.tamed.api('POST', '/agents', { email: who.email,
		name: 'Mara', password: who.password, role: 'agent' });
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	await signIn(page, env.tamed, who);
	// a second session, to be ended from the first
	const other = await watchedPage(env.browser, env.tamed);
	await signIn(other.page, env.tamed, who);
	await page.keyboard.press('g');
	await page.keyboard.press('e');
	await page.waitForSelector('h1:text("Your profile")');
	await page.fill('#profile-name', 'Mara Okafor');
	await page.click('button:text("Save name")');
	await page.waitForSelector('#me:has-text("Mara Okafor")');
	const me = async () => agentBy(who.email);
	assert.equal((await me()).name, 'Mara Okafor');
	// signature and notification settings
	await page.fill('#profile-signature', 'Mara, Support team');
	await page.locator('input[name="notify_follows"]').uncheck();
	await page.click('button:text("Save profile")');
	await waitFor(async () => {
		const a = await env.tamed.api('GET', '/agents/' + (await me()).id);
		return a.signature === 'Mara, Support team' && !a.notify_follows;
	}, { what: 'the profile saved' });
	// the avatar: chosen from a file, shown in the top bar
	await page.setInputFiles('#avatar-file', { name: 'me.png',
		mimeType: 'image/png', buffer: PNG });
	await page.waitForFunction(() => {
		const i = document.querySelector('#me img.avatar');
		return i && i.complete && i.naturalWidth === 2;
	});
	// the other session is listed and can be ended
	await page.waitForSelector('.sessions li:has-text("Another browser")');
	await page.click('.sessions .end-session');
	await page.waitForFunction(() =>
		!document.querySelector('.sessions .end-session'));
	await other.page.reload();
	await other.page.waitForSelector('#login:not([hidden])');
	await other.context.close();
	// the password: the wrong current one is refused
	await page.fill('#password-current', 'not it at all');
	await page.fill('#password-new', 'second password 2');
	await page.fill('#password-again', 'second password 2');
	await page.click('button:text("Change password")');
	await page.waitForSelector('.card .error:text("current password is ' +
		'wrong")');
	await page.fill('#password-current', who.password);
	await page.click('button:text("Change password")');
	await page.waitForSelector('.toast:has-text("Password changed.")');
	await page.click('#logout');
	await signIn(page, env.tamed, { email: who.email,
		password: 'second password 2' });
	// her replies carry the signature
	const id = await env.tamed.deliver({ subject: 'Signed reply',
		text: 'Who answers?' });
	await page.goto(env.tamed.url + '/#/t/' + id + '?compose=reply');
	await page.waitForSelector('.sig-row:not([hidden])');
	await page.keyboard.type('Mara here, I will help.');
	const before = env.sink.messages.length;
	await page.keyboard.press('Control+Enter');
	const mail = await waitFor(() => env.sink.messages.slice(before).find(
		(m) => m.raw.includes('Mara here')), { what: 'the signed reply' });
	// quoted-printable: the "-- " line is "--=20"
	assert.match(mail.raw, /I will help\.\r\n\r\n--=20\r\nMara, Support team/);
	assertClean(seen);
	await context.close();
});

// ---- tags admin and assignees' avatars (issue 3)

const tagsOf = async (id) => (await env.tamed.api('GET', '/tickets/' + id))
	.ticket.tags;

test('admin: tags listed with counts, renamed, merged and deleted',
	async () => {
		const [a, b, c] = [
			await env.tamed.deliver({ subject: 'Tagged one' }),
			await env.tamed.deliver({ subject: 'Tagged two' }),
			await env.tamed.deliver({ subject: 'Tagged three' })];
		await env.tamed.api('PATCH', '/tickets/' + a,
			{ tags: ['adm billing'] });
		await env.tamed.api('PATCH', '/tickets/' + b,
			{ tags: ['adm billing', 'adm money'] });
		await env.tamed.api('PATCH', '/tickets/' + c,
			{ tags: ['adm spam'], status: 'solved' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		// g l goes to the tags page
		await page.locator('.rows').focus();
		await page.keyboard.press('g');
		await page.keyboard.press('l');
		await page.waitForSelector('h1:text("Tags")');
		const row = (tag) => page.locator('tr[data-tag="' + tag + '"]');
		await row('adm billing').waitFor();
		assert.deepEqual(await row('adm billing').locator('td.num')
			.allTextContents(), ['2', '2']);
		assert.deepEqual(await row('adm spam').locator('td.num')
			.allTextContents(), ['1', '0']);
		// an empty name is no rename: said, and the name comes back
		await row('adm spam').locator('input.tag-name').fill('  ');
		await row('adm spam').locator('input.tag-name').press('Enter');
		await page.waitForSelector('.toast:has-text("A tag needs a name")');
		assert.equal(await row('adm spam').locator('input.tag-name')
			.inputValue(), 'adm spam');
		// rename: type the new name, Enter
		await row('adm spam').locator('input.tag-name').fill('adm junk');
		await row('adm spam').locator('input.tag-name').press('Enter');
		await row('adm junk').waitFor();
		assert.equal(await row('adm spam').count(), 0);
		assert.deepEqual(await tagsOf(c), ['adm junk']);
		// rename into a tag in use: asked first, then merged
		await row('adm billing').locator('input.tag-name').fill('adm money');
		await row('adm billing').locator('button:text("Rename")').click();
		await page.waitForSelector('dialog.modal:has-text("merge the two")');
		await page.click('dialog.modal button:text("Merge")');
		await page.waitForFunction(() => !document.querySelector(
			'tr[data-tag="adm billing"]'));
		assert.deepEqual(await row('adm money').locator('td.num')
			.allTextContents(), ['2', '2']);
		assert.deepEqual(await tagsOf(a), ['adm money']);
		assert.deepEqual(await tagsOf(b), ['adm money']);
		// the ticket's history has the change
		const events = (await env.tamed.api('GET', '/tickets/' + a)).ticket
			.events.filter((e) => e.kind === 'tag.renamed');
		assert.equal(events.length, 1);
		// "adm money" typed with a combining accent is the one in use:
		// asked before the merge
		await env.tamed.api('PATCH', '/tickets/' + c,
			{ tags: ['adm junk', 'adm caf\u00e9'] });
		await page.reload();
		await row('adm caf\u00e9').waitFor();
		await row('adm money').locator('input.tag-name').fill(
			'adm cafe\u0301');
		await row('adm money').locator('input.tag-name').press('Enter');
		await page.waitForSelector('dialog.modal:has-text("merge the two")');
		await page.click('dialog.modal button:text("Cancel")');
		assert.deepEqual(await tagsOf(a), ['adm money']);
		// delete: asked first, Cancel keeps it
		await row('adm money').locator('button.delete-tag').click();
		await page.click('dialog.modal button:text("Cancel")');
		assert.deepEqual(await tagsOf(a), ['adm money']);
		await row('adm money').locator('button.delete-tag').click();
		await page.waitForSelector('dialog.modal:has-text("from 2 tickets")');
		await page.click('dialog.modal button:text("Delete")');
		await page.waitForFunction(() => !document.querySelector(
			'tr[data-tag="adm money"]'));
		assert.deepEqual(await tagsOf(a), []);
		assert.deepEqual(await tagsOf(b), []);
		assertClean(seen);
		await context.close();
		// an agent has no tags page in the navigation and cannot change
		// them from its address
		const other = await watchedPage(env.browser, env.tamed);
		await signIn(other.page, env.tamed, AGENT);
		await other.page.waitForSelector('.views a:text("Your profile")');
		assert.equal(await other.page.locator('.views a:text("Tags")')
			.count(), 0);
		await other.page.goto(env.tamed.url + '/#/admin/tags');
		await other.page.waitForSelector('tr[data-tag="adm junk"]');
		await other.page.waitForSelector('text=Only an admin can change ' +
			'this.');
		assert.equal(await other.page.locator('tr[data-tag="adm junk"] ' +
			'input.tag-name').isDisabled(), true);
		assert.equal(await other.page.locator('button.delete-tag').count(),
			0);
		assertClean(other.seen);
		await other.context.close();
	});

test('inbox: each row shows the assignee\'s avatar, or initials',
	async () => {
		const who = { email: 'avery@example.com',
			password: 'avery password 1' };
		const avery = await env.tamed.api('POST', '/agents', {
			email: who.email, name: 'Avery Quinn', password: who.password,
			role: 'agent' });
		// Avery uploads a picture on her profile page
		const mine = await watchedPage(env.browser, env.tamed);
		await signIn(mine.page, env.tamed, who);
		await mine.page.goto(env.tamed.url + '/#/profile');
		await mine.page.setInputFiles('#avatar-file', { name: 'me.png',
			mimeType: 'image/png', buffer: PNG });
		await mine.page.waitForFunction(() => {
			const i = document.querySelector('#me img.avatar');
			return i && i.complete && i.naturalWidth === 2;
		});
		assertClean(mine.seen);
		await mine.context.close();
		const grace = (await env.tamed.api('GET', '/agents')).agents.find(
			(x) => x.email === AGENT.email);
		assert.equal(grace.avatar_url, null);
		const ids = [
			await env.tamed.deliver({ subject: 'Avatar row one' }),
			await env.tamed.deliver({ subject: 'Avatar row two' }),
			await env.tamed.deliver({ subject: 'Initials row' })];
		for (const [id, agent] of [[ids[0], avery.id], [ids[1], avery.id],
			[ids[2], grace.id]])
			await env.tamed.api('PATCH', '/tickets/' + id,
				{ assignee_id: agent, status: 'open' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		const fetched = [];
		context.on('request', (r) => {
			if (/\/api\/v1\/agents\/\d+\/avatar/.test(r.url()))
				fetched.push(r.url());
		});
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/inbox/open');
		for (const id of ids.slice(0, 2))
			await page.waitForFunction((rid) => {
				const i = document.querySelector('#row-' + rid +
					' img.avatar.assignee');
				return i && i.complete && i.naturalWidth === 2;
			}, ids[0] === id ? ids[0] : id);
		const src = await page.getAttribute('#row-' + ids[0] +
			' img.avatar.assignee', 'src');
		assert.match(src, new RegExp('^/api/v1/agents/' + avery.id +
			'/avatar\\?v=\\d+$'));
		assert.equal(await page.getAttribute('#row-' + ids[0] +
			' img.avatar', 'title'), 'Avery Quinn');
		// no picture: initials
		assert.equal((await page.textContent('#row-' + ids[2] +
			' span.avatar.assignee')).trim(), 'GH');
		// one request for the picture, however many rows show it
		assert.equal(fetched.filter((u) => u.includes('/agents/' +
			avery.id + '/')).length, 1);
		assertClean(seen);
		await context.close();
	});
