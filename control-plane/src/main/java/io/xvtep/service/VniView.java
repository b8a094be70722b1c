package io.xvtep.service;

import io.xvtep.model.IpAddress;
import io.xvtep.model.VniConfig;

import java.util.List;

/**
 * A VNI with its effective settings, read back from the maps.
 *
 * @param local effective outer source (the VNI's own, else the agent default)
 * @param flood the all-zero FDB entries in list order (remote/group first when set at create)
 * @param device the host-side VNI device (null: none)
 * @param allowedSrc the VTEPs VXLAN is accepted from (empty: any)
 * @param maxaddress most MACs learned in the VNI (0: no limit of its own)
 */
public record VniView(VniConfig config, IpAddress local, List<PortView> ports, List<IpAddress> flood, String device,
        List<IpAddress> allowedSrc, long maxaddress) {
}
