// original.mjs - "View original" and "Show remote images": the raw mail
// opens as inert text; remote images of an HTML mail load only after
// the agent's click, in place, and nothing in any hostile mail runs
// before or after it. The "remote" host is a local HTTP server that
// counts every connection it gets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { watchedPage, signIn, waitFor, sleep } from './lib.mjs';
import { env } from './fixture.mjs';
import { xssMails } from './xss.mjs';

// A 2x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAA' +
	'DklEQVR4nGP4z8DwHwQBEPgD/U6VwW8AAAAASUVORK5CYII=', 'base64');

// The "remote" image host: every TCP connection and HTTP request is
// kept; PNG for *.png but /missing.png.
async function remoteHost() {
	const seen = { connections: 0, paths: [] };
	const server = http.createServer((req, res) => {
		seen.paths.push(req.url);
		if (/\.png$/.test(req.url) && req.url !== '/missing.png') {
			res.writeHead(200, { 'Content-Type': 'image/png',
				'Cache-Control': 'no-store' });
			res.end(PNG);
		} else {
			res.writeHead(404);
			res.end();
		}
	});
	server.on('connection', () => { seen.connections++; });
	server.on('clientError', (e, sock) => sock.destroy());
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	return {
		seen, host: '127.0.0.1:' + server.address().port,
		stop: () => new Promise((r) => {
			server.closeAllConnections();
			server.close(() => r());
		}),
	};
}

async function pwned(page) {
	for (const f of page.frames()) {
		const v = await f.evaluate(() => window.__pwned).catch(() => undefined);
		if (v !== undefined)
			return f.url() || 'a frame';
	}
	return null;
}

test('remote images load only after "Show remote images", and no script ' +
	'runs before or after', async () => {
	const remote = await remoteHost();
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	try {
		const mails = xssMails(remote.host).map((m) => ({ ...m,
			subject: 'Remote: ' + m.subject }));
		const ids = [];
		for (const m of mails)
			ids.push([await env.tamed.deliver(m), m]);
		await signIn(page, env.tamed);
		// the app's own policy stays strict
		const csp = (await fetch(env.tamed.url + '/')).headers
			.get('content-security-policy');
		assert.match(csp, /img-src 'self' data:;/);
		assert.doesNotMatch(csp, /http:|https:|unsafe/);
		const allowed = new Set();
		for (const [id, m] of ids) {
			const c0 = remote.seen.connections;
			await page.goto(env.tamed.url + '/#/t/' + id);
			await page.waitForSelector('.msg.in');
			// the frames' load handlers (which offer the images) have run
			await page.waitForFunction(() => [...document.querySelectorAll(
				'.msg.in iframe')].every((f) => f.style.height));
			await sleep(300);
			assert.equal(remote.seen.connections, c0, m.subject +
				': the remote host was called before any click');
			const button = await page.$('.msg.in .show-remote');
			if (!m.images) {
				assert.equal(button, null, m.subject + ': nothing to show');
				assert.equal(await pwned(page), null, m.subject);
				continue;
			}
			assert.ok(button, m.subject + ': no "Show remote images"');
			for (const p of m.images)
				allowed.add('http://' + remote.host + p);
			const before = remote.seen.paths.length;
			await button.click();
			await page.waitForSelector('.msg.in .remote:text("shown")');
			await waitFor(() => m.images.every((p) =>
				remote.seen.paths.slice(before).includes(p)),
			{ what: m.subject + ': its images asked for' });
			const frame = await (await page.$('.msg.in iframe'))
				.contentFrame();
			// in place, in the same sandboxed frame, from tamed
			assert.match(frame.url(), new RegExp('/api/v1/tickets/' + id +
				'/messages/\\d+/html\\?remote=1$'));
			assert.equal(await page.getAttribute('.msg.in iframe',
				'sandbox'), 'allow-same-origin');
			const shown = m.images.filter((p) => p !== '/missing.png');
			await frame.waitForFunction((want) => want.every((p) =>
				Array.from(document.images).some((i) => i.complete &&
					i.naturalWidth === 2 && new URL(i.src).pathname === p)),
			shown);
			await sleep(200);
			assert.equal(await pwned(page), null, m.subject);
			// the frame still held back nothing else
			for (const p of remote.seen.paths)
				assert.ok(allowed.has('http://' + remote.host + p),
					m.subject + ': asked for ' + p);
		}
		// only the images were asked for, and https://H/pixel.gif, which
		// this plain HTTP host cannot answer
		for (const u of seen.remote)
			assert.ok(allowed.has(u) || u === 'https://' + remote.host +
				'/pixel.gif', 'request for ' + u);
		assert.deepEqual(seen.dialogs, [], 'a dialog was opened');
		assert.deepEqual(seen.errors, [], 'the page threw');
		assert.equal(await page.evaluate(() =>
			document.querySelectorAll('script').length), 1);
	} finally {
		await context.close();
		await remote.stop();
	}
});

test('remote images stay shown while the ticket changes, not after a ' +
	'reload', async () => {
	const remote = await remoteHost();
	const { page, seen, context } = await watchedPage(env.browser,
		env.tamed);
	try {
		const id = await env.tamed.deliver({ subject: 'Remote logo',
			text: 'plain',
			html: '<p>Our logo:</p><img src="http://' + remote.host +
				'/logo.png" alt="logo"><blockquote>older</blockquote>' });
		await signIn(page, env.tamed);
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.click('.msg.in .show-remote');
		await waitFor(() => remote.seen.paths.includes('/logo.png'),
			{ what: 'the logo asked for' });
		// the quoted history still folds and unfolds in the new document
		let frame = await (await page.$('.msg.in iframe')).contentFrame();
		await frame.waitForSelector('img[src$="/logo.png"]');
		assert.equal(await (await frame.$('blockquote')).isVisible(), false);
		assert.equal(await page.locator('.msg.in .quote-toggle').count(), 1);
		await page.click('.msg.in .quote-toggle');
		assert.equal(await (await frame.$('blockquote')).isVisible(), true);
		// a change re-renders the conversation: the choice is kept
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'looking into it' });
		await page.waitForSelector('.msg.note');
		assert.match(await page.getAttribute('.msg.in iframe', 'src'),
			/\?remote=1$/);
		// a reload starts from the safe default again
		const n = remote.seen.connections;
		await page.reload();
		await page.waitForSelector('.msg.in .show-remote');
		await sleep(300);
		assert.equal(remote.seen.connections, n);
		frame = await (await page.$('.msg.in iframe')).contentFrame();
		assert.equal(await frame.$('img[src]'), null);
		assert.deepEqual(seen.dialogs, []);
		assert.deepEqual(seen.errors, []);
	} finally {
		await context.close();
		await remote.stop();
	}
});

test('"View original" opens the mail as it arrived, as inert text',
	async () => {
		const P = 'top.__pwned=1;alert(1)';
		const id = await env.tamed.deliver({ subject: 'Original please',
			text: 'see the html', html: '<p>hi</p><script>' + P +
				'</script><img src=x onerror="' + P + '">' });
		const { page, seen, context } = await watchedPage(env.browser,
			env.tamed);
		await signIn(page, env.tamed);
		await env.tamed.api('POST', '/tickets/' + id + '/notes',
			{ text: 'a note has no original' });
		await page.goto(env.tamed.url + '/#/t/' + id);
		await page.waitForSelector('.msg.note');
		assert.equal(await page.locator('.msg.note a.original').count(), 0);
		const link = page.locator('.msg.in a.original');
		assert.equal(await link.textContent(), 'View original');
		const t = (await env.tamed.api('GET', '/tickets/' + id)).ticket;
		assert.equal(await link.getAttribute('href'), '/api/v1/tickets/' +
			id + '/messages/' + t.messages[0].id + '/raw');
		const popupSeen = [];
		let resp = null;
		context.on('response', (r) => {
			if (/\/raw$/.test(r.url()))
				resp = r;
		});
		const [popup] = await Promise.all([
			context.waitForEvent('page'), link.click()]);
		popup.on('dialog', (d) => {
			popupSeen.push(d.message());
			d.dismiss().catch(() => {});
		});
		await popup.waitForLoadState();
		await waitFor(() => resp, { what: 'the answer of .../raw' });
		assert.equal(resp.status(), 200);
		assert.match(resp.headers()['content-type'], /^text\/plain/);
		assert.match(resp.headers()['content-security-policy'], /sandbox/);
		const text = await popup.textContent('body');
		assert.match(text, /^Return-Path: <carol@example.org>\nReceived: /);
		assert.match(text, /Subject: Original please/);
		assert.ok(text.includes('<script>' + P + '</script>'),
			'the script is shown as text');
		await sleep(200);
		assert.deepEqual(popupSeen, []);
		assert.equal(await popup.evaluate(() => window.__pwned)
			.catch(() => undefined), undefined);
		assert.deepEqual(seen.dialogs, []);
		assert.deepEqual(seen.remote, []);
		assert.deepEqual(seen.errors, []);
		await context.close();
	});
