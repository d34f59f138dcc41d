/*
 * http_session.h - who is calling: the session cookie (with its CSRF
 * token) or a bearer token; log in with throttling, log out.
 */
#ifndef TAME_HTTP_SESSION_H
#define TAME_HTTP_SESSION_H

#include "http_util.h"

/* Name of the session cookie. */
#define HTTP_SESSION_COOKIE "tame_session"

/* Finds the agent of the request (bearer token first, then the session
 * cookie) into c->agent, and for a cookie on an unsafe method checks the
 * X-CSRF-Token header. 0 when authenticated; -1 after answering 401
 * (unauthorized) or 403 (csrf). */
int http_session_authenticate(struct http_ctx *c);
/* For a page rather than the API: 1 when the session cookie names a live
 * session of an enabled agent (c->agent is that agent), 0 when it does
 * not or cannot be checked. Answers nothing. */
int http_session_peek(struct http_ctx *c);
/* Before a request's body is read: 1 when its bearer token, or else its
 * session cookie, names a live credential of an enabled agent (c->agent
 * is that agent) or the store cannot say, 0 when it has neither, -1
 * when the one it has is not (or no longer) valid. Checks no CSRF
 * token; answers nothing. */
int http_session_live(struct http_ctx *c);

/* POST /api/v1/session {email,password}: 201 with the agent and the CSRF
 * token, Set-Cookie; 401 invalid_credentials; 429 too_many_attempts. */
void http_session_login(struct http_ctx *c);
/* Before checking a password typed for email (a login, or the current
 * one at a password change): counts the guess against the account and
 * the client's address, or answers 429 (with Retry-After) and returns
 * -1 when either has had TAME_LOGIN_FAILS_MAX wrong ones in the window.
 * pw_hash is the account's password hash as the store has it now (NULL
 * for no account): when it is not the one of the failures counted (a
 * reset), they count no more. A right password is then given to
 * http_session_guessed. */
int http_session_guess(struct http_ctx *c, const char *email,
    const char *pw_hash);
void http_session_guessed(struct http_ctx *c, const char *email);
/* The reverse proxies in front of tamed (tamed --proxy): list is
 * their IPv4 or IPv6 addresses or ranges (ADDR/BITS), separated by
 * commas. A request from one
 * of them is from the address its X-Forwarded-For names last that is
 * not a proxy of the list: the login throttle counts that client's
 * guesses, not every agent's behind the proxy. X-Forwarded-For from
 * any other peer is not read (anyone can write one). 0, or -1 with the
 * reason in why. Called once, before the server starts. */
int http_session_proxies(const char *list, char *why, size_t whylen);
/* 1 when the browser reached tamed over HTTPS through a proxy
 * (X-Forwarded-Proto: https): the session cookie is then marked Secure,
 * so it never travels over plain HTTP. */
int http_session_secure(const struct http_ctx *c);
/* GET /api/v1/session: the agent and CSRF token of the caller. */
void http_session_get(struct http_ctx *c);
/* DELETE /api/v1/session: ends the cookie's session; 204. */
void http_session_logout(struct http_ctx *c);

#endif
