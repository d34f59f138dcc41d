/*
 * http_csv.h - the CSV form of every list the API serves (?format=csv).
 *
 * Model: a list is a JSON array of objects; a table names its columns as
 * dotted paths into each object ("customer.email"). Each column is one
 * cell: strings as they are, numbers in decimal, booleans as true/false,
 * null or missing as empty, arrays joined by ';' (objects inside an array
 * as compact JSON). Output is RFC 4180 (CRLF, quotes doubled) with a
 * header row, and text cells that a spreadsheet would run as a formula
 * (first character = + - @, tab or CR) are prefixed with ' (OWASP "CSV
 * injection"). No HTTP library is used here.
 */
#ifndef TAME_HTTP_CSV_H
#define TAME_HTTP_CSV_H

#include <stddef.h>
#include <jansson.h>
#include "../core/buf.h"
#include "../core/err.h"

/* Appends the header row and one row per element of items (an array of
 * objects; other elements give empty rows) to out, with the ncols
 * columns cols (dotted paths, also used as the header). TAME_ETOOBIG
 * when out's cap is reached, TAME_ENOMEM. */
enum tame_err http_csv_write(const json_t *items, const char *const *cols,
    size_t ncols, struct buf *out);

/* Appends one cell: s quoted as RFC 4180 needs, and prefixed with ' when
 * it could be read as a formula and text is non-zero. */
enum tame_err http_csv_cell(struct buf *out, const char *s, size_t len,
    int text);

#endif
