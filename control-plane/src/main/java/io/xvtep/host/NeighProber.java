package io.xvtep.host;

import io.xvtep.model.IpAddress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Answers the datapath's NEIGH_MISS events: bpf_fib_lookup cannot trigger ARP or neighbour
 * discovery, so the copy is dropped and the agent makes the kernel resolve the next hop by
 * sending it an empty UDP datagram to the discard port (the remote's stack ignores or rejects it).
 * The datapath already rate-limits these events per address.
 *
 * <p>Non-blocking: a datagram to an unresolved next hop waits in the neighbour's queue, holding the
 * socket's send buffer, until ARP gives up (seconds); a blocking send to the next one then waited for
 * that, and a bulk FDB write naming 200 absent VTEPs spent most of its time here (under the API's
 * lock). A probe that finds the buffer full is dropped (send returns at once): the next NEIGH_MISS asks again.
 *
 * <p>One socket per family, opened when first needed (a host without IPv6 never opens one); a probe
 * that cannot be sent (no IPv6 here) is logged and forgotten, never the caller's failure.
 */
public final class NeighProber implements AutoCloseable {

    private static final int DISCARD_PORT = 9;
    private static final System.Logger LOG = System.getLogger("xvtep.agent");

    private DatagramChannel v4;
    private DatagramChannel v6;

    private DatagramChannel channel(boolean ipv4) throws IOException {
        DatagramChannel ch = ipv4 ? v4 : v6;
        if (ch == null) {
            ch = DatagramChannel.open(ipv4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            ch.configureBlocking(false);
            if (ipv4) {
                v4 = ch;
            } else {
                v6 = ch;
            }
        }
        return ch;
    }

    public synchronized void probe(IpAddress nextHop) {
        try {
            channel(nextHop.isIpv4()).send(ByteBuffer.allocate(0), new InetSocketAddress(nextHop.inet(), DISCARD_PORT));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "neighbour probe to " + nextHop + ": " + e);
        }
    }

    @Override
    public synchronized void close() {
        for (DatagramChannel ch : new DatagramChannel[] {v4, v6}) {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "closing the neighbour prober: " + e.getMessage());
            }
        }
    }
}
