// api.js - the only door to tamed: fetch on /api/v1 with the session
// cookie, the CSRF token on every unsafe request, errors as exceptions
// carrying the API's {"error":{code,message}}.
//
// The CSRF token lives in this module's memory only (never in storage):
// it comes from POST /session at login or GET /session on reload.
//
// boot.js asks for the session and the first list at once, before the
// rest of the app is loaded (prefetch); the view that wants that list
// later takes the answer from here instead of asking again.

let csrf = null;
let onUnauthorized = () => {};
// GET path -> {at, answer: promise of {data} or {error}}, taken once.
const early = new Map();
// An early answer older than this is asked for again.
const EARLY_MS = 10000;

export class ApiError extends Error {
	constructor(status, code, message, data) {
		super(message);
		this.status = status;
		this.code = code;
		this.data = data || {};   // the whole error object
	}
}

// fn() is called when a request answers 401 (the session ended).
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

// opts.headers: more request headers; opts.raw: a Blob sent as it is
// (its own type), instead of body as JSON.
export async function call(method, path, body, opts = {}) {
	const headers = { 'Accept': 'application/json', ...opts.headers };
	if (opts.raw)
		headers['Content-Type'] = opts.raw.type ||
			'application/octet-stream';
	else if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && method !== 'HEAD' && csrf)
		headers['X-CSRF-Token'] = csrf;
	let r;
	try {
		r = await fetch('/api/v1' + path, {
			method, headers, credentials: 'same-origin',
			body: opts.raw || (body === undefined ? undefined :
				JSON.stringify(body)),
		});
	} catch (e) {
		throw new ApiError(0, 'network', 'Tame cannot be reached');
	}
	if (r.status === 204)
		return null;
	const type = r.headers.get('Content-Type') || '';
	const data = type.includes('json') ? await r.json().catch(() => null) :
		null;
	if (!r.ok) {
		const err = (data && data.error) || {};
		if (r.status === 401 && path !== '/session' && !opts.early)
			onUnauthorized();
		throw new ApiError(r.status, err.code || 'http_' + r.status,
			err.message || r.statusText, err);
	}
	return data;
}

// A key for one action, kept while the same action is retried.
function newKey() {
	return crypto.randomUUID ? crypto.randomUUID() :
		Array.from(crypto.getRandomValues(new Uint8Array(16)),
			(b) => b.toString(16).padStart(2, '0')).join('');
}

// POSTs body once: with an Idempotency-Key that is reused when the
// request is tried again, after a lost answer, a server fault or
// "in_progress" (the first attempt still running), so what it does is
// done once however often it is sent.
export async function postOnce(path, body, tries = 4) {
	const headers = { 'Idempotency-Key': newKey() };
	for (let i = 1; ; i++) {
		try {
			return await call('POST', path, body, { headers });
		} catch (e) {
			if (i >= tries || !(e.status === 0 || e.status >= 500 ||
			    e.code === 'in_progress'))
				throw e;
			await new Promise((r) => setTimeout(r, 400 * 2 ** i));
		}
	}
}

// Asks for GET path now, for a get(path) to come (see early).
export function prefetch(path) {
	early.set(path, { at: performance.now(),
		answer: call('GET', path, undefined, { early: true })
			.then((data) => ({ data }), (error) => ({ error })) });
}

// Forgets the prefetched answers not taken yet (something changed since).
export function dropEarly() {
	early.clear();
}

// The answer to GET path: the prefetched one when there is a fresh one.
export async function get(path) {
	const e = early.get(path);
	if (e) {
		early.delete(path);
		if (performance.now() - e.at < EARLY_MS) {
			const { data, error } = await e.answer;
			if (!error)
				return data;
			if (error.status === 401)
				onUnauthorized();
			throw error;
		}
	}
	return call('GET', path);
}
export const post = (path, body) => call('POST', path, body);
export const patch = (path, body) => call('PATCH', path, body);
export const del = (path) => call('DELETE', path);

// True when e says the endpoint is not there (yet): features built on
// endpoints a tamed may not have hide themselves on it.
export function missing(e) {
	return e && (e.status === 404 || e.status === 405) &&
		/endpoint|not allowed/.test(e.message || '');
}

// Query string from an object, skipping empty values.
export function qs(params) {
	const u = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== undefined && v !== null && v !== '')
			u.set(k, String(v));
	const s = u.toString();
	return s ? '?' + s : '';
}

// The session: {agent, csrf_token} or null when not signed in.
export async function restoreSession() {
	try {
		const s = await call('GET', '/session');
		csrf = s.csrf_token;
		return s.agent;
	} catch (e) {
		// no session: what was asked for with it is of no use
		early.clear();
		if (e.status === 401)
			return null;
		throw e;
	}
}

export async function login(email, password) {
	early.clear();
	const s = await call('POST', '/session', { email, password });
	csrf = s.csrf_token;
	return s.agent;
}

export async function logout() {
	try {
		await call('DELETE', '/session');
	} finally {
		csrf = null;
		early.clear();
	}
}

export function attachmentUrl(ticketId, attId) {
	return '/api/v1/tickets/' + encodeURIComponent(ticketId) +
		'/attachments/' + encodeURIComponent(attId);
}
