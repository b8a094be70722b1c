/* A small JSON reader (a tree of nodes) and writer (a growing string buffer), enough for CNI
 * configurations, IPAM results and the agent's answers. The plugin is a short-lived process:
 * nodes are never freed. */
#ifndef XVTEP_CNI_JSON_H
#define XVTEP_CNI_JSON_H

#include <stdarg.h>
#include <stddef.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	char *key;         /* member name when the parent is an object */
	char *s;           /* J_STR: the decoded string; J_NUM: the literal */
	double n;          /* J_NUM */
	int b;             /* J_BOOL */
	struct jv *child;  /* J_ARR, J_OBJ: first element */
	struct jv *next;   /* next sibling */
};

/* Parses text; NULL on error with a message in err (static storage). */
struct jv *json_parse(const char *text, const char **err);
struct jv *json_get(const struct jv *obj, const char *key); /* NULL if absent or obj is no object */
const char *json_str(const struct jv *v);                   /* NULL unless a string */
int json_is_int(const struct jv *v, long long *out);        /* an integral number */

/* String builder; aborts on out-of-memory. */
struct sb {
	char *p;
	size_t len, cap;
};
void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct sb *b, const char *fmt, va_list ap);
void sb_json_str(struct sb *b, const char *s); /* a quoted, escaped JSON string */
void sb_json_value(struct sb *b, const struct jv *v); /* re-serialises a parsed value */

#endif
