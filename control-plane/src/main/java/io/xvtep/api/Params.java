package io.xvtep.api;

import io.xvtep.model.FdbType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import io.xvtep.model.Vni;
import io.xvtep.service.VtepException;

/** Text of the API (path segments, query parameters, JSON strings) to typed values; errors name the field. */
public final class Params {

    private Params() {
    }

    /** Decimal only ("42"), one spelling per VNI. */
    public static Vni vni(String text) {
        try {
            return Vni.parse(text);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid("vni", e.getMessage());
        }
    }

    /** A MAC, or null when not given. */
    public static Mac mac(String text, String field) {
        if (text == null) {
            return null;
        }
        try {
            return Mac.parse(text);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(field, e.getMessage());
        }
    }

    /** An IPv4 or IPv6 literal, or null when not given. */
    public static IpAddress ip(String text, String field) {
        if (text == null) {
            return null;
        }
        try {
            return IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(field, e.getMessage());
        }
    }

    /** An FDB entry type (static, learned, local, cluster), or null when not given. */
    public static FdbType fdbType(String text) {
        if (text == null) {
            return null;
        }
        try {
            return FdbType.parse(text);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid("type", e.getMessage());
        }
    }
}
