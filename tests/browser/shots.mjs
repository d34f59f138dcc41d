// shots.mjs - the screenshots in docs/ (only with TAME_SCREENSHOTS=DIR):
// a queue as a team sees it, on a tamed of its own, light and dark.

import { test } from 'node:test';
import path from 'node:path';
import { Tamed, watchedPage, signIn, sleep, ADMIN, AGENT, ROOT }
	from './lib.mjs';
import { env } from './fixture.mjs';

// A queue as a team sees it, for the screenshots in docs/: the first
// mail is an old, solved case like the one shown; three customers
// report the same problem (a trend); one is angry.
const SAMPLE = [
	['Olaf Berg <olaf@example.at>', 'Wrong VAT on my invoice',
		'My invoice has 19% VAT but we are an Austrian company, the rate ' +
		'is 20%. Please correct the invoice.', { status: 'solved',
		answer: 'Hello Olaf, finance sent you a corrected invoice with ' +
			'20% VAT; sorry for the mix-up.' }],
	['Erin Example <erin@example.org>', 'Invoice shows the wrong VAT rate',
		'Hi,\n\nmy invoice for March (INV-2031) shows 19% VAT but we are in ' +
		'Austria, so it should be 20%.\nCould you send a corrected one?\n\n' +
		'Thanks,\nErin\n\nOn Tue, 3 Mar 2026, Support wrote:\n> Here is ' +
		'your invoice.', { tags: ['billing', 'vat'], priority: 'high' }],
	['Farid Haddad <farid@example.net>', 'Export to CSV times out',
		'The export of our 40,000 contacts stops after a minute with a ' +
		'gateway error.', { tags: ['export'], priority: 'urgent' }],
	['Grete Berg <grete@example.com>', 'How do I add a second admin?',
		'We want our office manager to be able to manage users too.', {}],
	['Hiro Tanaka <hiro@example.jp>', 'Password reset mail never arrives',
		'The password reset email never arrives. I asked three times ' +
		'today, nothing in the inbox or spam.', { tags: ['login'] }],
	['Ines Duarte <ines@example.pt>', 'Thanks for the quick fix!',
		'Everything works again, great job.', { status: 'solved' }],
	['Jonas Weber <jonas@example.de>', 'API returns 429 for every call',
		'Since the update our integration only gets 429 Too Many ' +
		'Requests.', { tags: ['api'], assign: 'grace', sticky: true }],
	['Kaja Nowak <kaja@example.pl>', 'Can we pay by bank transfer?',
		'Our finance team prefers bank transfer over card payments.',
		{ tags: ['billing'], assign: 'ada' }],
	['Luis Ortega <luis@example.mx>', 'Dark mode for the mobile app?',
		'Is there a dark mode planned for the app? My eyes would thank ' +
		'you.', { priority: 'low' }],
	['Mia Svensson <mia@example.se>', 'No password reset email',
		'The password reset email never arrives, I tried twice and ' +
		'checked spam.', {}],
	['Noah Klein <noah@example.de>', 'Reset password mail missing',
		'I requested a password reset email an hour ago and it never ' +
		'arrived.', {}],
	['Pablo Ruiz <pablo@example.es>', 'Still waiting, this is unacceptable',
		'This is UNACCEPTABLE!!! Three weeks and nobody answers my ' +
		'emails. I am furious.', { priority: 'high' }],
];

async function sampleQueue(t) {
	const agents = (await t.api('GET', '/agents')).agents;
	const who = { ada: agents.find((a) => a.email === ADMIN.email).id,
		grace: agents.find((a) => a.email === AGENT.email).id };
	let show = null;
	for (const [from, subject, text, o] of SAMPLE) {
		const id = await t.deliver({ from, subject, text });
		const p = {};
		if (o.tags)
			p.tags = o.tags;
		if (o.priority)
			p.priority = o.priority;
		if (o.status)
			p.status = o.status;
		if (o.assign)
			p.assignee_id = who[o.assign];
		if (o.answer)
			await t.api('POST', '/tickets/' + id + '/replies',
				{ text: o.answer, status: 'solved' });
		if (Object.keys(p).length)
			await t.api('PATCH', '/tickets/' + id, p);
		if (o.sticky)
			for (let i = 0; i < 6; i++) {
				await t.api('POST', '/tickets/' + id + '/replies', {
					text: 'Could you send us the request id?',
					status: 'open' });
				await t.api('POST', '/tickets/' + id + '/notes',
					{ text: 'Still failing for them.' });
			}
		if (!show && !o.status)
			show = id;
	}
	await t.api('POST', '/saved-replies', { title: 'Corrected invoice',
		shared: true, body: 'Hello {{customer.first_name}},\n\nhere is ' +
			'your corrected invoice.\n\nBest,\n{{agent.first_name}}' });
	await t.api('POST', '/tickets/' + show + '/followers',
		{ agent_id: who.grace });
	await t.api('POST', '/tickets/' + show + '/replies', {
		text: 'Hello Erin,\n\nyou are right, and sorry for the trouble. ' +
			'I have asked our finance team for a corrected invoice; you ' +
			'will have it today.\n\nBest,\nAda', status: 'open' });
	await t.api('POST', '/tickets/' + show + '/notes',
		{ text: 'Austrian customers get 20% since the move; checking ' +
			'with finance.' });
	return show;
}

test('screenshots of the inbox, a ticket and a bulk reply', async (t) => {
	const dir = process.env.TAME_SCREENSHOTS &&
		path.resolve(ROOT, process.env.TAME_SCREENSHOTS);
	if (!dir) {
		t.skip('TAME_SCREENSHOTS not set');
		return;
	}
	const shop = await new Tamed().start();
	try {
		const id = await sampleQueue(shop);
		for (const scheme of ['light', 'dark']) {
			const { page, context } = await watchedPage(env.browser, shop,
				{ colorScheme: scheme, viewport: { width: 1280,
					height: 820 } });
			await signIn(page, shop);
			await page.goto(shop.url + '/#/inbox/all?sort=oldest');
			await page.waitForSelector('.row');
			await page.waitForSelector('.trends a', { timeout: 15000 });
			await page.keyboard.press('j');
			await sleep(300);
			await page.screenshot({ path: path.join(dir, 'inbox-' +
				scheme + '.png') });
			// a colleague on the same ticket, writing
			const grace = await watchedPage(env.browser, shop,
				{ colorScheme: scheme });
			await signIn(grace.page, shop, AGENT);
			await grace.page.goto(shop.url + '/#/t/' + id + '?compose=reply');
			await grace.page.waitForSelector('.msg.note');
			await grace.page.keyboard.type('Hi Erin');
			await page.goto(shop.url + '/#/t/' + id);
			await page.waitForSelector('.msg.note');
			await page.waitForSelector('.similar li');
			await page.keyboard.press('r');
			await page.keyboard.type('Hello Erin, thank you for your ' +
				'pateince. ');
			await page.waitForSelector('.presence.typing');
			await page.waitForSelector('mark.misspelt');
			await page.setViewportSize({ width: 1280, height: 1100 });
			await page.evaluate(() => document.getElementById('main')
				.scrollTo(0, 0));
			await sleep(300);
			await page.screenshot({ path: path.join(dir, 'ticket-' +
				scheme + '.png') });
			await grace.context.close();
			await page.setViewportSize({ width: 1280, height: 820 });
			if (scheme === 'light') {
				// many at once: three tickets selected, reply to all
				await page.fill('#composer-text', '');
				await page.goto(shop.url + '/#/inbox/open?sort=oldest');
				await page.waitForSelector('.row');
				await page.locator('.rows').focus();
				for (let i = 0; i < 3; i++) {
					await page.keyboard.press('x');
					await page.keyboard.press('j');
				}
				await page.keyboard.press('r');
				await page.fill('#bulk-text', 'Hello {{customer.first_name}}' +
					',\n\nthanks for your patience: this is fixed now.');
				await sleep(300);
				await page.screenshot({ path: path.join(dir,
					'bulk-light.png') });
			}
			await context.close();
		}
	} finally {
		await shop.stop();
	}
});
