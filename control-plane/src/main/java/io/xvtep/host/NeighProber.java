package io.xvtep.host;

import io.xvtep.model.IpAddress;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketException;

/**
 * Answers the datapath's NEIGH_MISS events: bpf_fib_lookup cannot trigger ARP, so the
 * copy is dropped and the agent makes the kernel resolve the next hop by sending it an
 * empty UDP datagram to the discard port (the remote's stack ignores or rejects it).
 * The datapath already rate-limits these events per address.
 */
public final class NeighProber implements AutoCloseable {

    private static final int DISCARD_PORT = 9;
    private static final System.Logger LOG = System.getLogger("xvtep.agent");

    private final DatagramSocket socket;

    public NeighProber() throws SocketException {
        socket = new DatagramSocket();
    }

    public void probe(IpAddress nextHop) {
        try {
            socket.send(new DatagramPacket(new byte[0], 0, nextHop.inet(), DISCARD_PORT));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "neighbour probe to " + nextHop + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
