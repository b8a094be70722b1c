/* DATA_DIR/CONTAINERID-IFNAME: what ADD created, one "key value" per line, written atomically. */
#include "cni.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void path_of(const struct conf *c, const struct env *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s-%s", c->data_dir, e->container_id, e->ifname);
}

static int mkdirs(const char *dir)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int state_save(const struct conf *c, const struct env *e, const struct state *s)
{
	char path[4096], tmp[4200];
	int rc = mkdirs(c->data_dir);
	if (rc)
		return rc;
	path_of(c, e, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "vni %lld\nhost %s\nmac %s\nmtu %d\n", s->vni, s->host, s->mac, s->mtu);
	for (int i = 0; i < s->nips; i++)
		fprintf(f, "ip %s\n", s->ips[i]);
	if (fflush(f) || fsync(fileno(f))) {
		rc = -errno;
		fclose(f);
		unlink(tmp);
		return rc;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}

int state_load(const struct conf *c, const struct env *e, struct state *s)
{
	char path[4096], line[256];
	memset(s, 0, sizeof(*s));
	path_of(c, e, path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *v = strchr(line, ' ');
		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(line, "vni"))
			s->vni = strtoll(v, NULL, 10);
		else if (!strcmp(line, "host"))
			snprintf(s->host, sizeof(s->host), "%s", v);
		else if (!strcmp(line, "mac"))
			snprintf(s->mac, sizeof(s->mac), "%s", v);
		else if (!strcmp(line, "mtu"))
			s->mtu = atoi(v);
		else if (!strcmp(line, "ip") && s->nips < MAX_IPS)
			snprintf(s->ips[s->nips++], sizeof(s->ips[0]), "%s", v);
	}
	fclose(f);
	return 0;
}

void state_remove(const struct conf *c, const struct env *e)
{
	char path[4096];
	path_of(c, e, path, sizeof(path));
	unlink(path);
}
