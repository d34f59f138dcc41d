// queue.js - the views of the queue and the list request of each: what
// the inbox asks GET /tickets for. Kept apart from inbox.js, and without
// imports, so that boot.js can ask for the first page of the list before
// the rest of the app is loaded, with the very path the inbox asks for.

export const VIEWS = [
	{ id: 'unassigned', label: 'Unassigned', key: 'u', sort: 'oldest',
		params: { status: 'new,open', assignee: 'none' }, count: true },
	{ id: 'mine', label: 'Mine', key: 'm', sort: 'oldest',
		params: { status: 'new,open,pending', assignee: 'me' }, count: true },
	{ id: 'open', label: 'All open', key: 'o', sort: 'oldest',
		params: { status: 'new,open' }, count: true },
	{ id: 'pending', label: 'Pending', key: 'p', sort: 'oldest',
		params: { status: 'pending' }, count: true },
	{ id: 'solved', label: 'Solved', key: 'd', sort: 'newest',
		params: { status: 'solved,closed' } },
	{ id: 'all', label: 'All tickets', key: 'a', sort: 'newest',
		params: { status: 'any' } },
];

// The addresses of the view whose first rows tamed draws into the page
// (the Unassigned view, as it opens); web/first.js holds the same.
export const FIRST_VIEW = /^(#\/?(inbox\/unassigned\/?)?)?$/;

// Rows of the first page of a list.
export const PAGE = 50;

// The hash as {parts, params}: '#/inbox/mine?sort=newest' gives
// ['inbox', 'mine'] and sort=newest; no hash is the Unassigned view.
export function parseHash(hash) {
	const raw = hash.replace(/^#/, '') || '/inbox/unassigned';
	const [path, query] = raw.split('?');
	const params = new URLSearchParams(query || '');
	const parts = path.split('/').filter(Boolean);
	return { parts, params };
}

// The GET /tickets path for list parameters p (a view's params, or a
// filter's), sort, priority ('any' or names), text q, limit and cursor.
// The orders of the list, as the server names them, with their labels.
export const SORTS = [
	['oldest', 'Oldest waiting'],
	['newest', 'Newest'],
	['priority', 'Priority'],
];

export function listPath(p, sort, prio, q, limit, cursor) {
	const query = { ...p, sort, q, priority: prio === 'any' ? null : prio,
		limit, cursor };
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(query))
		if (v !== undefined && v !== null && v !== '')
			u.set(k, String(v));
	return '/tickets?' + u.toString();
}

// want rows of the list whose path(limit, cursor) is given, from
// cursor on, asked for page by page (500 at most each) with get:
// {tickets, next_cursor} as one page of them.
export async function pages(get, path, want, cursor = null) {
	let tickets = [];
	do {
		const p = await get(path(Math.min(500, want - tickets.length),
			cursor));
		tickets = tickets.concat(p.tickets);
		cursor = p.next_cursor;
	} while (cursor && tickets.length < want);
	return { tickets, next_cursor: cursor };
}

// The path of the first page the hash's route shows when it is one of
// VIEWS (#/inbox/ID, or no hash); null for every other route.
export function firstListPath(hash) {
	const { parts, params } = parseHash(hash);
	const v = parts[0] === 'inbox' && parts.length === 2 &&
		VIEWS.find((x) => x.id === parts[1]);
	if (!v)
		return null;
	return listPath(v.params, params.get('sort') || v.sort,
		params.get('priority') || v.params.priority || 'any',
		params.get('q') || '', PAGE, null);
}
