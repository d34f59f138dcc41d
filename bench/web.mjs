// bench/web.mjs - the web app's figures (issue 3), measured in headless
// chromium against a tamed of its own whose store holds N tickets:
//
//   - navigation to the inbox until its first rows are painted (a
//     window's worth, 16), each load
//     in a fresh browser context (empty cache, a signed-in session); and,
//     beside it, as many reloads of one page (the browser warm);
//   - a click on a row of the inbox until the ticket's conversation is
//     painted, for different tickets of three messages each;
//   - the bytes of JavaScript and CSS tamed serves: every .js and .css
//     file of web/, fetched from tamed, and what the inbox page loads.
//
// A page asked for with a session comes with the first rows of the
// inbox drawn into it by tamed; those count as the first rows, and the
// figure also says how many of them the first frame had and when the
// app's own rows had taken their place.
//
// "Painted" is the end of the frame in which the rows (the messages)
// were first in the document: a MutationObserver sees them, then a
// requestAnimationFrame callback and a message posted from it run after
// that frame's rendering. Times are the page's own clock
// (performance.now(), from the start of navigation; for a click, the
// click event's timeStamp), so the round trips between node and the
// browser are not in them.
//
// The store is filled the way bench/run.sh fills its own: bench/gen_mbox.py
// writes an mbox, `tame import mbox` takes it. tamed is started with the
// queue intelligence on (as `make run` does) and measured after its
// start-up work ("intel: ready").
//
// Prints one line per figure with its target, and exits 1 with the
// reason when something measured broke (no rows, no conversation, an
// asset missing); a slow figure is printed, never a failure.
//
// Environment: BENCH_WEB_TICKETS (100000), BENCH_WEB_QUEUE (how many of
// them stay open, in the inbox; all unless set), BENCH_WEB_LOADS (20),
// BENCH_WEB_OPENS (20), TAME_BUILD (build), PYTHON (/usr/bin/python3),
// CHROMIUM (/usr/bin/chromium), TAME_KEEP_DATA (keep the data directory),
// BENCH_WEB_VERBOSE (print every load and every open), BENCH_WEB_STORE
// (a directory: the filled store is kept there and a later run with the
// same setting copies it instead of filling a new one, so before and
// after can be measured on the same store; delete it to fill anew).
// Runs from `make bench` (bench/run.sh) or alone: node bench/web.mjs

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, freePort, waitFor, sleep, ROOT }
	from '../tests/browser/lib.mjs';

const BUILD = path.resolve(ROOT, process.env.TAME_BUILD || 'build');
const PY = process.env.PYTHON || '/usr/bin/python3';
const N = intEnv('BENCH_WEB_TICKETS', 100000);
const QUEUE = Math.min(N, intEnv('BENCH_WEB_QUEUE', N));
const LOADS = intEnv('BENCH_WEB_LOADS', 20);
const OPENS = intEnv('BENCH_WEB_OPENS', 20);
const ADMIN = { email: 'bench@localhost', password: 'bench web password' };
const INBOX = '/#/inbox/unassigned';   // the view the app opens on
const VIEWPORT = { width: 1280, height: 760 };
// A step that takes longer than this is broken, not slow.
const STEP_MS = 15000;
const TARGET = { inbox: 300, open: 100, bytes: 150000 };
// Rows that fill the window (760 pixels) of the inbox: its first rows
// count as painted when this many are on screen.
const SCREENFUL = Math.min(16, QUEUE);

function intEnv(name, dflt) {
	const v = process.env[name];
	if (v === undefined || v === '')
		return dflt;
	const n = Number(v);
	if (!Number.isInteger(n) || n < 1)
		throw new Error(name + ' must be a positive integer, not ' + v);
	return n;
}

// Nearest-rank percentile of sorted values.
function pct(sorted, p) {
	return sorted[Math.max(0, Math.ceil(sorted.length * p / 100) - 1)];
}

function figures(ms) {
	const s = [...ms].sort((a, b) => a - b);
	return { p50: pct(s, 50), p95: pct(s, 95), min: s[0],
		max: s[s.length - 1] };
}

const f1 = (x) => x.toFixed(1);
const verbose = process.env.BENCH_WEB_VERBOSE ?
	(s) => console.log('  ' + s) : () => {};

function tame(data, args, input) {
	const r = spawnSync(path.join(BUILD, 'tame'), ['--data', data, ...args],
		{ input: input || '', encoding: 'utf8' });
	if (r.status !== 0)
		throw new Error('tame ' + args.join(' ') + ' failed (' + r.status +
			'): ' + r.stderr);
	return { out: r.stdout.trim(), err: r.stderr };
}

// ---- the store and tamed

// The store of BENCH_WEB_STORE, if it holds one: copied into data, with
// a new token for this run. Returns null when there is none.
function reuseStore(data) {
	const dir = process.env.BENCH_WEB_STORE;
	if (!dir || !fs.existsSync(path.join(dir, 'tame.db')))
		return null;
	const was = JSON.parse(fs.readFileSync(path.join(dir, 'store.json'),
		'utf8'));
	if (was.tickets !== N || was.queue !== QUEUE)
		throw new Error('BENCH_WEB_STORE holds ' + was.tickets +
			' tickets, ' + was.queue + ' open, not ' + N + ', ' + QUEUE +
			': delete it or change the setting');
	for (const f of fs.readdirSync(dir))
		if (/^tame\.db/.test(f))
			fs.copyFileSync(path.join(dir, f), path.join(data, f));
	return { token: tame(data, ['token', 'add', '--email', ADMIN.email]).out,
		rate: 0 };
}

// Keeps the filled store in BENCH_WEB_STORE (when set) for later runs.
function keepStore(data) {
	const dir = process.env.BENCH_WEB_STORE;
	if (!dir)
		return;
	fs.mkdirSync(dir, { recursive: true });
	for (const f of fs.readdirSync(data))
		if (/^tame\.db/.test(f))
			fs.copyFileSync(path.join(data, f), path.join(dir, f));
	fs.writeFileSync(path.join(dir, 'store.json'),
		JSON.stringify({ tickets: N, queue: QUEUE }) + '\n');
}

async function fillStore(data) {
	const kept = reuseStore(data);
	if (kept)
		return kept;
	tame(data, ['mailbox', 'add', '--address', 'support@localhost',
		'--name', 'Support']);
	tame(data, ['user', 'add', '--email', ADMIN.email, '--name', 'Bench',
		'--role', 'admin', '--password-stdin'], ADMIN.password + '\n');
	const token = tame(data, ['token', 'add', '--email', ADMIN.email]).out;
	const mbox = path.join(data, 'bench.mbox');
	const g = spawnSync(PY, [path.join(ROOT, 'bench', 'gen_mbox.py'),
		String(N), '600', mbox, '3'], { encoding: 'utf8' });
	if (g.status !== 0)
		throw new Error('gen_mbox.py failed: ' + g.stderr);
	const t0 = performance.now();
	const { err } = tame(data, ['import', 'mbox', mbox]);
	const secs = (performance.now() - t0) / 1000;
	fs.rmSync(mbox);
	const m = err.match(/(\d+) stored/g);
	const stored = m ? Number(m[m.length - 1].split(' ')[0]) : -1;
	if (stored !== N)
		throw new Error('the import stored ' + stored + ' of ' + N +
			' messages: ' + err.slice(-300));
	if (QUEUE < N) {
		// the newest ones solved (3), as bench/intel.sh does it: a
		// history beside a queue of the QUEUE oldest
		const u = spawnSync(PY, ['-c', 'import sqlite3, sys; ' +
			'c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE tickets ' +
			'SET status = 3 WHERE id > ?", (int(sys.argv[2]),)); c.commit()',
		path.join(data, 'tame.db'), String(QUEUE)], { encoding: 'utf8' });
		if (u.status !== 0)
			throw new Error('solving tickets failed: ' + u.stderr);
	}
	keepStore(data);
	return { token, rate: N / secs };
}

class Tamed {
	constructor(data, token) {
		this.data = data;
		this.token = token;
	}

	async start() {
		this.http = await freePort();
		const smtp = await freePort();
		this.url = 'http://127.0.0.1:' + this.http;
		this.logPath = path.join(this.data, 'tamed.log');
		const log = fs.openSync(this.logPath, 'a');
		const t0 = performance.now();
		this.proc = spawn(path.join(BUILD, 'tamed'), ['--data', this.data,
			'--http', '127.0.0.1:' + this.http, '--smtp',
			'127.0.0.1:' + smtp], { stdio: ['ignore', log, log] });
		fs.closeSync(log);
		this.proc.on('exit', (code, sig) => {
			this.exited = 'tamed exited (' + (code ?? sig) + ')';
		});
		await waitFor(async () => {
			if (this.exited)
				throw new Error(this.exited + ': ' + this.log());
			try {
				return (await fetch(this.url + '/api/v1/health')).ok;
			} catch (e) {
				return false;
			}
		}, { timeout: 30000, what: 'tamed to answer' });
		// the trend index is rebuilt in the background at start: measure
		// the steady state after it, not a machine busy with it
		if (process.env.TAME_INTEL !== 'off')
			await waitFor(() => /intel: ready/.test(this.log()),
				{ timeout: 600000, interval: 200,
					what: 'the queue intelligence to be ready' });
		this.readyMs = performance.now() - t0;
		return this;
	}

	log() {
		try {
			return fs.readFileSync(this.logPath, 'utf8');
		} catch (e) {
			return '';
		}
	}

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

	async stop() {
		if (!this.proc || this.proc.exitCode !== null ||
		    this.proc.signalCode !== null)
			return;
		const done = new Promise((r) => this.proc.once('exit', r));
		this.proc.kill('SIGTERM');
		const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
		await done;
		clearTimeout(t);
	}
}

// ---- in the page

// Installed in every document before its scripts: window.__bench.arm(sel)
// watches for the first element matching sel and records when the frame
// showing it was painted (painted, ms on the page's clock) and how many
// matched (count; of countSel when given); start is the timeStamp of the
// last click. An inbox is armed for its screenful-th row.
function probe(screenful) {
	const b = { painted: null, seen: null, count: 0, start: null,
		arm: null };
	b.arm = (sel, countSel) => {
		b.painted = null;
		b.seen = null;
		b.count = 0;
		b.start = null;
		let obs = null;
		const look = () => {
			const els = document.querySelectorAll(sel);
			if (!els.length)
				return;
			if (obs)
				obs.disconnect();
			obs = null;
			b.count = countSel ? document.querySelectorAll(countSel).length :
				els.length;
			b.seen = performance.now();
			requestAnimationFrame(() => {
				const ch = new MessageChannel();
				ch.port1.onmessage = () => {
					b.painted = performance.now();
				};
				ch.port2.postMessage(0);
			});
		};
		obs = new MutationObserver(look);
		obs.observe(document, { childList: true, subtree: true,
			attributes: true, attributeFilter: ['hidden'] });
		look();
	};
	addEventListener('click', (e) => {
		b.start = e.timeStamp > 0 && e.timeStamp <= performance.now() ?
			e.timeStamp : performance.now();
	}, true);
	window.__bench = b;
	if (location.hash.startsWith('#/inbox'))
		b.arm('#app:not([hidden]) .rows > .row:nth-child(' + screenful + ')',
			'#app:not([hidden]) .rows > .row');
	// when the app's own rows are in: the page may come with rows tamed
	// drew (#main[data-first]), painted before the app has started
	b.app = null;
	const app = new MutationObserver(() => {
		if (document.querySelector('#main:not([data-first]) .rows > .row')) {
			b.app = performance.now();
			app.disconnect();
		}
	});
	app.observe(document, { childList: true, subtree: true,
		attributes: true, attributeFilter: ['data-first'] });
}

const ROWS = '#app:not([hidden]) .rows > .row';
// Rows the app drew: tamed draws the first ones into the page it sends
// (#main[data-first]) and the app puts its own in their place.
const APP_ROWS = '#app:not([hidden]) #main:not([data-first]) .rows > .row';
const CONV = '.conversation > article.msg';

async function painted(page, what) {
	try {
		await page.waitForFunction(() => window.__bench &&
			window.__bench.painted !== null, null, { timeout: STEP_MS });
	} catch (e) {
		throw new Error(what + ' did not appear within ' + STEP_MS +
			' ms');
	}
	return page.evaluate(() => ({ ...window.__bench }));
}

// Signs in through the login form; returns the session to reuse.
async function signIn(browser, tamed) {
	const context = await browser.newContext({ viewport: VIEWPORT });
	const page = await context.newPage();
	await page.goto(tamed.url + '/');
	await page.fill('#login-email', ADMIN.email);
	await page.fill('#login-password', ADMIN.password);
	await page.press('#login-password', 'Enter');
	await page.waitForSelector(ROWS, { timeout: STEP_MS });
	const state = await context.storageState();
	await context.close();
	return state;
}

// A fresh context with the session; errors of the page are kept.
async function newPage(browser, state) {
	const context = await browser.newContext({ viewport: VIEWPORT,
		storageState: state });
	const page = await context.newPage();
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	await page.addInitScript(probe, SCREENFUL);
	return { context, page, errors };
}

function checkErrors(errors, what) {
	if (errors.length)
		throw new Error('the page threw during ' + what + ': ' +
			errors.join('; '));
}

// ---- the figures

// JS and CSS: every file of web/ as tamed serves it.
async function assetBytes(tamed) {
	const names = fs.readdirSync(path.join(ROOT, 'web'))
		.filter((f) => /\.(js|css)$/.test(f)).sort();
	let js = 0;
	let css = 0;
	for (const f of names) {
		const r = await fetch(tamed.url + '/' + f);
		const body = Buffer.from(await r.arrayBuffer());
		if (r.status !== 200 || body.length === 0)
			throw new Error('tamed serves /' + f + ' with ' + r.status +
				' and ' + body.length + ' bytes (is the build current?)');
		if (f.endsWith('.js'))
			js += body.length;
		else
			css += body.length;
	}
	const html = (await (await fetch(tamed.url + '/')).arrayBuffer())
		.byteLength;
	return { js, css, names, html };
}

// How many of the files of web/ the inbox page loaded (urls: the script
// and style sheet urls it fetched); one from elsewhere is a fault.
function pageFiles(bytes, urls) {
	const page = new Set();
	for (const u of urls) {
		const f = new URL(u).pathname.slice(1);
		if (!bytes.names.includes(f))
			throw new Error('the inbox page loads ' + u +
				', which is not a file of web/');
		page.add(f);
	}
	return page.size;
}

// Where the time of a load went (BENCH_WEB_VERBOSE): when the page's
// own requests ended, in ms from the start of navigation; JS and CSS
// only as far as asked for before the rows were in the document (seen),
// not the modules imported after the first paint.
function timeline(page, seen) {
	return page.evaluate((seen) => {
		const n = performance.getEntriesByType('navigation')[0];
		// all = false: the first such request (the list's, not the
		// counts' asked for a second later)
		const end = (re, all = false) => {
			const r = performance.getEntriesByType('resource')
				.filter((e) => re.test(e.name) && e.startTime < seen)
				.map((e) => e.responseEnd);
			return r.length ? (all ? Math.max(...r) : r[0]).toFixed(0) :
				'-';
		};
		return 'html ' + n.responseEnd.toFixed(0) + ', js+css ' +
			end(/\.(js|css)$/, true) + ', DOMContentLoaded ' +
			n.domContentLoadedEventEnd.toFixed(0) + ', session ' +
			end(/\/api\/v1\/session$/) + ', tickets ' +
			end(/\/api\/v1\/tickets\?/);
	}, seen);
}

async function inboxLoads(browser, tamed, state) {
	const ms = [];
	const rows = [];
	const app = [];
	let loaded = null;
	// one load first, not counted: chromium's own start-up work
	for (let i = 0; i <= LOADS; i++) {
		const { context, page, errors } = await newPage(browser, state);
		const urls = [];
		page.on('response', (r) => {
			const t = r.request().resourceType();
			if (t === 'script' || t === 'stylesheet')
				urls.push(r.url());
		});
		await page.goto(tamed.url + INBOX);
		const b = await painted(page, 'the inbox rows');
		await page.waitForFunction(() => window.__bench.app !== null, null,
			{ timeout: STEP_MS }).catch(() => {
			throw new Error('the app did not draw its rows within ' +
				STEP_MS + ' ms');
		});
		const appMs = await page.evaluate(() => window.__bench.app);
		checkErrors(errors, 'an inbox load');
		if (process.env.BENCH_WEB_VERBOSE)
			verbose('inbox load ' + i + ': ' + await timeline(page, b.seen) +
				', rows in the document ' + f1(b.seen) + ', painted ' +
				f1(b.painted) + ', the app\'s rows in ' + f1(appMs) + ' ms');
		if (i > 0) {
			ms.push(b.painted);
			rows.push(b.count);
			app.push(appMs);
		}
		if (i === LOADS) {
			// everything the page asked for by now, modules included
			await page.waitForLoadState('networkidle').catch(() => {});
			loaded = urls;
		}
		await context.close();
	}
	return { ms, rows, app, loaded };
}

// The same in one page reloaded: the browser warm (its caches, its
// compiled code), as for an agent who reloads the app.
async function inboxReloads(browser, tamed, state) {
	const { context, page, errors } = await newPage(browser, state);
	const ms = [];
	await page.goto(tamed.url + INBOX);
	await painted(page, 'the inbox rows');
	for (let i = 0; i < LOADS; i++) {
		await page.reload();
		const b = await painted(page, 'the inbox rows');
		ms.push(b.painted);
	}
	checkErrors(errors, 'the inbox reloads');
	await context.close();
	return ms;
}

async function ticketOpens(browser, tamed, state) {
	const { context, page, errors } = await newPage(browser, state);
	await page.goto(tamed.url + INBOX);
	await painted(page, 'the inbox rows');
	// the app's own rows, not those tamed drew into the page
	await page.waitForSelector(APP_ROWS, { timeout: STEP_MS });
	const ids = (await page.$$eval(APP_ROWS, (els) => els.map((e) =>
		Number(e.dataset.id)))).slice(0, OPENS);
	if (ids.length < Math.min(OPENS, QUEUE))
		throw new Error('the inbox shows ' + ids.length + ' rows, ' +
			'fewer than the ' + Math.min(OPENS, QUEUE) + ' tickets to open');
	// three messages each: the customer's mail and two notes
	for (const id of ids)
		for (const n of [1, 2])
			await tamed.api('POST', '/tickets/' + id + '/notes',
				{ text: 'Note ' + n + ' on #' + id + ': checked the ' +
					'account, the customer is on the annual plan.' });
	// let the view take in those changes and the counts it asks for a
	// second after it is shown
	await sleep(2500);
	const ms = [];
	for (const id of ids) {
		if (!(await page.evaluate(() => location.hash))
			.startsWith('#/inbox')) {
			await page.keyboard.press('Escape');
			await page.waitForFunction(() =>
				location.hash.startsWith('#/inbox'), null,
			{ timeout: STEP_MS });
		}
		const row = page.locator('#row-' + id + ' .subject');
		await row.waitFor({ timeout: STEP_MS });
		await page.evaluate((sel) => window.__bench.arm(sel), CONV);
		await row.click();
		const b = await painted(page, 'the conversation of #' + id);
		if (b.start === null)
			throw new Error('no click was seen on the row of #' + id);
		if (b.count !== 3)
			throw new Error('#' + id + ' showed ' + b.count +
				' messages, not 3');
		verbose('open #' + id + ': click at ' + f1(b.start) +
			' ms, messages in the document ' + f1(b.seen - b.start) +
			' ms after it, painted ' + f1(b.painted - b.start) + ' ms after');
		ms.push(b.painted - b.start);
	}
	checkErrors(errors, 'the ticket opens');
	await context.close();
	return { ms, n: ids.length };
}

async function main() {
	const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tame-webbench-'));
	let tamed = null;
	let browser = null;
	try {
		const t0 = performance.now();
		const { token, rate } = await fillStore(data);
		const fillS = (performance.now() - t0) / 1000;
		tamed = await new Tamed(data, token).start();
		const total = (await tamed.api('GET', '/tickets?status=any&limit=1'))
			.tickets.length;
		if (total !== 1)
			throw new Error('the store answers no tickets');
		console.log('web app store: ' + N + ' tickets, ' + QUEUE +
			' of them open and unassigned (filled in ' +
			f1(fillS) + ' s, ' + (rate ? 'imported at ' + Math.round(rate) +
			' msg/s' : 'copied from BENCH_WEB_STORE') + '); tamed ready with its trend index after ' +
			Math.round(tamed.readyMs) + ' ms');
		const bytes = await assetBytes(tamed);
		browser = await launchBrowser();
		const state = await signIn(browser, tamed);
		const inbox = await inboxLoads(browser, tamed, state);
		const loaded = pageFiles(bytes, inbox.loaded);
		const warm = figures(await inboxReloads(browser, tamed, state));
		const opens = await ticketOpens(browser, tamed, state);
		const fi = figures(inbox.ms);
		const fa = figures(inbox.app);
		const fo = figures(opens.ms);
		const sum = bytes.js + bytes.css;
		console.log('web inbox, navigation to first ' + SCREENFUL +
			' rows painted (' + N +
			' tickets, ' + (QUEUE === N ? 'all' : QUEUE) + ' open, ' + LOADS +
			' loads, cold cache): p50 ' +
			f1(fi.p50) + ' ms, p95 ' + f1(fi.p95) + ' ms   target < ' +
			TARGET.inbox + ' ms   [min ' + f1(fi.min) + ', max ' +
			f1(fi.max) + '; at least ' + Math.min(...inbox.rows) +
			' rows in that frame; the app\'s own rows in at p50 ' +
			f1(fa.p50) + ' ms; reloaded in one browser: p50 ' +
			f1(warm.p50) + ', p95 ' + f1(warm.p95) + ']');
		console.log('web ticket open, click to conversation painted (' +
			opens.n + ' tickets of 3 messages): p50 ' + f1(fo.p50) +
			' ms, p95 ' + f1(fo.p95) + ' ms   target < ' + TARGET.open +
			' ms   [min ' + f1(fo.min) + ', max ' + f1(fo.max) + ']');
		console.log('web JS+CSS served, uncompressed: ' +
			f1(sum / 1000) + ' kB   target < ' + TARGET.bytes / 1000 +
			' kB   [' + sum + ' bytes: JS ' + bytes.js + ', CSS ' +
			bytes.css + ' in ' + bytes.names.length + ' files of web/, ' +
			loaded + ' of them loaded by the inbox; index.html ' +
			bytes.html + ' bytes]');
		return 0;
	} catch (e) {
		console.error('web bench BROKEN: ' + (e && e.message ? e.message :
			e));
		if (tamed)
			console.error(tamed.log().split('\n').slice(-15).join('\n'));
		return 1;
	} finally {
		if (browser)
			await browser.close().catch(() => {});
		if (tamed)
			await tamed.stop();
		if (process.env.TAME_KEEP_DATA)
			console.error('# data kept in ' + data);
		else
			fs.rmSync(data, { recursive: true, force: true });
	}
}

process.exitCode = await main();
