// lib.mjs - what the browser tests stand on: a real tamed on loopback
// (its own data directory and free ports, set up with the tame command),
// a tiny SMTP client to send it mail, an SMTP sink that plays the relay
// and keeps what tamed sends (refusing refused@ addresses), and Debian's
// chromium driven by playwright-core. Every process started here is
// stopped by its PID.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
	'..', '..');
const BUILD = path.resolve(ROOT, process.env.TAME_BUILD || 'build');
export const ADMIN = { email: 'admin@example.com', name: 'Ada Admin',
	password: 'correct horse battery staple' };
export const AGENT = { email: 'grace@example.com', name: 'Grace Hopper',
	password: 'another long password' };
export const MAILBOX = 'support@example.com';

// A port nobody listens on, for a server started later. It is taken
// outside the kernel's ephemeral range (from 15000 up to it, or above it
// when it starts lower): a port from that range, free when asked, can be
// some client connection's source port by the time the server binds it
// ("Address already in use"). tests/e2e/conftest.py does the same.
function portSpan() {
	let [lo, hi] = [32768, 60999];
	try {
		[lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range',
			'utf8').trim().split(/\s+/).map(Number);
	} catch {
		// not Linux: the default range
	}
	return lo > 16000 ? [15000, lo] : hi < 64000 ? [hi + 1, 65536] : [0, 0];
}

const given = new Set();

export async function freePort() {
	const [lo, hi] = portSpan();
	for (;;) {
		const want = hi ? lo + Math.floor(Math.random() * (hi - lo)) : 0;
		const port = await new Promise((resolve) => {
			const s = net.createServer();
			s.on('error', () => resolve(null));
			s.listen(want, '127.0.0.1', () => {
				const { port } = s.address();
				s.close(() => resolve(port));
			});
		});
		if (port !== null && !given.has(port)) {
			given.add(port);
			return port;
		}
	}
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn, { timeout = 10000, interval = 50,
	what = 'condition' } = {}) {
	const end = Date.now() + timeout;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error('timed out waiting for ' + what);
		await sleep(interval);
	}
}

// ---- SMTP sink (the relay tamed sends replies through)

export class SmtpSink {
	constructor() {
		this.messages = [];
		this.server = net.createServer((sock) => this.session(sock));
	}

	async start() {
		this.port = await freePort();
		await new Promise((r) => this.server.listen(this.port, '127.0.0.1',
			r));
		return this;
	}

	session(sock) {
		let buf = '';
		let data = null;
		let env = { from: null, to: [] };
		sock.setEncoding('latin1');
		sock.write('220 sink ESMTP\r\n');
		sock.on('data', (chunk) => {
			buf += chunk;
			for (;;) {
				if (data !== null) {
					const end = buf.indexOf('\r\n.\r\n');
					if (end < 0)
						return;
					data += buf.slice(0, end);
					buf = buf.slice(end + 5);
					this.messages.push({ ...env, raw: data.replace(
						/^\.\./gm, '.') });
					data = null;
					env = { from: null, to: [] };
					sock.write('250 2.0.0 kept\r\n');
					continue;
				}
				const nl = buf.indexOf('\r\n');
				if (nl < 0)
					return;
				const line = buf.slice(0, nl);
				buf = buf.slice(nl + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO' || verb === 'HELO')
					sock.write('250-sink\r\n250 8BITMIME\r\n');
				else if (verb === 'MAIL') {
					env.from = line.replace(/^MAIL FROM:\s*/i, '');
					sock.write('250 ok\r\n');
				} else if (verb === 'RCPT' && /<refused@/i.test(line)) {
					// an address the relay refuses, for a reply that fails
					sock.write('550 5.1.1 no such mailbox here\r\n');
				} else if (verb === 'RCPT') {
					env.to.push(line.replace(/^RCPT TO:\s*/i, ''));
					sock.write('250 ok\r\n');
				} else if (verb === 'DATA') {
					data = '';
					sock.write('354 go on\r\n');
				} else if (verb === 'QUIT') {
					sock.end('221 bye\r\n');
				} else {
					sock.write('250 ok\r\n');
				}
			}
		});
		sock.on('error', () => {});
	}

	stop() {
		return new Promise((r) => this.server.close(() => r()));
	}
}

// ---- SMTP client

// Sends raw (a whole RFC 5322 message, lines ending in CRLF) to the
// SMTP server at port. Resolves with the last reply.
export function smtpSend(port, from, to, raw) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		const steps = [
			null, 'EHLO browser.test', 'MAIL FROM:<' + from + '>',
			'RCPT TO:<' + to + '>', 'DATA',
			raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..') +
				'\r\n.', 'QUIT'];
		let buf = '';
		let last = '';
		sock.setEncoding('utf8');
		sock.setTimeout(10000, () => sock.destroy(new Error('smtp timeout')));
		sock.on('error', reject);
		sock.on('data', (chunk) => {
			buf += chunk;
			let m;
			while ((m = buf.match(/^(\d{3})([ -])(.*)\r\n/))) {
				buf = buf.slice(m[0].length);
				if (m[2] === '-')
					continue;
				last = m[0].trim();
				if (m[1][0] !== '2' && m[1][0] !== '3') {
					sock.destroy();
					reject(new Error('SMTP refused: ' + last));
					return;
				}
				steps.shift();
				if (!steps.length) {
					sock.end();
					resolve(last);
					return;
				}
				sock.write(steps[0] + '\r\n');
			}
		});
	});
}

let seq = 0;

// A mail as a client would write it. html: an HTML alternative.
export function makeMail({ from = 'Carol Customer <carol@example.org>',
	to = MAILBOX, subject = 'Hello', text = 'Hello there.',
	html = null, headers = {}, attachments = [] } = {}) {
	const id = '<' + Date.now() + '.' + (++seq) + '@browser.test>';
	const head = ['From: ' + from, 'To: ' + to, 'Subject: ' + subject,
		'Date: ' + new Date().toUTCString(), 'Message-ID: ' + id,
		'MIME-Version: 1.0'];
	for (const [k, v] of Object.entries(headers))
		head.push(k + ': ' + v);
	const parts = [];
	parts.push('Content-Type: text/plain; charset=utf-8\r\n' +
		'Content-Transfer-Encoding: 8bit\r\n\r\n' + text);
	if (html !== null)
		parts.push('Content-Type: text/html; charset=utf-8\r\n' +
			'Content-Transfer-Encoding: 8bit\r\n\r\n' + html);
	let body;
	if (parts.length === 1 && !attachments.length) {
		head.push(parts[0].split('\r\n\r\n')[0]);
		body = text;
	} else {
		const b = 'b' + Date.now() + seq;
		const alt = 'a' + Date.now() + seq;
		const mixed = attachments.length > 0;
		const altBody = parts.length > 1 ?
			'Content-Type: multipart/alternative; boundary="' + alt +
			'"\r\n\r\n' + parts.map((p) => '--' + alt + '\r\n' + p +
			'\r\n').join('') + '--' + alt + '--' : parts[0];
		if (!mixed) {
			head.push(altBody.split('\r\n\r\n')[0]);
			body = altBody.slice(altBody.indexOf('\r\n\r\n') + 4);
		} else {
			head.push('Content-Type: multipart/mixed; boundary="' + b + '"');
			body = '--' + b + '\r\n' + altBody + '\r\n' +
				attachments.map((a) => '--' + b + '\r\nContent-Type: ' +
				a.type + '; name="' + a.name + '"\r\n' +
				'Content-Disposition: attachment; filename="' + a.name +
				'"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
				Buffer.from(a.data).toString('base64')
					.replace(/.{76}/g, '$&\r\n') + '\r\n').join('') +
				'--' + b + '--';
		}
	}
	return { id, raw: head.join('\r\n') + '\r\n\r\n' + body + '\r\n' };
}

// ---- tamed

function tame(data, args, input) {
	const r = spawnSync(path.join(BUILD, 'tame'), ['--data', data, ...args],
		{ input: input || '', encoding: 'utf8', timeout: 30000 });
	if (r.status !== 0)
		throw new Error('tame ' + args.join(' ') + ' failed: ' + r.stderr);
	return r.stdout.trim();
}

export class Tamed {
	async start(opts = {}) {
		this.data = fs.mkdtempSync(path.join(os.tmpdir(), 'tame-browser-'));
		try {
			return await this.setup(opts);
		} catch (e) {
			await this.stop();
			throw e;
		}
	}

	async setup({ relayPort }) {
		tame(this.data, ['user', 'add', '--email', ADMIN.email, '--name',
			ADMIN.name, '--role', 'admin', '--password-stdin'],
		ADMIN.password + '\n');
		tame(this.data, ['user', 'add', '--email', AGENT.email, '--name',
			AGENT.name, '--role', 'agent', '--password-stdin'],
		AGENT.password + '\n');
		tame(this.data, ['mailbox', 'add', '--address', MAILBOX, '--name',
			'Support']);
		this.token = tame(this.data, ['token', 'add', '--email',
			ADMIN.email]);
		this.httpPort = await freePort();
		this.smtpPort = await freePort();
		const args = ['--data', this.data, '--http', '127.0.0.1:' +
			this.httpPort, '--smtp', '127.0.0.1:' + this.smtpPort];
		if (relayPort)
			args.push('--relay', 'smtp://127.0.0.1:' + relayPort);
		this.log = fs.openSync(path.join(this.data, 'tamed.log'), 'a');
		this.proc = spawn(path.join(BUILD, 'tamed'), args,
			{ stdio: ['ignore', this.log, this.log] });
		this.url = 'http://127.0.0.1:' + this.httpPort;
		await waitFor(async () => {
			try {
				return (await fetch(this.url + '/api/v1/health')).ok;
			} catch (e) {
				return false;
			}
		}, { what: 'tamed to answer' });
		return this;
	}

	// The API with the admin's token.
	async api(method, p, body) {
		const r = await fetch(this.url + '/api/v1' + p, {
			method,
			headers: { Authorization: 'Bearer ' + this.token,
				'Content-Type': 'application/json' },
			body: body ? JSON.stringify(body) : undefined,
		});
		if (!r.ok)
			throw new Error(method + ' ' + p + ': ' + r.status + ' ' +
				await r.text());
		return r.status === 204 ? null : r.json();
	}

	// Waits until tamed's live events have been still for ms (the
	// intelligence reads new mail a moment after it came and tells the
	// views what it found): a page opened then sees no change it did
	// not make. Gives up, saying so, after max.
	async quiet(ms = 2500, max = 30000) {
		const stop = new AbortController();
		const r = await fetch(this.url + '/api/v1/events', {
			headers: { Authorization: 'Bearer ' + this.token },
			signal: stop.signal });
		if (!r.ok)
			throw new Error('GET /events: ' + r.status);
		const start = Date.now();
		let last = start, timer;
		const reader = r.body.getReader(), text = new TextDecoder();
		const still = new Promise((resolve, reject) => {
			const look = () => {
				if (Date.now() - last >= ms)
					return resolve();
				if (Date.now() - start > max)
					return reject(new Error('tamed never went quiet'));
				timer = setTimeout(look, 100);
			};
			look();
		});
		const read = (async () => {
			for (;;) {
				const { done, value } = await reader.read();
				if (done)
					return;
				if (/^event:/m.test(text.decode(value, { stream: true })))
					last = Date.now();
			}
		})().catch(() => {});
		try {
			await still;
		} finally {
			clearTimeout(timer);
			stop.abort();
			await read;
		}
	}

	// Archived mail (an mbox's text) imported by the tame command, as a
	// migration does: dated by its Date; its tickets get status.
	importMbox(text, status = 'new') {
		const f = path.join(this.data, 'import-' + (++seq) + '.mbox');
		fs.writeFileSync(f, text);
		return tame(this.data, ['import', 'mbox', f, '--status', status]);
	}

	send(mail, from = 'carol@example.org') {
		return smtpSend(this.smtpPort, from, MAILBOX, mail.raw);
	}

	// Sends a mail and waits for its ticket; returns the ticket id.
	async deliver(opts) {
		const m = makeMail(opts);
		const before = (await this.api('GET', '/tickets?status=any&limit=1'))
			.tickets[0];
		await this.send(m);
		const t = await waitFor(async () => {
			const top = (await this.api('GET',
				'/tickets?status=any&limit=1')).tickets[0];
			return top && (!before || top.id !== before.id) ? top : null;
		}, { what: 'the ticket of ' + (opts.subject || 'a mail') });
		return t.id;
	}

	async stop() {
		if (this.proc && this.proc.exitCode === null) {
			const done = new Promise((r) => this.proc.once('exit', r));
			this.proc.kill('SIGTERM');
			const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
			await done;
			clearTimeout(t);
		}
		if (this.log !== undefined)
			fs.closeSync(this.log);
		if (process.env.TAME_KEEP_DATA)
			console.log('# data kept in ' + this.data);
		else if (this.data)
			fs.rmSync(this.data, { recursive: true, force: true });
	}

	logText() {
		try {
			return fs.readFileSync(path.join(this.data, 'tamed.log'), 'utf8');
		} catch (e) {
			return '';
		}
	}
}

// ---- chromium

// Debian's chromium with the flags a closed network needs. playwright
// gives every launch a fresh, empty profile of its own (it refuses a
// --user-data-dir argument) and removes it on close.
export async function launchBrowser() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-quic', '--no-first-run',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
}

// A page that records what a test must never see: dialogs (alert and
// friends), requests to anything but tamed, CSP violations and errors.
export async function watchedPage(browser, tamed, options = {}) {
	const context = await browser.newContext({
		viewport: { width: 1280, height: 760 }, ...options });
	const page = await context.newPage();
	const seen = { dialogs: [], remote: [], csp: [], errors: [] };
	page.on('dialog', (d) => {
		seen.dialogs.push(d.message());
		d.dismiss().catch(() => {});
	});
	context.on('request', (r) => {
		const u = r.url();
		if (!u.startsWith(tamed.url + '/') && !u.startsWith('data:') &&
		    !u.startsWith('about:'))
			seen.remote.push(u);
	});
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text()))
			seen.csp.push(m.text());
	});
	page.on('pageerror', (e) => seen.errors.push(String(e)));
	await page.addInitScript(() => {
		try {
			localStorage.setItem('tame.undoMs', '400');
			localStorage.setItem('tame.presenceMs', '1000');
		} catch (e) {
			// about:blank has no storage
		}
	});
	return { context, page, seen };
}

// The inbox once the app has drawn it: a page asked for with a session
// comes with rows tamed drew into it (#main[data-first]), shown before
// the app has started; the app puts its own in their place.
export const APP_ROWS = '#app:not([hidden]) #main:not([data-first]) .rows';

export async function signIn(page, tamed, who = ADMIN) {
	await page.goto(tamed.url + '/');
	await page.fill('#login-email', who.email);
	await page.fill('#login-password', who.password);
	await page.press('#login-password', 'Enter');
	await page.waitForSelector(APP_ROWS);
}
