// tone.js - chips for what the queue intelligence says about a
// customer: their tone (frustrated, angry, confused, urgent, cheerful,
// abusive) with the words that show it, and outlier flags (long
// message, many messages, waiting long, ...) with their reason, on hover
// and to a screen reader;
// and the register hint of the composer (formal or relaxed, with the
// customer's own words that show it).

import { h } from './dom.js';

// A dimension counts from this score (0..1) up.
const SHOWN = 0.5;
const DIMS = [
	['abusive', 'abusive'], ['anger', 'angry'], ['frustration', 'frustrated'],
	['urgency', 'urgent'], ['confusion', 'confused'], ['cheer', 'cheerful'],
];
const FLAGS = {
	long_message: 'long message', many_messages: 'many messages',
	waiting_long: 'waiting long', repeat_customer: 'wrote before',
	reopened: 'reopened', abusive: 'abusive',
};

// A chip: label shown, more (the words that show it, a flag's reason)
// in its title for a mouse and, visually hidden, in its text for a
// screen reader and a row's label (a title is neither focused nor read).
// src/net/http_first.c draws it the same way.
const chip = (cls, label, more, title = label + more) => h('span', {
	className: 'chip ' + cls, title }, label,
more ? h('span', 'sr-only', more) : null);

// The tone's chips, strongest first; max: how many at most.
export function toneChips(tone, max = 2) {
	if (!tone)
		return [];
	const ev = tone.evidence || [];
	return DIMS.filter(([d]) => d === 'abusive' ? tone.abusive :
		(tone[d] || 0) >= SHOWN)
		.sort((a, b) => (b[0] === 'abusive') - (a[0] === 'abusive') ||
			(tone[b[0]] || 0) - (tone[a[0]] || 0))
		.slice(0, max).map(([d, label]) => {
			const words = ev.filter((e) => e.dimension === d ||
				(d === 'abusive' && e.dimension === 'anger'))
				.map((e) => '“' + e.text + '”');
			return chip('tone-' + d, label, (d === 'abusive' ? '' : ' (' +
				Math.round(tone[d] * 100) + '%)') + (words.length ?
				': ' + words.join(', ') : ''));
		});
}

export function flagChips(flags) {
	return (flags || []).map((f) => chip('flag', '⚑ ' + (FLAGS[f.kind] ||
		f.kind.replace(/_/g, ' ')), f.reason ? ': ' + f.reason : '',
	f.reason || FLAGS[f.kind] || f.kind));
}

// The composer's quiet hint: the register of the customer's latest
// message (the ticket's tone) and the signs of it, e.g. "Customer
// writes formally: Dear … Kind regards". Empty when there is nothing to
// go by: no tone yet, or formal only by default (an upset customer who
// writes casually gets no "relaxed" hint either).
export function registerHint(tone) {
	const ev = tone && tone.register_evidence || [];
	if (!ev.length)
		return '';
	const relaxed = tone.register === 'relaxed';
	return (relaxed ? 'Customer writes casually: ' :
		'Customer writes formally: ') + ev.slice(0, 4).join(' … ') +
		(relaxed ? ' (a relaxed reply fits)' : ' (a formal reply fits)');
}
