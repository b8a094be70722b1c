/*
 * xvtep CNI plugin (spec 1.0.0; also answers 0.3.x/0.4.0 configurations).
 *
 * ADD: IPAM (delegated) -> veth pair (container side CNI_IFNAME in CNI_NETNS, MTU of the VNI, a
 * fresh locally administered MAC) -> through the agent: host side becomes a port of the VNI, the
 * MAC is pinned to that port (static FDB entry), each address answers the ARP/ND proxy (neigh) ->
 * only then the container's interface gets its addresses and comes up, so its first frame finds
 * everything programmed: nothing is learned, flooded or missed.
 * DEL: the same in reverse, idempotent, also without the netns. CHECK: reads everything back.
 *
 * A thin client: every call is one short HTTP request to the agent on the host (agent.c).
 */
#include "cni.h"
#include "offload.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_AGENT "http://127.0.0.1:8470"
#define DEFAULT_DATA_DIR "/var/lib/cni/xvtep"
#define SUPPORTED "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]"

static const char *out_version = "1.0.0";

/* XVTEP_CNI_TRACE=1: milliseconds since start per step on stderr (what `test-vm/bench cni` reads) */
static int tracing;
static struct timespec t0;

static void trace(const char *step)
{
	if (!tracing)
		return;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "xvtep-cni trace %s %.2f ms\n", step,
		(double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6);
}

void cni_fail(const struct conf *c, int code, const char *details, const char *fmt, ...)
{
	struct sb b = {0}, msg = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	sb_printf(&b, "{\"cniVersion\":");
	sb_json_str(&b, c && c->version ? c->version : out_version);
	sb_printf(&b, ",\"code\":%d,\"msg\":", code);
	sb_json_str(&b, msg.p ? msg.p : "");
	if (details && *details) {
		sb_printf(&b, ",\"details\":");
		sb_json_str(&b, details);
	}
	sb_printf(&b, "}\n");
	fputs(b.p, stdout);
	fflush(stdout);
	exit(1);
}

/* ------------------------------------------------------------------ input */

static char *read_stdin(void)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(0, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	return buf;
}

static int valid_id(const char *s)
{
	if (!s || !*s || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static void read_env(struct env *e, const struct conf *c, int need_netns)
{
	e->container_id = getenv("CNI_CONTAINERID");
	e->netns = getenv("CNI_NETNS");
	e->ifname = getenv("CNI_IFNAME");
	e->path = getenv("CNI_PATH");
	if (!valid_id(e->container_id))
		cni_fail(c, ERR_ENV, NULL, "CNI_CONTAINERID missing or not [A-Za-z0-9_.-]+");
	if (!e->ifname || !*e->ifname || strlen(e->ifname) >= IFNAMSIZ || strchr(e->ifname, '/') ||
	    !strcmp(e->ifname, ".") || !strcmp(e->ifname, ".."))
		cni_fail(c, ERR_ENV, NULL, "CNI_IFNAME missing or not a valid interface name");
	if (need_netns && (!e->netns || !*e->netns))
		cni_fail(c, ERR_ENV, NULL, "CNI_NETNS missing");
}

static void parse_conf(struct conf *c, char *raw)
{
	const char *err = NULL;
	memset(c, 0, sizeof(*c));
	c->raw = raw;
	struct jv *j = json_parse(raw, &err);
	if (!j || j->type != J_OBJ)
		cni_fail(NULL, ERR_DECODE, err, "cannot decode the network configuration on stdin");
	c->version = json_str(json_get(j, "cniVersion"));
	if (!c->version)
		cni_fail(NULL, ERR_CONFIG, NULL, "cniVersion missing");
	static const char *const supported[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0"};
	int known = 0;
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		known |= !strcmp(c->version, supported[i]);
	if (!known) {
		const char *v = c->version;
		c->version = out_version;
		cni_fail(c, ERR_VERSION, "supported: " SUPPORTED, "cniVersion %s is not supported", v);
	}
	c->name = json_str(json_get(j, "name"));
	struct jv *v = json_get(j, "vni");
	if (!json_is_int(v, &c->vni) || c->vni < 1 || c->vni > 16777215)
		cni_fail(c, ERR_CONFIG, NULL, "\"vni\" must be an integer in 1..16777215");
	long long mtu = 0;
	if ((v = json_get(j, "mtu")) && (!json_is_int(v, &mtu) || mtu < 68 || mtu > 65535))
		cni_fail(c, ERR_CONFIG, NULL, "\"mtu\" must be an integer in 68..65535");
	c->mtu = (int)mtu;
	if ((v = json_get(j, "xdpEncap")) && v->type != J_BOOL)
		cni_fail(c, ERR_CONFIG, NULL, "\"xdpEncap\" must be true or false");
	c->xdp_encap = v && v->b;
	const char *url = DEFAULT_AGENT, *token = NULL;
	if ((v = json_get(j, "agent")) && !(url = json_str(v)))
		cni_fail(c, ERR_CONFIG, NULL, "\"agent\" must be a string (http://HOST:PORT or unix:///path)");
	if ((v = json_get(j, "tokenFile")) && !(token = json_str(v)))
		cni_fail(c, ERR_CONFIG, NULL, "\"tokenFile\" must be a string");
	long long timeout = 15000; /* 50 parallel ADDs on a busy 2-CPU host took >3 s (CI) */
	if ((v = json_get(j, "agentTimeoutMs")) && (!json_is_int(v, &timeout) || timeout < 1 || timeout > 600000))
		cni_fail(c, ERR_CONFIG, NULL, "\"agentTimeoutMs\" must be an integer in 1..600000");
	char aerr[512];
	if (agent_init(&c->agent, url, token, (int)timeout, aerr, sizeof(aerr)) < 0)
		cni_fail(c, ERR_CONFIG, NULL, "%s", aerr);
	c->data_dir = DEFAULT_DATA_DIR;
	if ((v = json_get(j, "dataDir")) && (!(c->data_dir = json_str(v)) || c->data_dir[0] != '/'))
		cni_fail(c, ERR_CONFIG, NULL, "\"dataDir\" must be an absolute path");
	c->ipam = json_get(j, "ipam");
	c->ipam_type = json_str(json_get(c->ipam, "type"));
	c->prev = json_get(j, "prevResult");
}

/* ------------------------------------------------------------------ the agent */

static char *api_path(const struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *api_path(const struct conf *c, const char *fmt, ...)
{
	struct sb b = {0};
	va_list ap;
	sb_printf(&b, "/api/v1/vnis/%lld", c->vni);
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.p;
}

/* The agent's own words for a refusal ({"error": ...}), else the body. */
static const char *why(const struct reply *r)
{
	struct jv *j = json_parse(r->body, NULL);
	const char *e = json_str(json_get(j, "error"));
	return e ? e : r->body;
}

static _Noreturn void agent_unreachable(const struct conf *c, const struct reply *r)
{
	cni_fail(c, ERR_TRY_LATER, NULL, "xvtep agent not reachable at %s: %s (is `xvtep agent` running?)",
		 c->agent.url, r->err);
}

/* ------------------------------------------------------------------ names */

/* Host-side name from the container and interface: DEL finds it without any state. */
static void host_name(const struct env *e, char out[16])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (const char *p = e->container_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ 0) * 0x100000001b3ULL;
	for (const char *p = e->ifname; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(out, 16, "xv%012llx", (unsigned long long)(h & 0xffffffffffffULL));
}

static void fmt_mac(const unsigned char m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int enter_ns(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------------ ADD */

struct ipcfg {
	struct ipnet addr;
	struct ipnet gw;  /* family 0: none */
	const char *text, *gw_text;
};

struct undo {
	const struct conf *c;
	const struct env *e;
	struct state *s;
	struct ipam_run *ipam_run; /* still running: finished before its DEL */
	int ipam, state, veth, port, fdb, neigh;
};

static void rollback(struct undo *u)
{
	struct reply r;
	if (u->neigh)
		for (int i = 0; i < u->s->nips; i++) {
			char ip[64];
			snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(u->s->ips[i], "/"), u->s->ips[i]);
			agent_call(&u->c->agent, "DELETE", api_path(u->c, "/neigh/%s", ip), NULL, &r);
		}
	if (u->fdb)
		agent_call(&u->c->agent, "DELETE", api_path(u->c, "/fdb/%s", u->s->mac), NULL, &r);
	if (u->port)
		agent_call(&u->c->agent, "DELETE", api_path(u->c, "/ports/%s", u->s->host), NULL, &r);
	if (u->veth) {
		unsigned idx = if_nametoindex(u->s->host);
		if (idx)
			nl_link_del((int)idx);
	}
	if (u->ipam) {
		char *out;
		if (u->ipam_run && u->ipam_run->pid)
			ipam_finish(u->ipam_run, &out);
		ipam_exec(u->c, u->e, "DEL", &out);
	}
	if (u->state)
		state_remove(u->c, u->e);
}

static _Noreturn void add_fail(struct undo *u, int code, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static _Noreturn void add_fail(struct undo *u, int code, const char *details, const char *fmt, ...)
{
	struct sb msg = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	rollback(u);
	cni_fail(u->c, code, details, "%s", msg.p);
}

static void cmd_add(struct conf *c)
{
	struct env e;
	read_env(&e, c, 1);
	if (!c->ipam_type)
		cni_fail(c, ERR_CONFIG, NULL, "\"ipam\" with a \"type\" is required (e.g. host-local)");
	struct state s = {.vni = c->vni};
	struct ipam_run ipam_run;
	struct undo u = {.c = c, .e = &e, .s = &s, .ipam_run = &ipam_run};
	struct reply r;
	int rc;

	int nsfd = open(e.netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		cni_fail(c, errno == ENOENT ? ERR_NO_CONTAINER : ERR_IO, NULL, "network namespace %s: %s", e.netns,
			 strerror(errno));
	int hostfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (hostfd < 0)
		cni_fail(c, ERR_IO, NULL, "own network namespace: %s", strerror(errno));

	/* the IPAM plugin runs while the link and the agent's port and FDB entry are made: only the
	 * neighbour entries and the container's side need its addresses */
	if ((rc = ipam_start(c, &e, "ADD", &ipam_run)) < 0)
		cni_fail(c, ERR_IO, NULL, "IPAM plugin %s: %s", c->ipam_type, strerror(-rc));
	u.ipam = 1;

	/* the VNI must exist; its MTU is the container's unless the configuration says less */
	agent_call(&c->agent, "GET", api_path(c, "%s", ""), NULL, &r);
	if (r.status == 0)
		add_fail(&u, ERR_TRY_LATER, NULL, "xvtep agent not reachable at %s: %s (is `xvtep agent` running?)",
			 c->agent.url, r.err);
	if (r.status == 404)
		add_fail(&u, ERR_CONFIG, why(&r), "VNI %lld does not exist on the xvtep agent at %s (xvtep vni add %lld)",
			 c->vni, c->agent.url, c->vni);
	if (r.status != 200)
		add_fail(&u, ERR_AGENT, why(&r), "xvtep agent: GET VNI %lld: HTTP %d", c->vni, r.status);
	trace("vni");
	long long vni_mtu = 0;
	struct jv *vni = json_parse(r.body, NULL);
	json_is_int(json_get(vni, "mtu"), &vni_mtu);
	int no_gso = vni_refuses_gso(vni);
	s.mtu = c->mtu ? c->mtu : (int)vni_mtu;
	if (vni_mtu && c->mtu > vni_mtu)
		add_fail(&u, ERR_CONFIG, NULL, "\"mtu\" %d exceeds VNI %lld's MTU %lld", c->mtu, c->vni, vni_mtu);
	if (s.mtu < 68)
		s.mtu = 1450;

	/* names, then the state DEL needs, before anything exists that it would have to remove */
	host_name(&e, s.host);
	unsigned char mac[6];
	if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
		add_fail(&u, ERR_IO, NULL, "getrandom: %s", strerror(errno));
	mac[0] = (unsigned char)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
	fmt_mac(mac, s.mac);
	if ((rc = state_save(c, &e, &s)) < 0)
		add_fail(&u, ERR_IO, NULL, "state in %s: %s", c->data_dir, strerror(-rc));
	u.state = 1;

	/* the link, both ends down */
	if ((rc = nl_veth_create(s.host, e.ifname, nsfd, s.mtu, mac)) < 0)
		add_fail(&u, ERR_NETLINK, NULL, "veth %s <-> %s in %s: %s", s.host, e.ifname, e.netns, strerror(-rc));
	u.veth = 1;
	unsigned hidx = if_nametoindex(s.host);
	if (!hidx || (rc = nl_link_up((int)hidx)) < 0)
		add_fail(&u, ERR_NETLINK, NULL, "set %s up: %s", s.host, strerror(hidx ? -rc : errno));
	trace("veth");

	/* XDP encapsulation: the container's tx checksum offload off before the agent attaches xdp_port
	 * (offload.h); the agent refuses the port if it finds it on and cannot reach it */
	if (c->xdp_encap) {
		char on[ETH_GSTRING_LEN_CNI] = "";
		if ((rc = enter_ns(nsfd)) < 0)
			add_fail(&u, ERR_IO, NULL, "enter %s: %s", e.netns, strerror(-rc));
		rc = tx_checksum_off(e.ifname, on, sizeof(on));
		int back = enter_ns(hostfd);
		if (rc < 0)
			add_fail(&u, ERR_IO, NULL, "%s: tx checksum offload off (xdpEncap): %s%s%s", e.ifname, strerror(-rc),
				 *on ? ": still on: " : "", on);
		if (back < 0)
			add_fail(&u, ERR_IO, NULL, "back to the host namespace: %s", strerror(-back));
		trace("tx checksum off");
	}

	/* the agent: port, MAC -> port */
	struct sb body = {0};
	sb_printf(&body, "{\"ifname\":\"%s\"%s}", s.host, c->xdp_encap ? ",\"xdp_encap\":true" : "");
	agent_call(&c->agent, "POST", api_path(c, "/ports"), body.p, &r);
	if (r.status == 0)
		add_fail(&u, ERR_TRY_LATER, NULL, "xvtep agent not reachable at %s: %s", c->agent.url, r.err);
	if (r.status != 201)
		add_fail(&u, ERR_AGENT, why(&r), "xvtep agent: port %s in VNI %lld: HTTP %d: %s", s.host, c->vni,
			 r.status, why(&r));
	u.port = 1;
	body.len = 0;
	sb_printf(&body, "{\"mac\":\"%s\",\"ifname\":\"%s\"}", s.mac, s.host);
	agent_call(&c->agent, "POST", api_path(c, "/fdb"), body.p, &r);
	if (r.status != 201)
		add_fail(&u, r.status ? ERR_AGENT : ERR_TRY_LATER, r.status ? why(&r) : NULL,
			 "xvtep agent: FDB %s -> %s in VNI %lld: %s", s.mac, s.host, c->vni, r.status ? why(&r) : r.err);
	u.fdb = 1;
	trace("port");

	/* the addresses */
	char *ipam_out;
	rc = ipam_finish(&ipam_run, &ipam_out);
	if (rc != 0) {
		if (rc > 0 && ipam_out && *ipam_out) { /* the IPAM plugin's own error, as it said it */
			rollback(&u);
			fputs(ipam_out, stdout);
			exit(1);
		}
		add_fail(&u, ERR_IO, NULL, "IPAM plugin %s: %s", c->ipam_type, rc < 0 ? strerror(-rc) : "failed");
	}
	trace("ipam");
	const char *perr = NULL;
	struct jv *ipam = json_parse(ipam_out, &perr);
	struct jv *ips = json_get(ipam, "ips");
	if (!ipam || !ips || ips->type != J_ARR || !ips->child)
		add_fail(&u, ERR_DECODE, perr ? perr : ipam_out, "IPAM plugin %s returned no addresses", c->ipam_type);
	struct ipcfg ipc[MAX_IPS];
	int has6 = 0;
	for (struct jv *i = ips->child; i; i = i->next) {
		if (s.nips == MAX_IPS)
			add_fail(&u, ERR_UNSUPPORTED, NULL, "more than %d addresses from IPAM", MAX_IPS);
		struct ipcfg *p = &ipc[s.nips];
		memset(p, 0, sizeof(*p));
		p->text = json_str(json_get(i, "address"));
		p->gw_text = json_str(json_get(i, "gateway"));
		if (!p->text || ipnet_parse(p->text, &p->addr, -1) < 0)
			add_fail(&u, ERR_DECODE, ipam_out, "IPAM returned a bad address");
		if (p->gw_text && ipnet_parse(p->gw_text, &p->gw, 128) < 0)
			add_fail(&u, ERR_DECODE, ipam_out, "IPAM returned a bad gateway");
		has6 |= p->addr.family == AF_INET6;
		snprintf(s.ips[s.nips++], sizeof(s.ips[0]), "%s", p->text);
	}
	if ((rc = state_save(c, &e, &s)) < 0)
		add_fail(&u, ERR_IO, NULL, "state in %s: %s", c->data_dir, strerror(-rc));

	/* addresses -> MAC; replace semantics: an address IPAM just handed out is this container's,
	 * whatever a dead one left */
	body.len = 0;
	sb_printf(&body, "{\"entries\":[");
	for (int i = 0; i < s.nips; i++) {
		char a[64];
		sb_printf(&body, "%s{\"ip\":\"%s\",\"mac\":\"%s\"}", i ? "," : "", ipnet_addr(&ipc[i].addr, a, sizeof(a)),
			  s.mac);
	}
	sb_printf(&body, "]}");
	agent_call(&c->agent, "POST", api_path(c, "/neigh/bulk"), body.p, &r);
	if (r.status != 200)
		add_fail(&u, r.status ? ERR_AGENT : ERR_TRY_LATER, r.status ? why(&r) : NULL,
			 "xvtep agent: neighbours of %s in VNI %lld: %s", s.mac, c->vni, r.status ? why(&r) : r.err);
	u.neigh = 1;
	trace("agent");

	/* the container's side: addresses, up, routes */
	if ((rc = enter_ns(nsfd)) < 0)
		add_fail(&u, ERR_IO, NULL, "enter %s: %s", e.netns, strerror(-rc));
	const char *step = "";
	unsigned cidx = if_nametoindex(e.ifname);
	rc = cidx ? 0 : -errno;
	if (!rc && !has6) {
		/* no IPv6 address: its link-local stack would only send DAD/MLD/RS multicast to be flooded */
		char path[128];
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", e.ifname);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0) {
				/* best effort: an IPv6-less kernel has nothing to send anyway */
			}
			close(fd);
		}
	}
	/* Before the link is up, so no GSO frame ever leaves: a checksumming IPv6 VNI refuses them (offload.h).
	 * The VNI's udp6zerocsumtx is fixed at create, so the choice holds for the container's life. */
	char still_on[ETH_GSTRING_LEN_CNI] = "";
	if (!rc && no_gso && (rc = segmentation_off(e.ifname, still_on, sizeof(still_on))) < 0)
		step = *still_on ? still_on : "segmentation offloads off";
	for (int i = 0; !rc && i < s.nips; i++)
		if ((rc = nl_addr_add((int)cidx, &ipc[i].addr)) < 0)
			step = ipc[i].text;
	if (!rc && (rc = nl_link_up((int)cidx)) < 0)
		step = "link up";
	struct jv *routes = json_get(ipam, "routes");
	for (struct jv *rt = routes && routes->type == J_ARR ? routes->child : NULL; !rc && rt; rt = rt->next) {
		struct ipnet dst, gw = {0};
		const char *d = json_str(json_get(rt, "dst")), *g = json_str(json_get(rt, "gw"));
		if (!d || ipnet_parse(d, &dst, -1) < 0) {
			rc = -EINVAL;
			step = "route without a valid dst";
			break;
		}
		if (g && ipnet_parse(g, &gw, 128) < 0) {
			rc = -EINVAL;
			step = g;
			break;
		}
		if (!g) /* the spec's default: the gateway of an address of the same family */
			for (int i = 0; i < s.nips; i++)
				if (ipc[i].gw.family == dst.family) {
					gw = ipc[i].gw;
					break;
				}
		if ((rc = nl_route_add((int)cidx, &dst, &gw)) < 0)
			step = d;
	}
	int back = enter_ns(hostfd);
	if (back < 0) /* cannot happen short of a kernel bug; nothing sane is left to do here */
		cni_fail(c, ERR_IO, NULL, "return to the host namespace: %s", strerror(-back));
	if (rc < 0)
		add_fail(&u, ERR_NETLINK, NULL, "%s in %s: %s: %s", e.ifname, e.netns, step, strerror(-rc));

	trace("container");
	/* the result */
	unsigned char hmac[6] = {0};
	int hmtu, hup;
	link_info(s.host, hmac, &hmtu, &hup);
	char hm[18];
	fmt_mac(hmac, hm);
	int v1 = !strcmp(c->version, "1.0.0");
	struct sb o = {0};
	sb_printf(&o, "{\"cniVersion\":");
	sb_json_str(&o, c->version);
	sb_printf(&o, ",\"interfaces\":[{\"name\":\"%s\",\"mac\":\"%s\"},{\"name\":", s.host, hm);
	sb_json_str(&o, e.ifname);
	sb_printf(&o, ",\"mac\":\"%s\",\"sandbox\":", s.mac);
	sb_json_str(&o, e.netns);
	sb_printf(&o, "}],\"ips\":[");
	for (int i = 0; i < s.nips; i++) {
		sb_printf(&o, "%s{", i ? "," : "");
		if (!v1)
			sb_printf(&o, "\"version\":\"%d\",", ipc[i].addr.family == AF_INET ? 4 : 6);
		sb_printf(&o, "\"address\":");
		sb_json_str(&o, ipc[i].text);
		if (ipc[i].gw_text) {
			sb_printf(&o, ",\"gateway\":");
			sb_json_str(&o, ipc[i].gw_text);
		}
		sb_printf(&o, ",\"interface\":1}");
	}
	sb_printf(&o, "]");
	if (routes && routes->type == J_ARR) {
		sb_printf(&o, ",\"routes\":");
		sb_json_value(&o, routes);
	}
	struct jv *dns = json_get(ipam, "dns");
	if (dns && dns->type == J_OBJ) {
		sb_printf(&o, ",\"dns\":");
		sb_json_value(&o, dns);
	}
	sb_printf(&o, "}\n");
	fputs(o.p, stdout);
	trace("done");
}

/* ------------------------------------------------------------------ DEL */

/* What to remove when there is no state file: the previous result, if the runtime sent it. */
static void state_from_prev(const struct conf *c, const struct env *e, struct state *s)
{
	memset(s, 0, sizeof(*s));
	s->vni = c->vni;
	host_name(e, s->host);
	struct jv *ifs = json_get(c->prev, "interfaces");
	for (struct jv *i = ifs && ifs->type == J_ARR ? ifs->child : NULL; i; i = i->next) {
		const char *name = json_str(json_get(i, "name")), *mac = json_str(json_get(i, "mac"));
		if (json_get(i, "sandbox") && name && mac && !strcmp(name, e->ifname) && strlen(mac) == 17)
			snprintf(s->mac, sizeof(s->mac), "%s", mac);
	}
	struct jv *ips = json_get(c->prev, "ips");
	for (struct jv *i = ips && ips->type == J_ARR ? ips->child : NULL; i && s->nips < MAX_IPS; i = i->next) {
		const char *a = json_str(json_get(i, "address"));
		if (a)
			snprintf(s->ips[s->nips++], sizeof(s->ips[0]), "%s", a);
	}
}

/* Does the VNI's neighbour table map ip to mac? (a repeated DEL must not remove a newer owner's) */
static int neigh_is(const struct conf *c, const char *ip, const char *mac)
{
	struct reply r;
	if (agent_call(&c->agent, "GET", api_path(c, "/neigh"), NULL, &r) != 200)
		return 0;
	struct jv *l = json_parse(r.body, NULL);
	for (struct jv *n = l && l->type == J_ARR ? l->child : NULL; n; n = n->next) {
		const char *nip = json_str(json_get(n, "ip")), *nmac = json_str(json_get(n, "mac"));
		if (nip && nmac && !strcmp(nip, ip) && !strcasecmp(nmac, mac))
			return 1;
	}
	return 0;
}

static void cmd_del(struct conf *c)
{
	struct env e;
	read_env(&e, c, 0);
	struct state s;
	int from_state = state_load(c, &e, &s) == 0;
	if (!from_state)
		state_from_prev(c, &e, &s);
	if (from_state && s.vni != c->vni) /* the configuration is the runtime's; the state is what we did */
		c->vni = s.vni;
	struct reply r;
	const char *unreachable = NULL;
	char uerr[sizeof(r.err)] = "";
	/* a 404 (no VNI, no entry, no interface) means already gone */
#define DEL_CALL(path)                                                                                     \
	do {                                                                                               \
		if (!unreachable && agent_call(&c->agent, "DELETE", (path), NULL, &r) == 0) {              \
			unreachable = c->agent.url;                                                        \
			snprintf(uerr, sizeof(uerr), "%s", r.err);                                         \
		} else if (!unreachable && r.status >= 400 && r.status != 404) {                            \
			cni_fail(c, ERR_AGENT, why(&r), "xvtep agent: DELETE %s: HTTP %d: %s", (path), r.status, \
				 why(&r));                                                                 \
		}                                                                                          \
	} while (0)
	for (int i = 0; i < s.nips && s.mac[0]; i++) {
		char ip[64];
		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(s.ips[i], "/"), s.ips[i]);
		if (from_state || neigh_is(c, ip, s.mac))
			DEL_CALL(api_path(c, "/neigh/%s", ip));
	}
	if (s.mac[0])
		DEL_CALL(api_path(c, "/fdb/%s", s.mac));
	unsigned hidx = if_nametoindex(s.host);
	if (hidx)
		DEL_CALL(api_path(c, "/ports/%s", s.host));
	/* else the netns (and with it the pair) is gone: the agent drops ports whose interface vanished */
	if (hidx) {
		int rc = nl_link_del((int)hidx);
		if (rc < 0 && rc != -ENODEV)
			cni_fail(c, ERR_NETLINK, NULL, "delete %s: %s", s.host, strerror(-rc));
	}
	if (c->ipam_type) {
		char *out;
		if (ipam_exec(c, &e, "DEL", &out) != 0) {
			if (out && *out) {
				fputs(out, stdout);
				exit(1);
			}
			cni_fail(c, ERR_IO, NULL, "IPAM plugin %s: DEL failed", c->ipam_type);
		}
	}
	if (unreachable) /* keep the state: a retried DEL removes the rest */
		cni_fail(c, ERR_TRY_LATER, NULL, "xvtep agent not reachable at %s: %s; the link and the address are "
			 "released, the agent's entries for %s are not", unreachable, uerr, s.mac);
	state_remove(c, &e);
#undef DEL_CALL
}

/* ------------------------------------------------------------------ CHECK */

static void cmd_check(struct conf *c)
{
	struct env e;
	read_env(&e, c, 1);
	if (!c->prev)
		cni_fail(c, ERR_CONFIG, NULL, "CHECK needs prevResult");
	struct state s;
	if (state_load(c, &e, &s) < 0)
		cni_fail(c, ERR_CHECK, NULL, "no state for %s/%s in %s: not added by this plugin", e.container_id,
			 e.ifname, c->data_dir);
	if (c->ipam_type) {
		char *out;
		if (ipam_exec(c, &e, "CHECK", &out) != 0) {
			if (out && *out) {
				fputs(out, stdout);
				exit(1);
			}
			cni_fail(c, ERR_IO, NULL, "IPAM plugin %s: CHECK failed", c->ipam_type);
		}
	}
	unsigned char mac[6];
	char m[18];
	int mtu, up;
	if (link_info(s.host, mac, &mtu, &up) < 0 || !up)
		cni_fail(c, ERR_CHECK, NULL, "host side %s missing or down", s.host);
	int nsfd = open(e.netns, O_RDONLY | O_CLOEXEC), hostfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || hostfd < 0)
		cni_fail(c, ERR_NO_CONTAINER, NULL, "network namespace %s: %s", e.netns, strerror(errno));
	if (enter_ns(nsfd) < 0)
		cni_fail(c, ERR_IO, NULL, "enter %s: %s", e.netns, strerror(errno));
	char problem[256] = "";
	if (link_info(e.ifname, mac, &mtu, &up) < 0) {
		snprintf(problem, sizeof(problem), "%s missing in %s", e.ifname, e.netns);
	} else {
		fmt_mac(mac, m);
		if (strcasecmp(m, s.mac))
			snprintf(problem, sizeof(problem), "%s has MAC %s, not %s", e.ifname, m, s.mac);
		else if (mtu != s.mtu)
			snprintf(problem, sizeof(problem), "%s has MTU %d, not %d", e.ifname, mtu, s.mtu);
		else if (!up)
			snprintf(problem, sizeof(problem), "%s is down", e.ifname);
		for (int i = 0; !problem[0] && i < s.nips; i++) {
			struct ipnet a;
			if (ipnet_parse(s.ips[i], &a, -1) == 0 && link_has_addr(e.ifname, &a) != 1)
				snprintf(problem, sizeof(problem), "%s lacks %s", e.ifname, s.ips[i]);
		}
	}
	if (enter_ns(hostfd) < 0)
		cni_fail(c, ERR_IO, NULL, "return to the host namespace: %s", strerror(errno));
	if (problem[0])
		cni_fail(c, ERR_CHECK, NULL, "%s", problem);

	struct reply r;
	c->vni = s.vni;
	if (agent_call(&c->agent, "GET", api_path(c, "/ports"), NULL, &r) == 0)
		agent_unreachable(c, &r);
	struct jv *l = json_parse(r.body, NULL);
	int found = 0;
	for (struct jv *p = r.status == 200 && l && l->type == J_ARR ? l->child : NULL; p; p = p->next)
		found |= json_str(json_get(p, "ifname")) && !strcmp(json_str(json_get(p, "ifname")), s.host);
	if (!found)
		cni_fail(c, ERR_CHECK, why(&r), "%s is not a port of VNI %lld", s.host, s.vni);
	agent_call(&c->agent, "GET", api_path(c, "/fdb?type=static"), NULL, &r);
	l = json_parse(r.body, NULL);
	found = 0;
	for (struct jv *f = r.status == 200 && l && l->type == J_ARR ? l->child : NULL; f; f = f->next) {
		const char *fm = json_str(json_get(f, "mac")), *fi = json_str(json_get(f, "ifname"));
		found |= fm && fi && !strcasecmp(fm, s.mac) && !strcmp(fi, s.host);
	}
	if (!found)
		cni_fail(c, ERR_CHECK, NULL, "VNI %lld has no FDB entry %s -> %s", s.vni, s.mac, s.host);
	for (int i = 0; i < s.nips; i++) {
		char ip[64];
		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(s.ips[i], "/"), s.ips[i]);
		if (!neigh_is(c, ip, s.mac))
			cni_fail(c, ERR_CHECK, NULL, "VNI %lld has no neighbour entry %s -> %s", s.vni, ip, s.mac);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tracing = getenv("XVTEP_CNI_TRACE") != NULL;
	const char *cmd = getenv("CNI_COMMAND");
	if (!cmd || !*cmd)
		cni_fail(NULL, ERR_ENV, NULL, "CNI_COMMAND missing (xvtep is a CNI plugin: see the README)");
	if (!strcmp(cmd, "VERSION")) {
		printf("{\"cniVersion\":\"%s\",\"supportedVersions\":%s}\n", out_version, SUPPORTED);
		return 0;
	}
	struct conf c;
	parse_conf(&c, read_stdin());
	if (!strcmp(cmd, "ADD"))
		cmd_add(&c);
	else if (!strcmp(cmd, "DEL"))
		cmd_del(&c);
	else if (!strcmp(cmd, "CHECK"))
		cmd_check(&c);
	else
		cni_fail(&c, ERR_ENV, NULL, "CNI_COMMAND %s is not supported (ADD, DEL, CHECK, VERSION)", cmd);
	return 0;
}
