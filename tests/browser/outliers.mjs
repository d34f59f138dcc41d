// outliers.mjs - tickets no one writes on purpose: taller than the
// screen, a message of megabytes, a subject of a thousand characters,
// letters buried under combining marks, names that pass for another
// address or hide behind invisible characters. The agent still sees
// the ticket's heading, can read and answer it, and is not fooled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, assertClean, openTicket } from './fixture.mjs';

// A mail body of n numbered lines.
const lines = (n, what = 'line') => Array.from({ length: n }, (_, i) =>
	what + ' ' + (i + 1) + ' of the log the customer pasted').join('\n');

test('a ticket taller than the screen opens at its heading, the ' +
	'conversation focused', async () => {
	const id = await env.tamed.deliver({ from: 'Tom Tall <tom@example.org>',
		subject: 'Tall ticket heading', text: lines(300) });
	const { page, seen, context } = await openTicket(id);
	await page.waitForSelector('.conversation:focus');
	const at = await page.evaluate(() => ({
		scrolled: document.getElementById('main').scrollTop,
		head: document.querySelector('.ticket-head').getBoundingClientRect()
			.top,
		assign: document.getElementById('assign-me').getBoundingClientRect()
			.top,
		tall: document.querySelector('.conversation').scrollHeight,
	}));
	assert.ok(at.tall > 2000, 'the ticket is not tall: ' + at.tall);
	assert.equal(at.scrolled, 0, 'the ticket opened scrolled down');
	assert.ok(at.head >= 0 && at.assign >= 0, 'the heading is off screen: ' +
		JSON.stringify(at));
	assertClean(seen);
	await context.close();
});
