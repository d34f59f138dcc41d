// inline.mjs - an HTML mail's own inline image (multipart/related, the
// HTML naming it <img src="cid:...">, RFC 2392) shows in place, loaded
// from tamed, with no request elsewhere and no CSP violation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, signIn, waitFor, MAILBOX } from './lib.mjs';
import { env, assertClean } from './fixture.mjs';

// A 2x1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAA' +
	'DklEQVR4nGP4z8DwHwQBEPgD/U6VwW8AAAAASUVORK5CYII=';

function relatedMail(subject) {
	return { raw: [
		'From: Ivy Inline <ivy@example.org>', 'To: ' + MAILBOX,
		'Subject: ' + subject, 'Message-ID: <inline.' + Date.now() +
			'@browser.test>', 'MIME-Version: 1.0',
		'Content-Type: multipart/related; boundary="rel"', '',
		'--rel', 'Content-Type: text/html; charset=utf-8', '',
		'<p>Our logo:</p><img src="cid:logo&amp;1@x" alt="logo">',
		'--rel', 'Content-Type: image/png',
		'Content-ID: <logo&1@x>', 'Content-Transfer-Encoding: base64', '',
		PNG, '--rel--', ''].join('\r\n') };
}

test('an inline image of an HTML mail shows in place', async () => {
	const { page, seen } = await watchedPage(env.browser, env.tamed);
	await env.tamed.send(relatedMail('Inline logo'));
	const t = await waitFor(async () => (await env.tamed.api('GET',
		'/tickets?q=' + encodeURIComponent('"Inline logo"'))).tickets[0],
		{ what: 'the ticket of the inline image' });
	await signIn(page, env.tamed);
	await page.goto(env.tamed.url + '/#/t/' + t.id);
	const frame = await (await page.waitForSelector('.msg.in iframe.html'))
		.contentFrame();
	const img = await frame.waitForSelector('img[alt="logo"]');
	await waitFor(() => img.evaluate((i) => i.complete && i.naturalWidth > 0),
		{ what: 'the inline image to load' });
	assert.equal(await img.evaluate((i) => i.naturalWidth), 2);
	assert.match(await img.getAttribute('src'),
		/^\/api\/v1\/tickets\/\d+\/attachments\/\d+$/);
	assertClean(seen);
	await page.context().close();
});
