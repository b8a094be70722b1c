package io.xvtep.service;

import java.util.Optional;
import java.util.function.Function;

/**
 * Which devices may be ports, beyond what the maps know (io.xvtep.host.PortEligibility: loopback,
 * non-Ethernet, the underlay and what is stacked on it, the default-route and API devices). Consulted
 * on every port add and for every stored port at start.
 */
@FunctionalInterface
public interface PortPolicy {
    /**
     * The host as it is now, asked per device: why it is refused, or empty.
     *
     * @throws IllegalStateException when the host could not be read (then nothing is decided)
     */
    Function<String, Optional<String>> read();

    PortPolicy ANY = () -> ifname -> Optional.empty();
}
