package io.xvtep.service;

import io.xvtep.host.Interfaces;
import io.xvtep.model.EventType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

/**
 * One event: from the datapath's ring buffer (learn, move, l2miss, l3miss, neigh_miss) or the
 * reaper (ageout).
 *
 * @param mac the MAC (null for l3miss and neigh_miss)
 * @param remote the VTEP a learned/moved/aged MAC sits behind, or the VTEP to resolve (neigh_miss); null: none
 * @param ifindex the local port a MAC sits behind (0: none)
 * @param ip the address an l3miss asked for (null otherwise)
 * @param tsNs CLOCK_MONOTONIC time the event was written (0: unknown)
 */
public record VtepEvent(EventType type, int vni, Mac mac, IpAddress remote, int ifindex, IpAddress ip, long tsNs) {

    /** The port's name, looked up now (null when gone): callers ask only when they print it. */
    public String ifname() {
        return ifindex == 0 ? null : Interfaces.name(ifindex).orElse(null);
    }
}
