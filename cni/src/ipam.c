/* Delegation to the IPAM plugin, the standard way: the same network configuration on stdin,
 * the same environment except CNI_COMMAND, the binary looked up in CNI_PATH. */
#include "cni.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int find_plugin(const char *cni_path, const char *type, char *out, size_t len)
{
	const char *p = cni_path;
	while (p && *p) {
		size_t n = strcspn(p, ":");
		if (n) {
			snprintf(out, len, "%.*s/%s", (int)n, p, type);
			if (access(out, X_OK) == 0)
				return 0;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return -1;
}

int ipam_start(const struct conf *c, const struct env *e, const char *cmd, struct ipam_run *r)
{
	char bin[4096];
	memset(r, 0, sizeof(*r));
	if (!c->ipam_type)
		return -EINVAL;
	if (strchr(c->ipam_type, '/') || find_plugin(e->path, c->ipam_type, bin, sizeof(bin)) < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "{\"code\":%d,\"msg\":\"failed to find IPAM plugin %s in CNI_PATH %s\"}",
			 ERR_CONFIG, c->ipam_type, e->path ? e->path : "");
		r->early = strdup(msg);
		return 0;
	}
	int in[2], outp[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(outp, O_CLOEXEC) < 0) {
		int rc = -errno;
		close(in[0]);
		close(in[1]);
		return rc;
	}
	/* environment: ours, with CNI_COMMAND replaced */
	int n = 0;
	while (environ[n])
		n++;
	char **envp = calloc((size_t)n + 2, sizeof(char *));
	char cmdvar[64];
	snprintf(cmdvar, sizeof(cmdvar), "CNI_COMMAND=%s", cmd);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_COMMAND=", 12))
			envp[k++] = environ[i];
	envp[k++] = cmdvar;
	pid_t pid = fork();
	if (pid < 0) {
		int rc = -errno;
		close(in[0]), close(in[1]), close(outp[0]), close(outp[1]);
		free(envp);
		return rc;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		char *argv[] = {bin, NULL};
		execve(bin, argv, envp);
		_exit(127);
	}
	free(envp);
	close(in[0]);
	close(outp[1]);
	size_t len = strlen(c->raw);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(in[1], c->raw + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the plugin exited without reading: its status says why */
		off += (size_t)w;
	}
	close(in[1]);
	r->pid = pid;
	r->out_fd = outp[0];
	return 0;
}

int ipam_finish(struct ipam_run *r, char **out)
{
	*out = NULL;
	if (r->early) {
		*out = r->early;
		r->early = NULL;
		return 1;
	}
	if (!r->pid)
		return -ECHILD;
	size_t cap = 4096, got = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (cap - got < 1024)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(r->out_fd, buf + got, cap - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(r->out_fd);
	buf[got] = 0;
	int status;
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	r->pid = 0;
	*out = buf;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int ipam_exec(const struct conf *c, const struct env *e, const char *cmd, char **out)
{
	struct ipam_run r;
	int rc = ipam_start(c, e, cmd, &r);
	if (rc < 0) {
		*out = NULL;
		return rc;
	}
	return ipam_finish(&r, out);
}
