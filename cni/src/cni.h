/* The CNI side of the plugin: configuration, errors, state kept between ADD and DEL. */
#ifndef XVTEP_CNI_CNI_H
#define XVTEP_CNI_CNI_H

#include "agent.h"
#include "json.h"
#include "nl.h"

/* Error codes of the CNI spec (1.0.0, "Error"), and ours from 100 on. */
enum {
	ERR_VERSION = 1,     /* incompatible CNI version */
	ERR_UNSUPPORTED = 2, /* unsupported field in the network configuration */
	ERR_NO_CONTAINER = 3,
	ERR_ENV = 4,         /* invalid necessary environment variables */
	ERR_IO = 5,
	ERR_DECODE = 6,
	ERR_CONFIG = 7,      /* invalid network configuration */
	ERR_TRY_LATER = 11,
	ERR_AGENT = 100,     /* the agent refused a request */
	ERR_NETLINK = 101,   /* the kernel refused a link, address or route change */
	ERR_CHECK = 102,     /* CHECK found the container's network not as ADD left it */
};

#define MAX_IPS 8

struct conf {
	const char *version; /* cniVersion */
	const char *name;
	long long vni;
	int mtu;             /* 0: the VNI's */
	int xdp_encap;       /* "xdpEncap": the port's unicast to VTEPs is encapsulated in XDP (xdp_port) */
	const char *data_dir;
	const struct jv *ipam;
	const char *ipam_type;
	const struct jv *prev; /* prevResult */
	struct agent agent;
	const char *raw;       /* stdin as given, for the IPAM plugin */
};

struct env {
	const char *command, *container_id, *netns, *ifname, *path;
};

/* What ADD did, kept in DATA_DIR/CONTAINERID-IFNAME so that DEL and CHECK need nothing else. */
struct state {
	long long vni;
	char host[16];      /* host-side veth */
	char mac[18];       /* container side */
	int mtu;
	int nips;
	char ips[MAX_IPS][64]; /* CIDR */
};

_Noreturn void cni_fail(const struct conf *c, int code, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int state_load(const struct conf *c, const struct env *e, struct state *s);
int state_save(const struct conf *c, const struct env *e, const struct state *s);
void state_remove(const struct conf *c, const struct env *e);

/* Runs the IPAM plugin named by the configuration with CNI_COMMAND=cmd. Returns 0 (its result in
 * *out), 1 (it failed: its error JSON in *out, if it printed one) or -errno. */
int ipam_exec(const struct conf *c, const struct env *e, const char *cmd, char **out);

/* The same in two halves, so that ADD can do its own work while the IPAM plugin runs. */
struct ipam_run {
	int pid;      /* 0: not running */
	int out_fd;
	char *early;  /* set instead of pid when the plugin could not be started: its error */
};
int ipam_start(const struct conf *c, const struct env *e, const char *cmd, struct ipam_run *r);
int ipam_finish(struct ipam_run *r, char **out);

#endif
