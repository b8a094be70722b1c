package io.xvtep.datapath;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One packet test as data: the maps it needs, the frame and where it enters, the
 * verdict, the exact output frame, the exact copies the taps must see, the counters
 * that must move, and one line saying what the case proves.
 */
final class PacketCase {
    record Copy(String ifname, byte[] frame, boolean encap) {}

    final String name;
    final String proves;
    Consumer<Harness> setup = h -> {};
    String program;
    String ingress = "u0";
    byte[] in;
    int verdict;
    byte[] out;          // null: output not checked (e.g. dropped)
    boolean outEncap;    // compare after normalising the outer IP id and UDP source port
    final List<Copy> copies = new ArrayList<>();
    boolean exactCopies = true;
    final Map<String, Long> counters = new LinkedHashMap<>(); // "vni/field" -> value
    Consumer<Harness> then = h -> {};
    int srcportMin = 32768, srcportMax = 60999; // the outer UDP source port range to accept
    String pending;      // non-null: a reproduction of a known bug, expected to fail until the fix lands
    int gsoSize;         // non-zero: the skb is a GSO frame of this segment size (TC runs only)
    byte[] innerFinal;   // non-null: the inner frame as it leaves once its own (offloaded) checksum is filled in

    private PacketCase(String name, String proves) {
        this.name = name;
        this.proves = proves;
    }

    static PacketCase of(String name, String proves) {
        return new PacketCase(name, proves);
    }

    PacketCase setup(Consumer<Harness> s) {
        this.setup = s;
        return this;
    }

    PacketCase run(String program, String ingress, byte[] in) {
        this.program = program;
        this.ingress = ingress;
        this.in = in;
        return this;
    }

    PacketCase expect(int verdict, byte[] out) {
        this.verdict = verdict;
        this.out = out;
        return this;
    }

    PacketCase expectEncap(int verdict, byte[] out) {
        expect(verdict, out);
        this.outEncap = true;
        return this;
    }

    PacketCase copy(String ifname, byte[] frame) {
        copies.add(new Copy(ifname, frame, false));
        return this;
    }

    PacketCase copyEncap(String ifname, byte[] frame) {
        copies.add(new Copy(ifname, frame, true));
        return this;
    }

    PacketCase counter(int vni, String field, long value) {
        counters.put(vni + "/" + field, value);
        return this;
    }

    PacketCase srcports(int min, int max) {
        this.srcportMin = min;
        this.srcportMax = max;
        return this;
    }

    /**
     * Marks a reproduction committed before its fix: it must still fail (it is then reported as skipped
     * with `why`); once it passes, the runner fails and asks for the mark to be removed.
     */
    PacketCase pending(String why) {
        this.pending = why;
        return this;
    }

    /**
     * The inner frame sent carries a CHECKSUM_PARTIAL seed; `fin` is it with the checksum filled in, as a NIC or
     * the stack completes it after the datapath: the outer IPv6 UDP checksum is checked against that frame.
     */
    PacketCase innerFinal(byte[] fin) {
        this.innerFinal = fin;
        return this;
    }

    /** Runs the frame as a GSO skb (__sk_buff.gso_size), as a TSO sender's super-frame arrives. */
    PacketCase gso(int size) {
        this.gsoSize = size;
        return this;
    }

    PacketCase then(Consumer<Harness> check) {
        this.then = check;
        return this;
    }

    @Override
    public String toString() {
        return name;
    }
}
