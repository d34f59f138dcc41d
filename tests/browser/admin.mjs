// admin.mjs - the admin pages (agents, mailboxes) and an agent's own
// profile page, driven as a person would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, AGENT } from './lib.mjs';
import { env, assertClean } from './fixture.mjs';

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
		await row.locator('select.role').selectOption('admin');
		await waitFor(async () => (await agentBy('linus@example.com'))
			.role === 'admin', { what: 'the new role' });
		await row.locator('button.toggle:text("Disable")').click();
		await page.waitForSelector('tr[data-email="linus@example.com"] ' +
			'.pill:text("disabled")');
		assert.equal((await agentBy('linus@example.com')).disabled, true);
		// a disabled agent cannot sign in
		const other = await watchedPage(env.browser, env.tamed);
		await other.page.goto(env.tamed.url + '/');
		await other.page.fill('#login-email', 'linus@example.com');
		await other.page.fill('#login-password', 'a long new password');
		await other.page.press('#login-password', 'Enter');
		await other.page.waitForSelector('#login-error:not(:empty)');
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
