/*
 * http_priority.h - the ?priority= filter of the ticket list: a comma
 * list of priority names (low, normal, high, urgent) or "any".
 */
#ifndef TAME_HTTP_PRIORITY_H
#define TAME_HTTP_PRIORITY_H

#include "http_util.h"

/* Longest ?priority= value: the four names, commas and some slack. */
#define HTTP_PRIORITY_PARAM_MAX 64

/* Parses s (a comma list of priority names, repeats allowed, or
 * "any") into *mask, bit (1u << enum ticket_priority) per name; 0
 * for "any". Returns 0, or -1 when s is empty, too long, has an empty
 * item or an unknown name. Pure: no I/O, for the fuzz target. */
int http_priority_mask(const char *s, unsigned *mask);

/* Reads ?priority= of the request into *mask (0 when absent or "any").
 * 0, or -1 after answering 400 invalid_parameter. */
int http_priority_param(struct http_ctx *c, unsigned *mask);

#endif
