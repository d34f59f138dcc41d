// finding.mjs - what testers found in the web app: a number in the
// search box is searched (#N opens ticket N when there is one), the
// current row and the priority bar show in forced colours, the tab's
// title names the list, a search's count is read out once, a reply the
// relay refused says why in text, and small chips and placeholders are
// readable (WCAG AA) in both colour schemes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, sleep, APP_ROWS } from './lib.mjs';
import { env, assertClean, openPage, openTicket } from './fixture.mjs';

// Waits for the page's title to match re.
async function titled(page, re) {
	let title;
	await waitFor(async () => re.test(title = await page.title()),
		{ what: 'a title like ' + re }).catch((e) => {
		throw new Error(e.message + ', not "' + title + '"');
	});
}

async function search(page, text) {
	await page.fill('#search', text);
	await page.press('#search', 'Enter');
}

test('a number is searched; #N opens ticket N, or searches when there is ' +
	'none', async () => {
	const id = await env.tamed.deliver({ from: 'Ola <ola@example.org>',
		subject: 'Parcel not here', text: 'My order 48213 never came.' });
	const other = await env.tamed.deliver({ subject: 'Numbered elsewhere',
		text: 'Nothing to do with that order.' });
	const { page, seen, context } = await openPage();
	for (const typed of ['48213', '#48213']) {
		await search(page, typed);
		// (a number that could be a ticket's is looked up first: the
		// view before stays until then)
		await page.waitForSelector('h1:has-text("matching “' + typed +
			'”")');
		await page.waitForSelector(APP_ROWS + ' #row-' + id);
		assert.match(await page.evaluate(() => location.hash),
			/^#\/inbox\/unassigned\?q=/);
		assert.equal(await page.inputValue('#search'), typed);
		assert.equal(await page.locator('text=No ticket #').count(), 0);
	}
	// a bare number that is also a ticket's is searched all the same
	await search(page, String(other));
	await page.waitForFunction((q) => location.hash.endsWith('?q=' + q),
		String(other));
	assert.equal(await page.inputValue('#search'), String(other));
	// #N of a ticket opens it
	await search(page, '#' + other);
	await page.waitForFunction((h) => location.hash === h, '#/t/' + other);
	await page.waitForSelector('h1:has-text("Numbered elsewhere")');
	assertClean(seen);
	await context.close();
});

test('forced colours: the current row is outlined, the priority bar stays',
	async () => {
		await env.tamed.deliver({ subject: 'Forced colours, another',
			text: 'A row beside it.' });
		const id = await env.tamed.deliver({ subject: 'Forced colours row',
			text: 'High contrast here.' });
		await env.tamed.api('PATCH', '/tickets/' + id,
			{ priority: 'urgent' });
		const { page, seen, context } = await openPage(
			'/#/inbox/all?select=' + id,
			(p) => p.emulateMedia({ forcedColors: 'active' }));
		await page.waitForSelector('#row-' + id + '.selected');
		await page.focus('.rows');
		const look = await page.$eval('#row-' + id, (row) => {
			const s = getComputedStyle(row);
			const p = getComputedStyle(row.querySelector('.prio'));
			const other = getComputedStyle(row.nextElementSibling ||
				row.previousElementSibling);
			return { outline: s.outlineStyle, width: parseFloat(
				s.outlineWidth), otherOutline: other.outlineStyle,
			prio: p.backgroundColor, row: s.backgroundColor,
			prioBorder: parseFloat(p.borderLeftWidth) };
		});
		assert.notEqual(look.outline, 'none', 'the current row has no outline');
		assert.ok(look.width >= 1);
		assert.equal(look.otherOutline, 'none');
		assert.ok(look.prioBorder > 0 || (look.prio !== look.row &&
			!/rgba\(.*, 0\)$/.test(look.prio)), 'the priority bar is gone: ' +
			JSON.stringify(look));
		assertClean(seen);
		await context.close();
	});

test('the title names the list: view and count, search, filter, mailbox',
	async () => {
		await env.tamed.deliver({ subject: 'Titled refund question',
			text: 'Can I have a refund for this?' });
		const f = (await env.tamed.api('POST', '/filters', { name: 'Titled',
			status: [], assignee: '', tag: '', priority: [], q: 'refund',
			mailbox: '', sort: '' })).filter;
		const { page, seen, context } = await openPage();
		await titled(page, /^Unassigned \(\d+\+?\) · Tame$/);
		await search(page, 'refund');
		await titled(page, /^Search: refund \(\d+\+?\) · Tame$/);
		await page.goto(env.tamed.url + '/#/filter/' + f.id);
		await titled(page, /^Titled \(\d+\+?\) · Tame$/);
		const mb = (await env.tamed.api('GET', '/mailboxes')).mailboxes[0];
		await page.goto(env.tamed.url + '/#/mailbox/' + mb.id);
		await titled(page, new RegExp('^' + (mb.name || mb.address) +
			' \\(\\d+\\+?\\) · Tame$'));
		assertClean(seen);
		await context.close();
	});

test('a search\'s count is read out once, not at every live update',
	async () => {
		await env.tamed.deliver({ subject: 'Announced kumquat',
			text: 'One kumquat.' });
		const { page, seen, context } = await openPage();
		const said = () => page.$$eval('[role=status]', (els) => els
			.map((e) => e.textContent).filter((t) => /ticket/i.test(t)));
		await search(page, 'kumquat');
		await waitFor(async () => (await said()).includes('1 ticket'),
			{ what: '"1 ticket" in a live region' });
		// a live update redraws the count, and says nothing
		await env.tamed.deliver({ subject: 'Another kumquat',
			text: 'Two kumquats.' });
		await page.waitForSelector('.count-total:text("2 tickets")');
		await sleep(300);
		assert.deepEqual(await said(), ['1 ticket']);
		await search(page, 'nosuchfruitanywhere');
		await waitFor(async () => (await said()).includes(
			'No ticket matches.'), { what: 'no match read out' });
		assertClean(seen);
		await context.close();
	});

test('a search of symbols alone shows no ticket, not the whole queue',
	async () => {
		await env.tamed.deliver({ subject: 'Charged 120 euro',
			text: 'You charged me 120 \u20ac twice!!' });
		const { page, seen, context } = await openPage();
		/* the queue has rows (this one need not be on the first
		 * screen of a long one) */
		await page.waitForSelector(APP_ROWS + ' [id^="row-"]');
		for (const typed of ['\u20ac', '!!', '\u{1F621}']) {
			await search(page, typed);
			await page.waitForSelector('h1:has-text("matching “' + typed +
				'”")');
			await page.waitForSelector('.empty:text("No ticket matches.")');
			assert.equal(await page.locator(APP_ROWS + ' [id^="row-"]').count(),
				0, typed);
		}
		assertClean(seen);
		await context.close();
	});

test('a reply the relay refused says why, in text', async () => {
	const id = await env.tamed.deliver({
		from: 'Gone <refused@example.org>', subject: 'Bounce me',
		text: 'Reply to an address the relay refuses.' });
	const { page, seen, context } = await openTicket(id);
	await page.fill('#composer-text', 'This will not arrive.');
	await page.click('button:text("Send")');
	const failed = page.locator('.msg.out .delivery.failed');
	await failed.waitFor({ timeout: 20000 });
	// visible, in the message's text (not a title only a mouse finds)
	const why = page.locator('.msg.out p', { hasText: 'no such mailbox' });
	assert.equal(await why.isVisible(), true);
	assert.match(await why.textContent(), /^Not delivered: relay refused/);
	assertClean(seen);
	await context.close();
});

// The contrast ratio of colours a and b ('rgb(r, g, b)').
function contrast(a, b) {
	const lum = (c) => {
		const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
			const s = v / 255;
			return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
	};
	const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
	return (x + 0.05) / (y + 0.05);
}

test('small chips, counts and placeholders are readable (4.5:1) in light ' +
	'and dark', async () => {
	const id = await env.tamed.deliver({ subject: 'Chips to read',
		text: 'A row for the chips.' });
	const { page, seen, context } = await openPage('/#/inbox/all');
	await page.waitForSelector('#row-' + id);
	for (const colorScheme of ['light', 'dark']) {
		await page.emulateMedia({ colorScheme });
		// the chips a row can have, in a row of the list
		const pairs = await page.evaluate((rowId) => {
			const row = document.getElementById(rowId);
			const tags = row.querySelector('.tags');
			const add = (cls, text) => {
				const s = document.createElement('span');
				s.className = cls;
				s.textContent = text;
				tags.appendChild(s);
				return s;
			};
			const els = [add('chip tone-frustration', 'frustrated'),
				add('chip tone-urgency', 'urgent'),
				add('chip flag', '⚑ wrote before'),
				add('count warm', '7'), add('pill st-open', 'open')];
			const bg = (el) => {
				for (; el; el = el.parentElement) {
					const c = getComputedStyle(el).backgroundColor;
					if (!/rgba\(.*, 0\)$/.test(c))
						return c;
				}
				return 'rgb(255, 255, 255)';
			};
			const out = els.map((e) => [e.className,
				getComputedStyle(e).color, bg(e)]);
			els.forEach((e) => e.remove());
			const s = document.getElementById('search');
			out.push(['search placeholder',
				getComputedStyle(s, '::placeholder').color, bg(s)]);
			return out;
		}, 'row-' + id);
		for (const [what, fg, back] of pairs)
			assert.ok(contrast(fg, back) >= 4.5, colorScheme + ': ' + what +
				' ' + fg + ' on ' + back + ' is ' +
				contrast(fg, back).toFixed(2) + ':1');
	}
	assertClean(seen);
	await context.close();
});
