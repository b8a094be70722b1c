package io.xvtep.service;

import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;

/**
 * The one underlay family of a VNI, as the kernel's vxlan device has one (IPv4, or IPv6 with
 * VXLAN_F_IPV6): the family of the addresses it names at create, else the agent's default. Every
 * underlay address given to the VNI later (FDB dst, flood entries, allowed sources) must be of it.
 */
final class VniFamily {

    private VniFamily() {
    }

    static String name(Family f) {
        return f == Family.IPV4 ? "IPv4" : "IPv6";
    }

    /** The family of a VNI being created; refuses addresses of both, or a family the agent has no local address of. */
    static Family of(VniSpec s, Locals locals) {
        Family f = null;
        String first = null;
        String[] fields = {"local", "remote", "group"};
        IpAddress[] addrs = {s.local(), s.remote(), s.group()};
        for (int i = 0; i < fields.length; i++) {
            IpAddress a = addrs[i];
            if (a == null) {
                continue;
            }
            if (f == null) {
                f = a.family();
                first = fields[i] + " " + a;
            } else if (a.family() != f) {
                throw VtepException.invalid(fields[i], "a VNI is one family: " + first + " is " + name(f) + ", "
                        + fields[i] + " " + a + " is " + name(a.family()));
            }
        }
        if (f == null) {
            f = locals.defaultFamily();
        }
        if (s.local() == null && locals.of(f) == null) {
            throw VtepException.invalid(s.remote() != null ? "remote" : s.group() != null ? "group" : "local",
                    "the agent has no " + name(f) + " local address: give the VNI a local one, or start the agent"
                            + " with --local for " + name(f));
        }
        return f;
    }

    /** Refuses {@code a} unless it is of the VNI's family {@code f}. */
    static void require(Family f, IpAddress a, String field, int vni) {
        if (a != null && a.family() != f) {
            throw VtepException.invalid(field, "VNI " + vni + " is " + name(f) + " (a VNI is one family): " + field + " "
                    + a + " is " + name(a.family()));
        }
    }
}
