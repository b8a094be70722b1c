package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.xvtep.testkit.Netns;
import io.xvtep.testkit.Requires;

/** XDP and TC attachment on a veth pair inside a network namespace of the test's own. */
class AttachTest {
    Path pinRoot;
    BpfObject obj;
    Netns ns;

    @BeforeEach
    void setUp() {
        Requires.root();
        pinRoot = newPinRoot();
        try {
            obj = BpfObject.open(bpfObject("test_prog.o"), pinRoot);
            obj.load();
            ns = Netns.create("xvtep-t");
            ns.veth("va", "vb");
        } catch (RuntimeException e) {
            tearDown();
            throw e;
        }
    }

    @AfterEach
    void tearDown() {
        try {
            if (ns != null) {
                ns.close(); // takes the veth pair, qdiscs and XDP attachments with it
            }
        } finally {
            if (obj != null) {
                obj.close();
            }
            if (pinRoot != null) {
                Bpffs.removeTree(pinRoot);
            }
        }
    }

    @Test
    void xdpNativeAttachReplaceDetach() throws Exception {
        BpfProgram pass = obj.program("xdp_pass");
        BpfProgram rewrite = obj.program("xdp_rewrite");
        int va = ns.call(() -> {
            int idx = Net.ifindex("va");
            assertThat(Xdp.attachedProgramId(idx)).isZero();
            Xdp.attach(idx, pass, XdpMode.NATIVE);
            assertThat(Xdp.attachedProgramId(idx)).isEqualTo(pass.id());
            return idx;
        });
        String link = ns.ip("-d", "link", "show", "va");
        assertThat(link).contains("xdp ").contains("prog/xdp id " + pass.id());

        // attaching again in the same mode replaces
        ns.run(() -> {
            Xdp.attach(va, rewrite, XdpMode.NATIVE);
            assertThat(Xdp.attachedProgramId(va)).isEqualTo(rewrite.id());
        });
        assertThat(ns.ip("-d", "link", "show", "va")).contains("prog/xdp id " + rewrite.id());

        // the attachment outlives the object's fds
        obj.close();
        assertThat(ns.call(() -> Xdp.attachedProgramId(va))).isPositive();

        ns.run(() -> {
            Xdp.detach(va, XdpMode.NATIVE);
            assertThat(Xdp.attachedProgramId(va)).isZero();
            Xdp.detach(va, XdpMode.NATIVE); // nothing attached: no-op
        });
        assertThat(ns.ip("-d", "link", "show", "va")).doesNotContain("prog/xdp");
    }

    @Test
    void xdpGenericAttach() throws Exception {
        BpfProgram pass = obj.program("xdp_pass");
        ns.run(() -> {
            int idx = Net.ifindex("vb");
            Xdp.attach(idx, pass, XdpMode.GENERIC);
            assertThat(Xdp.attachedProgramId(idx)).isEqualTo(pass.id());
            // native on top of generic is refused by the kernel
            assertThatThrownBy(() -> Xdp.attach(idx, pass, XdpMode.NATIVE)).isInstanceOf(BpfException.class);
        });
        assertThat(ns.ip("-d", "link", "show", "vb")).contains("xdpgeneric").contains("id " + pass.id());
        ns.run(() -> {
            int idx = Net.ifindex("vb");
            Xdp.detach(idx, XdpMode.GENERIC);
            assertThat(Xdp.attachedProgramId(idx)).isZero();
        });
    }

    @Test
    void nativeXdpUnavailableSaysChooseGeneric() throws Exception {
        BpfProgram pass = obj.program("xdp_pass");
        ns.run(() -> {
            int lo = Net.ifindex("lo"); // loopback has no driver XDP
            assertThatThrownBy(() -> Xdp.attach(lo, pass, XdpMode.NATIVE))
                    .isInstanceOfSatisfying(BpfException.class, e -> {
                        assertThat(e.getMessage()).startsWith("bpf_xdp_attach(xdp_pass -> lo (ifindex 1), NATIVE): ");
                        assertThat(e.getMessage()).contains("native XDP is unavailable on lo")
                                .contains("generic");
                        assertThat(e.errnoName()).isIn("EOPNOTSUPP", "EINVAL");
                    });
            assertThat(Xdp.attachedProgramId(lo)).isZero();
        });
    }

    @Test
    void tcAttachQueryDetachBothDirections() throws Exception {
        BpfProgram tc = obj.program("tc_record");
        int va = ns.call(() -> {
            int idx = Net.ifindex("va");
            assertThat(Tc.isAttached(idx, TcDirection.INGRESS, 1, 1)).isFalse(); // no clsact yet
            Tc.attach(idx, TcDirection.INGRESS, tc, 1, 1);
            Tc.attach(idx, TcDirection.EGRESS, tc, 1, 1);
            assertThat(Tc.isAttached(idx, TcDirection.INGRESS, 1, 1)).isTrue();
            assertThat(Tc.isAttached(idx, TcDirection.EGRESS, 1, 1)).isTrue();
            assertThat(Tc.isAttached(idx, TcDirection.INGRESS, 2, 1)).isFalse();
            assertThat(Tc.attachedProgramId(idx, TcDirection.INGRESS, 1, 1)).isEqualTo(tc.id());
            // replace in place
            Tc.attach(idx, TcDirection.INGRESS, tc, 1, 1);
            return idx;
        });
        assertThat(ns.exec("tc", "qdisc", "show", "dev", "va")).contains("clsact");
        String ingress = ns.exec("tc", "filter", "show", "dev", "va", "ingress");
        assertThat(ingress).contains("tc_record").contains("direct-action").contains("id " + tc.id());
        assertThat(ns.exec("tc", "filter", "show", "dev", "va", "egress")).contains("tc_record");

        ns.run(() -> {
            Tc.detach(va, TcDirection.INGRESS, 1, 1);
            assertThat(Tc.isAttached(va, TcDirection.INGRESS, 1, 1)).isFalse();
            assertThat(Tc.isAttached(va, TcDirection.EGRESS, 1, 1)).isTrue();
            Tc.detach(va, TcDirection.INGRESS, 1, 1); // already gone: no-op
        });
        assertThat(ns.exec("tc", "filter", "show", "dev", "va", "ingress")).doesNotContain("tc_record");

        ns.run(() -> {
            Tc.destroyClsact(va);
            assertThat(Tc.isAttached(va, TcDirection.EGRESS, 1, 1)).isFalse();
            Tc.destroyClsact(va); // none left: fine
            Tc.detach(va, TcDirection.EGRESS, 1, 1); // no qdisc: no-op
        });
        assertThat(ns.exec("tc", "qdisc", "show", "dev", "va")).doesNotContain("clsact");
    }

    @Test
    void tcProgramSeesTraffic() throws Exception {
        // tc_record on vb ingress records vb's ifindex when a frame sent on va arrives
        BpfMap seen = obj.map("tc_seen");
        int vb = ns.call(() -> {
            int idx = Net.ifindex("vb");
            Tc.attach(idx, TcDirection.INGRESS, obj.program("tc_record"), 1, 1);
            return idx;
        });
        // both ends live in one namespace, so a ping between their addresses would be routed locally:
        // send to a neighbour that "is" vb's MAC instead, so the frame really crosses the veth
        String vbMac = ns.mac("vb");
        ns.ip("addr", "add", "192.0.2.1/24", "dev", "va");
        ns.ip("neigh", "add", "192.0.2.9", "lladdr", vbMac, "dev", "va");
        ns.tryExec("ping", "-c", "1", "-W", "1", "192.0.2.9");
        assertThat(readU32(seen.lookup(u32(0)).orElseThrow(), 0)).isEqualTo(vb);
    }

    @Test
    void interfaceNamesAreResolvedInTheThreadsNamespace() throws Exception {
        assertThatThrownBy(() -> Net.ifindex("va")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no such interface: va");
        String name = ns.call(() -> Net.ifname(Net.ifindex("va")));
        assertThat(name).isEqualTo("va");
    }
}
