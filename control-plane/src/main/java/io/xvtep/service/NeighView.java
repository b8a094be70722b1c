package io.xvtep.service;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

/** A neighbour-table entry (the ARP/ND proxy's data). */
public record NeighView(int vni, IpAddress ip, Mac mac) {
}
