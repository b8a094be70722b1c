/* The agent's HTTP API as the plugin reaches it: the one place that knows the transport
 * (TCP or a Unix socket, an optional bearer token, deadlines). */
#ifndef XVTEP_CNI_AGENT_H
#define XVTEP_CNI_AGENT_H

struct agent {
	char host[256];   /* TCP: host (name or literal) */
	char port[16];    /* TCP: port */
	char unix_path[108]; /* non-empty: a Unix socket instead of TCP */
	char token[512];  /* non-empty: sent as "Authorization: Bearer TOKEN" */
	int timeout_ms;   /* per call: connect, send and receive together */
	char url[300];    /* as configured, for messages */
};

struct reply {
	int status;       /* HTTP status; 0 when the agent could not be reached */
	char *body;       /* NUL-terminated, may be empty */
	char err[512];    /* transport error when status == 0 */
};

/* Parses "http://HOST:PORT" or "unix:///path"; reads the token file when given.
 * Returns 0, or -1 with a message in err. */
int agent_init(struct agent *a, const char *url, const char *token_file, int timeout_ms, char *err, int errlen);

/* One request (body may be NULL). Returns the HTTP status, or 0 when the agent was not reached
 * (reply.err says why). */
int agent_call(const struct agent *a, const char *method, const char *path, const char *body, struct reply *r);

#endif
