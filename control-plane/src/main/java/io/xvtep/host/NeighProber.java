package io.xvtep.host;

import io.xvtep.model.IpAddress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Answers the datapath's NEIGH_MISS events: bpf_fib_lookup cannot trigger ARP, so the
 * copy is dropped and the agent makes the kernel resolve the next hop by sending it an
 * empty UDP datagram to the discard port (the remote's stack ignores or rejects it).
 * The datapath already rate-limits these events per address.
 *
 * <p>Non-blocking: a datagram to an unresolved next hop waits in the neighbour's queue, holding the
 * socket's send buffer, until ARP gives up (seconds); a blocking send to the next one then waited for
 * that, and a bulk FDB write naming 200 absent VTEPs spent most of its time here (under the API's
 * lock). A probe that finds the buffer full is dropped (send returns at once): the next NEIGH_MISS asks again.
 */
public final class NeighProber implements AutoCloseable {

    private static final int DISCARD_PORT = 9;
    private static final System.Logger LOG = System.getLogger("xvtep.agent");

    private final DatagramChannel channel;

    public NeighProber() throws IOException {
        channel = DatagramChannel.open();
        channel.configureBlocking(false);
    }

    public void probe(IpAddress nextHop) {
        try {
            channel.send(ByteBuffer.allocate(0), new InetSocketAddress(nextHop.inet(), DISCARD_PORT));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "neighbour probe to " + nextHop + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "closing the neighbour prober: " + e.getMessage());
        }
    }
}
