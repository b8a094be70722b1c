#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *p;
	const char *err;
	int depth;
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (!p) {
		fputs("xvtep: out of memory\n", stderr);
		exit(5);
	}
	return p;
}

static void ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static struct jv *value(struct parser *ps);

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *string(struct parser *ps)
{
	if (*ps->p != '"') {
		ps->err = "expected a string";
		return NULL;
	}
	const char *s = ++ps->p;
	/* the decoded text is never longer than what is left of the source */
	char *out = xcalloc(strlen(s) + 1, 1), *o = out;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c == 0 || c < 0x20) {
			ps->err = c ? "control character in a string" : "unterminated string";
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			ps->p++;
			continue;
		}
		ps->p++;
		switch (*ps->p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp;
			if (hex4(ps->p + 1, &cp)) {
				ps->err = "bad \\u escape";
				return NULL;
			}
			ps->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->p[1] == '\\' && ps->p[2] == 'u') {
				unsigned lo;
				if (!hex4(ps->p + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					ps->p += 6;
				}
			}
			if (cp == 0) {
				ps->err = "NUL in a string";
				return NULL;
			}
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xc0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*o++ = (char)(0xe0 | cp >> 12);
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*o++ = (char)(0xf0 | cp >> 18);
				*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			ps->err = "bad escape in a string";
			return NULL;
		}
		ps->p++;
	}
	ps->p++;
	*o = 0;
	return out;
}

static struct jv *container(struct parser *ps, int obj)
{
	struct jv *v = xcalloc(1, sizeof(*v)), **tail = &v->child;
	v->type = obj ? J_OBJ : J_ARR;
	char close = obj ? '}' : ']';
	if (++ps->depth > 64) {
		ps->err = "nested too deeply";
		return NULL;
	}
	ps->p++;
	ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		ws(ps);
		if (obj) {
			if (!(key = string(ps)))
				return NULL;
			ws(ps);
			if (*ps->p != ':') {
				ps->err = "expected ':'";
				return NULL;
			}
			ps->p++;
		}
		struct jv *e = value(ps);
		if (!e)
			return NULL;
		e->key = key;
		*tail = e;
		tail = &e->next;
		ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return v;
		}
		ps->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
		return NULL;
	}
}

static struct jv *value(struct parser *ps)
{
	ws(ps);
	struct jv *v;
	switch (*ps->p) {
	case '{':
		return container(ps, 1);
	case '[':
		return container(ps, 0);
	case '"': {
		char *s = string(ps);
		if (!s)
			return NULL;
		v = xcalloc(1, sizeof(*v));
		v->type = J_STR;
		v->s = s;
		return v;
	}
	}
	v = xcalloc(1, sizeof(*v));
	if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
		v->type = J_BOOL;
		v->b = ps->p[0] == 't';
		ps->p += v->b ? 4 : 5;
		return v;
	}
	if (!strncmp(ps->p, "null", 4)) {
		v->type = J_NULL;
		ps->p += 4;
		return v;
	}
	const char *s = ps->p;
	if (*ps->p == '-')
		ps->p++;
	if (*ps->p < '0' || *ps->p > '9') {
		ps->err = "unexpected character";
		return NULL;
	}
	while ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' || *ps->p == 'E' ||
	       *ps->p == '+' || *ps->p == '-')
		ps->p++;
	v->type = J_NUM;
	v->s = strndup(s, (size_t)(ps->p - s));
	char *end;
	v->n = strtod(v->s, &end);
	if (*end) {
		ps->err = "bad number";
		return NULL;
	}
	return v;
}

struct jv *json_parse(const char *text, const char **err)
{
	struct parser ps = {.p = text};
	struct jv *v = value(&ps);
	if (v) {
		ws(&ps);
		if (*ps.p) {
			ps.err = "trailing characters after the value";
			v = NULL;
		}
	}
	if (!v && err)
		*err = ps.err ? ps.err : "invalid JSON";
	return v;
}

struct jv *json_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (struct jv *e = obj->child; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

const char *json_str(const struct jv *v)
{
	return v && v->type == J_STR ? v->s : NULL;
}

int json_is_int(const struct jv *v, long long *out)
{
	if (!v || v->type != J_NUM || strpbrk(v->s, ".eE"))
		return 0;
	char *end;
	long long n = strtoll(v->s, &end, 10);
	if (*end)
		return 0;
	*out = n;
	return 1;
}

void sb_vprintf(struct sb *b, const char *fmt, va_list ap)
{
	for (;;) {
		va_list cp;
		va_copy(cp, ap);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, cp);
		va_end(cp);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			fputs("xvtep: out of memory\n", stderr);
			exit(5);
		}
		b->p = p;
		b->cap = cap;
	}
}

void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

void sb_json_str(struct sb *b, const char *s)
{
	sb_printf(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': sb_printf(b, "\\\""); break;
		case '\\': sb_printf(b, "\\\\"); break;
		case '\n': sb_printf(b, "\\n"); break;
		case '\r': sb_printf(b, "\\r"); break;
		case '\t': sb_printf(b, "\\t"); break;
		default:
			if (*p < 0x20)
				sb_printf(b, "\\u%04x", *p);
			else
				sb_printf(b, "%c", *p);
		}
	}
	sb_printf(b, "\"");
}

void sb_json_value(struct sb *b, const struct jv *v)
{
	switch (v->type) {
	case J_NULL: sb_printf(b, "null"); break;
	case J_BOOL: sb_printf(b, v->b ? "true" : "false"); break;
	case J_NUM: sb_printf(b, "%s", v->s); break;
	case J_STR: sb_json_str(b, v->s); break;
	case J_ARR:
	case J_OBJ:
		sb_printf(b, v->type == J_OBJ ? "{" : "[");
		for (struct jv *e = v->child; e; e = e->next) {
			if (v->type == J_OBJ) {
				sb_json_str(b, e->key);
				sb_printf(b, ":");
			}
			sb_json_value(b, e);
			if (e->next)
				sb_printf(b, ",");
		}
		sb_printf(b, v->type == J_OBJ ? "}" : "]");
		break;
	}
}
