#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int agent_init(struct agent *a, const char *url, const char *token_file, int timeout_ms, char *err, int errlen)
{
	memset(a, 0, sizeof(*a));
	a->timeout_ms = timeout_ms > 0 ? timeout_ms : 15000;
	snprintf(a->url, sizeof(a->url), "%s", url);
	if (!strncmp(url, "unix://", 7)) {
		const char *path = url + 7;
		if (*path != '/' || strlen(path) >= sizeof(a->unix_path)) {
			snprintf(err, errlen, "agent %s: want unix:///absolute/path (at most %zu characters)", url,
				 sizeof(a->unix_path) - 1);
			return -1;
		}
		snprintf(a->unix_path, sizeof(a->unix_path), "%s", path);
	} else if (!strncmp(url, "http://", 7)) {
		const char *hp = url + 7, *end = hp + strcspn(hp, "/");
		const char *colon = NULL;
		if (*hp == '[') { /* [v6]:port */
			const char *rb = memchr(hp, ']', (size_t)(end - hp));
			if (!rb || rb[1] != ':') {
				snprintf(err, errlen, "agent %s: want http://[ADDRESS]:PORT", url);
				return -1;
			}
			snprintf(a->host, sizeof(a->host), "%.*s", (int)(rb - hp - 1), hp + 1);
			colon = rb + 1;
		} else {
			colon = memchr(hp, ':', (size_t)(end - hp));
			if (!colon) {
				snprintf(err, errlen, "agent %s: want http://HOST:PORT", url);
				return -1;
			}
			snprintf(a->host, sizeof(a->host), "%.*s", (int)(colon - hp), hp);
		}
		int plen = (int)(end - colon - 1);
		if (plen < 1 || plen >= (int)sizeof(a->port) || strspn(colon + 1, "0123456789") < (size_t)plen ||
		    (*end && strcmp(end, "/"))) {
			snprintf(err, errlen, "agent %s: want http://HOST:PORT", url);
			return -1;
		}
		snprintf(a->port, sizeof(a->port), "%.*s", plen, colon + 1);
	} else {
		snprintf(err, errlen, "agent %s: only http://HOST:PORT and unix:///path are supported", url);
		return -1;
	}
	if (token_file && *token_file) {
		FILE *f = fopen(token_file, "r");
		if (!f) {
			snprintf(err, errlen, "token file %s: %s", token_file, strerror(errno));
			return -1;
		}
		size_t n = fread(a->token, 1, sizeof(a->token) - 1, f);
		fclose(f);
		a->token[n] = 0;
		a->token[strcspn(a->token, "\r\n")] = 0;
		if (!a->token[0] || strpbrk(a->token, " \t")) {
			snprintf(err, errlen, "token file %s: empty or not one token", token_file);
			return -1;
		}
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for ev until the deadline; 0 ready, -1 timeout/error (errno). */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = ev};
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int connect_to(const struct agent *a, long long deadline, char *err, int errlen)
{
	struct addrinfo *ai = NULL, hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const struct sockaddr *sa;
	socklen_t salen;
	int family;
	if (a->unix_path[0]) {
		memcpy(sun.sun_path, a->unix_path, strlen(a->unix_path) + 1);
		sa = (const struct sockaddr *)&sun;
		salen = sizeof(sun);
		family = AF_UNIX;
	} else {
		int rc = getaddrinfo(a->host, a->port, &hints, &ai);
		if (rc) {
			snprintf(err, errlen, "cannot resolve %s: %s", a->host, gai_strerror(rc));
			return -1;
		}
		sa = ai->ai_addr;
		salen = ai->ai_addrlen;
		family = ai->ai_family;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(fd, sa, salen) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			snprintf(err, errlen, "connect: %s", strerror(errno));
			goto fail;
		}
		if (wait_fd(fd, POLLOUT, deadline) < 0) {
			snprintf(err, errlen, "connect: %s", errno == ETIMEDOUT ? "timed out" : strerror(errno));
			goto fail;
		}
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			snprintf(err, errlen, "connect: %s", strerror(soerr));
			goto fail;
		}
	}
	if (ai)
		freeaddrinfo(ai);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	return -1;
}

/* Decodes a chunked body in place; -1 if malformed. */
static int dechunk(char *body, size_t len, size_t *out_len)
{
	char *in = body, *end = body + len, *out = body;
	for (;;) {
		char *nl = memmem(in, (size_t)(end - in), "\r\n", 2);
		if (!nl)
			return -1;
		char *e;
		unsigned long n = strtoul(in, &e, 16);
		if (e == in)
			return -1;
		in = nl + 2;
		if (n == 0)
			break;
		if ((size_t)(end - in) < n + 2)
			return -1;
		memmove(out, in, n);
		out += n;
		in += n + 2;
	}
	*out = 0;
	*out_len = (size_t)(out - body);
	return 0;
}

int agent_call(const struct agent *a, const char *method, const char *path, const char *body, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->body = "";
	long long deadline = now_ms() + a->timeout_ms;
	char err[sizeof(r->err)];
	int fd = connect_to(a, deadline, err, sizeof(err));
	if (fd < 0) {
		snprintf(r->err, sizeof(r->err), "%s", err);
		return 0;
	}
	size_t blen = body ? strlen(body) : 0;
	size_t cap = 1024 + blen + strlen(path) + strlen(a->token);
	char *req = malloc(cap);
	char *resp = NULL;
	if (!req)
		goto oom;
	int n = snprintf(req, cap,
			 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: xvtep-cni\r\nAccept: application/json\r\n"
			 "Connection: close\r\n%s%s%s%s%s",
			 method, path, a->unix_path[0] ? "localhost" : a->host,
			 a->token[0] ? "Authorization: Bearer " : "", a->token, a->token[0] ? "\r\n" : "",
			 body ? "Content-Type: application/json\r\n" : "", "");
	n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n\r\n", blen);
	if (body) {
		memcpy(req + n, body, blen);
		n += (int)blen;
	}
	for (int off = 0; off < n;) {
		if (wait_fd(fd, POLLOUT, deadline) < 0) {
			snprintf(r->err, sizeof(r->err), "send: %s", errno == ETIMEDOUT ? "timed out" : strerror(errno));
			goto fail;
		}
		ssize_t w = send(fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(r->err, sizeof(r->err), "send: %s", strerror(errno));
			goto fail;
		}
		if (w > 0)
			off += (int)w;
	}
	size_t rlen = 0, rcap = 8192;
	resp = malloc(rcap);
	if (!resp)
		goto oom;
	for (;;) {
		if (rcap - rlen < 4096) {
			char *p = realloc(resp, rcap *= 2);
			if (!p)
				goto oom;
			resp = p;
		}
		if (wait_fd(fd, POLLIN, deadline) < 0) {
			snprintf(r->err, sizeof(r->err), "no answer within %d ms", a->timeout_ms);
			goto fail;
		}
		ssize_t got = recv(fd, resp + rlen, rcap - rlen - 1, 0);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0) {
			snprintf(r->err, sizeof(r->err), "receive: %s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		rlen += (size_t)got;
		resp[rlen] = 0;
		/* stop early once a Content-Length body is complete (the server may keep the socket) */
		char *hend = strstr(resp, "\r\n\r\n");
		if (hend) {
			char *cl = strcasestr(resp, "\r\ncontent-length:");
			if (cl && cl < hend && rlen >= (size_t)(hend + 4 - resp) + strtoul(cl + 17, NULL, 10))
				break;
		}
	}
	close(fd);
	fd = -1;
	free(req);
	resp[rlen] = 0;
	int status = 0;
	char *hend = strstr(resp, "\r\n\r\n");
	if (!hend || sscanf(resp, "HTTP/1.%*d %d", &status) != 1 || status < 100) {
		snprintf(r->err, sizeof(r->err), "not an HTTP answer");
		free(resp);
		return 0;
	}
	*hend = 0;
	char *b = hend + 4;
	size_t bl = rlen - (size_t)(b - resp);
	if (strcasestr(resp, "\r\ntransfer-encoding: chunked") && dechunk(b, bl, &bl) < 0) {
		snprintf(r->err, sizeof(r->err), "bad chunked answer");
		free(resp);
		return 0;
	}
	r->status = status;
	r->body = b; /* resp stays allocated for the process's lifetime */
	return status;
oom:
	snprintf(r->err, sizeof(r->err), "out of memory");
fail:
	if (fd >= 0)
		close(fd);
	free(req);
	free(resp);
	return 0;
}
