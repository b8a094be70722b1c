/* rtnetlink for what the plugin does to links, addresses and routes. Each call works in the
 * network namespace the calling thread is in when it is made. Returns 0 or -errno. */
#ifndef XVTEP_CNI_NL_H
#define XVTEP_CNI_NL_H

#include <netinet/in.h>

struct ipnet {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};

/* Parses "10.20.1.2/24" (or an address without /len when prefix_default >= 0). 0 on success. */
int ipnet_parse(const char *text, struct ipnet *out, int prefix_default);
/* "10.20.1.2" into buf */
const char *ipnet_addr(const struct ipnet *n, char *buf, int len);

/* A veth pair: HOST here, PEER created directly in the namespace netns_fd with its MTU and MAC. */
int nl_veth_create(const char *host, const char *peer, int netns_fd, int mtu, const unsigned char mac[6]);
int nl_link_up(int ifindex);
int nl_link_del(int ifindex);
int nl_addr_add(int ifindex, const struct ipnet *a);
/* dst via gw (gw NULL or family 0: a device route) out of ifindex */
int nl_route_add(int ifindex, const struct ipnet *dst, const struct ipnet *gw);

/* What CHECK reads back: MAC, MTU, up. 0 or -errno. */
int link_info(const char *ifname, unsigned char mac[6], int *mtu, int *up);
/* 1 if ifname carries address a with its prefix length, 0 if not, -errno on error */
int link_has_addr(const char *ifname, const struct ipnet *a);

#endif
