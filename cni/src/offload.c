/* The container side's segmentation offloads: see offload.h. */
#include "offload.h"
#include "json.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int vni_refuses_gso(const struct jv *vni)
{
	static const char *const addrs[] = {"local", "remote", "group"};
	int ipv6 = 0;

	for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		const char *a = json_str(json_get(vni, addrs[i]));
		ipv6 |= a && strchr(a, ':') != NULL;
	}
	struct jv *tx0 = json_get(vni, "udp6zerocsumtx");
	return ipv6 && !(tx0 && tx0->type == J_BOOL && tx0->b);
}

/* The offloads that hand GSO frames to the device: each protocol's TSO/USO, tunnels', fraglist. */
static int is_segmentation(const char *name)
{
	size_t n = strlen(name), s = strlen("-segmentation");

	if (!strcmp(name, "tx-gso-list"))
		return 1;
	return !strncmp(name, "tx-", 3) && n > s && !strcmp(name + n - s, "-segmentation") &&
	       strcmp(name, "tx-generic-segmentation"); /* software GSO: the segmenting itself, keep it */
}

static int features_off(const char *ifname, int (*pick)(const char *), char *left, int left_len);

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* The tx checksum offloads (tx-checksum-ipv4, -ip-generic, -ipv6, -sctp, ...): see tx_checksum_off. */
static int is_tx_checksum(const char *name)
{
	return !strncmp(name, "tx-checksum-", strlen("tx-checksum-"));
}

int segmentation_off(const char *ifname, char *left, int left_len)
{
	return features_off(ifname, is_segmentation, left, left_len);
}

int tx_checksum_off(const char *ifname, char *left, int left_len)
{
	return features_off(ifname, is_tx_checksum, left, left_len);
}

/* Turns off every feature of `ifname` that `pick` names (SIOCETHTOOL); 0, or -errno with *left the one still on. */
static int features_off(const char *ifname, int (*pick)(const char *), char *left, int left_len)
{
	struct ethtool_gstrings *names = NULL;
	struct ethtool_sfeatures *set = NULL;
	struct ethtool_gfeatures *get = NULL;
	/* the header and its one length: allocated, as a flexible array member can't sit inside a struct (ISO C) */
	struct ethtool_sset_info *info = calloc(1, sizeof(*info) + sizeof(__u32));
	int fd, rc;
	__u32 n, blocks;

	if (left_len > 0)
		*left = 0;
	if (!info)
		return -ENOMEM;
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ULL << ETH_SS_FEATURES;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		free(info);
		return rc;
	}
	if ((rc = ethtool(fd, ifname, info)) < 0)
		goto out;
	n = info->sset_mask ? info->data[0] : 0;
	blocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	set = calloc(1, sizeof(*set) + blocks * sizeof(set->features[0]));
	get = calloc(1, sizeof(*get) + blocks * sizeof(get->features[0]));
	if (!names || !set || !get) {
		rc = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	if ((rc = ethtool(fd, ifname, names)) < 0)
		goto out;
	set->cmd = ETHTOOL_SFEATURES;
	set->size = blocks;
	for (__u32 i = 0; i < n; i++) {
		char name[ETH_GSTRING_LEN + 1] = {0};

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		if (pick(name))
			set->features[i / 32].valid |= 1u << (i % 32); /* requested bit 0: off */
	}
	if ((rc = ethtool(fd, ifname, set)) < 0) /* > 0 (ETHTOOL_F_*): some are fixed; judged below */
		goto out;
	get->cmd = ETHTOOL_GFEATURES;
	get->size = blocks;
	if ((rc = ethtool(fd, ifname, get)) < 0)
		goto out;
	for (__u32 i = 0; i < n; i++) {
		if ((set->features[i / 32].valid & get->features[i / 32].active & (1u << (i % 32))) && left_len > 0) {
			snprintf(left, (size_t)left_len, "%.*s", ETH_GSTRING_LEN, (char *)names->data + (size_t)i * ETH_GSTRING_LEN);
			rc = -EOPNOTSUPP;
			break;
		}
	}
out:
	free(info);
	free(names);
	free(set);
	free(get);
	close(fd);
	return rc;
}
