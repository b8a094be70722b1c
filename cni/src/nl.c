#include "nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int ipnet_parse(const char *text, struct ipnet *out, int prefix_default)
{
	char buf[64];
	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -1;
	int max = out->family == AF_INET ? 32 : 128;
	if (!slash) {
		if (prefix_default < 0)
			return -1;
		out->prefix = prefix_default > max ? max : prefix_default;
		return 0;
	}
	char *end;
	long p = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || p < 0 || p > max)
		return -1;
	out->prefix = (int)p;
	return 0;
}

const char *ipnet_addr(const struct ipnet *n, char *buf, int len)
{
	return inet_ntop(n->family, n->addr, buf, (socklen_t)len);
}

/* One request: header, fixed part, attributes (a plain buffer, so that attributes may follow). */
struct nlreq {
	_Alignas(struct nlmsghdr) char buf[2048];
};

#define HDR(r) ((struct nlmsghdr *)(void *)(r)->buf)

static struct rtattr *attr(struct nlmsghdr *h, int type, const void *data, int len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, (size_t)len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nest_end(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

/* Sends one request and waits for its acknowledgement. */
static int talk(struct nlmsghdr *h)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int rc;
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		char buf[8192];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (unsigned)n); r = NLMSG_NEXT(r, n)) {
			if (r->nlmsg_type == NLMSG_ERROR) {
				rc = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
				goto out;
			}
		}
	}
out:
	close(fd);
	return rc;
}

static struct ifinfomsg *link_msg(struct nlreq *r, int type, int flags)
{
	memset(r, 0, sizeof(*r));
	HDR(r)->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	HDR(r)->nlmsg_type = (unsigned short)type;
	HDR(r)->nlmsg_flags = (unsigned short)flags;
	struct ifinfomsg *ifi = NLMSG_DATA(HDR(r));
	ifi->ifi_family = AF_UNSPEC;
	return ifi;
}

int nl_veth_create(const char *host, const char *peer, int netns_fd, int mtu, const unsigned char mac[6])
{
	struct nlreq r;
	link_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	unsigned m = (unsigned)mtu;
	attr(HDR(&r), IFLA_IFNAME, host, (int)strlen(host) + 1);
	attr(HDR(&r), IFLA_MTU, &m, sizeof(m));
	struct rtattr *linkinfo = attr(HDR(&r), IFLA_LINKINFO, NULL, 0);
	attr(HDR(&r), IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = attr(HDR(&r), IFLA_INFO_DATA, NULL, 0);
	struct rtattr *pinfo = attr(HDR(&r), VETH_INFO_PEER, NULL, 0);
	/* the peer's own ifinfomsg, then its attributes */
	struct ifinfomsg pifi = {.ifi_family = AF_UNSPEC};
	memcpy(r.buf + HDR(&r)->nlmsg_len, &pifi, sizeof(pifi));
	HDR(&r)->nlmsg_len += NLMSG_ALIGN(sizeof(pifi));
	attr(HDR(&r), IFLA_IFNAME, peer, (int)strlen(peer) + 1);
	attr(HDR(&r), IFLA_NET_NS_FD, &netns_fd, sizeof(netns_fd));
	attr(HDR(&r), IFLA_MTU, &m, sizeof(m));
	attr(HDR(&r), IFLA_ADDRESS, mac, 6);
	nest_end(HDR(&r), pinfo);
	nest_end(HDR(&r), data);
	nest_end(HDR(&r), linkinfo);
	return talk(HDR(&r));
}

int nl_link_up(int ifindex)
{
	struct nlreq r;
	struct ifinfomsg *ifi = link_msg(&r, RTM_NEWLINK, 0);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return talk(HDR(&r));
}

int nl_link_del(int ifindex)
{
	struct nlreq r;
	struct ifinfomsg *ifi = link_msg(&r, RTM_DELLINK, 0);
	ifi->ifi_index = ifindex;
	return talk(HDR(&r));
}

int nl_addr_add(int ifindex, const struct ipnet *a)
{
	struct nlreq r;
	memset(&r, 0, sizeof(r));
	HDR(&r)->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	HDR(&r)->nlmsg_type = RTM_NEWADDR;
	HDR(&r)->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct ifaddrmsg *ifa = NLMSG_DATA(HDR(&r));
	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = (unsigned char)a->prefix;
	ifa->ifa_index = (unsigned)ifindex;
	int len = a->family == AF_INET ? 4 : 16;
	attr(HDR(&r), IFA_LOCAL, a->addr, len);
	attr(HDR(&r), IFA_ADDRESS, a->addr, len);
	if (a->family == AF_INET && a->prefix < 31) {
		unsigned char brd[4];
		unsigned host = a->prefix ? 0xffffffffu >> a->prefix : 0xffffffffu;
		unsigned v = ((unsigned)a->addr[0] << 24 | (unsigned)a->addr[1] << 16 | (unsigned)a->addr[2] << 8 |
			      a->addr[3]) | host;
		brd[0] = (unsigned char)(v >> 24), brd[1] = (unsigned char)(v >> 16), brd[2] = (unsigned char)(v >> 8),
		brd[3] = (unsigned char)v;
		attr(HDR(&r), IFA_BROADCAST, brd, 4);
	}
	if (a->family == AF_INET6) {
		/* no DAD: the address is ours by the IPAM's word, and DAD probes would flood the overlay */
		unsigned flags = IFA_F_NODAD;
		attr(HDR(&r), IFA_FLAGS, &flags, sizeof(flags));
	}
	return talk(HDR(&r));
}

int nl_route_add(int ifindex, const struct ipnet *dst, const struct ipnet *gw)
{
	struct nlreq r;
	memset(&r, 0, sizeof(r));
	HDR(&r)->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	HDR(&r)->nlmsg_type = RTM_NEWROUTE;
	HDR(&r)->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct rtmsg *rt = NLMSG_DATA(HDR(&r));
	rt->rtm_family = (unsigned char)dst->family;
	rt->rtm_dst_len = (unsigned char)dst->prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_type = RTN_UNICAST;
	int has_gw = gw && gw->family == dst->family;
	rt->rtm_scope = has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	int len = dst->family == AF_INET ? 4 : 16;
	if (dst->prefix)
		attr(HDR(&r), RTA_DST, dst->addr, len);
	if (has_gw)
		attr(HDR(&r), RTA_GATEWAY, gw->addr, len);
	unsigned oif = (unsigned)ifindex;
	attr(HDR(&r), RTA_OIF, &oif, sizeof(oif));
	return talk(HDR(&r));
}

int link_info(const char *ifname, unsigned char mac[6], int *mtu, int *up)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int rc = 0;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	*mtu = ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	*up = (ifr.ifr_flags & IFF_UP) != 0;
out:
	close(fd);
	return rc;
}

int link_has_addr(const char *ifname, const struct ipnet *a)
{
	struct ifaddrs *all;
	if (getifaddrs(&all) < 0)
		return -errno;
	int found = 0;
	for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname) || i->ifa_addr->sa_family != a->family)
			continue;
		const unsigned char *ad, *mk;
		int len = a->family == AF_INET ? 4 : 16;
		if (a->family == AF_INET) {
			ad = (const unsigned char *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			mk = i->ifa_netmask ? (const unsigned char *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr : NULL;
		} else {
			ad = (const unsigned char *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			mk = i->ifa_netmask ? (const unsigned char *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr : NULL;
		}
		if (memcmp(ad, a->addr, (size_t)len))
			continue;
		int bits = 0;
		for (int k = 0; mk && k < len; k++)
			bits += __builtin_popcount(mk[k]);
		found = bits == a->prefix;
	}
	freeifaddrs(all);
	return found;
}
