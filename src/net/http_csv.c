/*
 * http_csv.c - JSON lists as RFC 4180 CSV with formula cells defused.
 * See http_csv.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "http_csv.h"

/* Longest dotted path accepted in a column name. */
#define CSV_PATH_MAX 128

enum tame_err
http_csv_cell(struct buf *out, const char *s, size_t len, int text)
{
	enum tame_err rc = TAME_OK;
	int quote = 0;
	size_t i, start;

	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == ',' || s[i] == '\r' ||
		    s[i] == '\n' || s[i] == ';') {
			quote = 1;
			break;
		}
	}
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		quote = 1;
	if (quote && (rc = buf_add(out, "\"", 1)))
		goto out;
	if (text && len > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' ||
	    s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
		if ((rc = buf_add(out, "'", 1)))
			goto out;
	start = 0;
	for (i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		/* Double the quote: copy through it, then add another. */
		if ((rc = buf_add(out, s + start, i + 1 - start)))
			goto out;
		if ((rc = buf_add(out, "\"", 1)))
			goto out;
		start = i + 1;
	}
	if ((rc = buf_add(out, s + start, len - start)))
		goto out;
	if (quote)
		rc = buf_add(out, "\"", 1);
out:
	return rc;
}

/* Follows the dotted path in obj; NULL when any step is missing. */
static const json_t *
csv_lookup(const json_t *obj, const char *path)
{
	char part[CSV_PATH_MAX];
	const char *dot;
	size_t n;

	while (obj && json_is_object(obj)) {
		dot = strchr(path, '.');
		if (!dot)
			return json_object_get(obj, path);
		n = (size_t)(dot - path);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		obj = json_object_get(obj, part);
		path = dot + 1;
	}
	return NULL;
}

/* Appends v as a spreadsheet user reads it: the shortest decimal that
 * reads back as the same double (0.04, not %.17g's 0.040000000000000001;
 * 15 significant digits are always exact, 17 always enough), and 0 for
 * -0. JSON has no NaN or infinity, so neither reaches here. */
static enum tame_err
csv_real(struct buf *out, double v)
{
	char b[32];
	int prec, n = 0;

	if (v == 0)
		v = 0;
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(b, sizeof(b), "%.*g", prec, v);
		if (n < 0 || (size_t)n >= sizeof(b))
			return TAME_EINVAL;
		if (strtod(b, NULL) == v)
			break;
	}
	return buf_add(out, b, (size_t)n);
}

/* Appends the plain text of a scalar (or compact JSON of anything else)
 * to out. *text is set to 1 when the value came from a string. */
static enum tame_err
csv_scalar(struct buf *out, const json_t *v, int *text)
{
	enum tame_err rc = TAME_OK;
	char *dump;

	*text = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		*text = 1;
		rc = buf_add(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		rc = buf_printf(out, "%" PRId64,
		    (int64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		rc = csv_real(out, json_real_value(v));
		break;
	case JSON_TRUE:
		rc = buf_addstr(out, "true");
		break;
	case JSON_FALSE:
		rc = buf_addstr(out, "false");
		break;
	case JSON_NULL:
		break;
	default:
		*text = 1;
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!dump)
			return TAME_ENOMEM;
		rc = buf_addstr(out, dump);
		free(dump);
		break;
	}
	return rc;
}

/* Appends the cell of column path of item to out. */
static enum tame_err
csv_value(struct buf *out, const json_t *item, const char *path,
    struct buf *tmp)
{
	enum tame_err rc = TAME_OK;
	const json_t *v, *e;
	size_t i;
	int text = 0, t;

	buf_reset(tmp);
	v = csv_lookup(item, path);
	if (!v)
		goto out;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (i > 0 && (rc = buf_add(tmp, ";", 1)))
				goto out;
			if ((rc = csv_scalar(tmp, e, &t)))
				goto out;
			text |= t;
		}
	} else if ((rc = csv_scalar(tmp, v, &text))) {
		goto out;
	}
	rc = http_csv_cell(out, tmp->data ? tmp->data : "", tmp->len, text);
out:
	return rc;
}

enum tame_err
http_csv_write(const json_t *items, const char *const *cols, size_t ncols,
    struct buf *out)
{
	enum tame_err rc = TAME_OK;
	struct buf tmp;
	const json_t *item;
	size_t i, c;

	buf_init(&tmp, out->max);
	for (c = 0; c < ncols; c++) {
		if (c > 0 && (rc = buf_add(out, ",", 1)))
			goto out;
		if ((rc = http_csv_cell(out, cols[c], strlen(cols[c]), 1)))
			goto out;
	}
	if ((rc = buf_add(out, "\r\n", 2)))
		goto out;
	if (!json_is_array(items))
		goto out;
	json_array_foreach(items, i, item) {
		for (c = 0; c < ncols; c++) {
			if (c > 0 && (rc = buf_add(out, ",", 1)))
				goto out;
			if ((rc = csv_value(out, item, cols[c], &tmp)))
				goto out;
		}
		if ((rc = buf_add(out, "\r\n", 2)))
			goto out;
	}
out:
	buf_free(&tmp);
	return rc;
}
