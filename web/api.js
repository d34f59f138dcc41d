// api.js - the only door to tamed: fetch on /api/v1 with the session
// cookie, the CSRF token on every unsafe request, errors as exceptions
// carrying the API's {"error":{code,message}}.
//
// The CSRF token lives in this module's memory only (never in storage):
// it comes from POST /session at login or GET /session on reload.

let csrf = null;
let onUnauthorized = () => {};

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

// fn() is called when a request answers 401 (the session ended).
export function setUnauthorizedHandler(fn) {
	onUnauthorized = fn;
}

export async function call(method, path, body) {
	const headers = { 'Accept': 'application/json' };
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && method !== 'HEAD' && csrf)
		headers['X-CSRF-Token'] = csrf;
	let r;
	try {
		r = await fetch('/api/v1' + path, {
			method, headers, credentials: 'same-origin',
			body: body === undefined ? undefined : JSON.stringify(body),
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
		if (r.status === 401 && path !== '/session')
			onUnauthorized();
		throw new ApiError(r.status, err.code || 'http_' + r.status,
			err.message || r.statusText);
	}
	return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const patch = (path, body) => call('PATCH', path, body);

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
		if (e.status === 401)
			return null;
		throw e;
	}
}

export async function login(email, password) {
	const s = await call('POST', '/session', { email, password });
	csrf = s.csrf_token;
	return s.agent;
}

export async function logout() {
	try {
		await call('DELETE', '/session');
	} finally {
		csrf = null;
	}
}

export function attachmentUrl(ticketId, attId) {
	return '/api/v1/tickets/' + encodeURIComponent(ticketId) +
		'/attachments/' + encodeURIComponent(attId);
}
