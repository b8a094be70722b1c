package io.xvtep.service;

import io.xvtep.datapath.Datapath;

/**
 * A request the service refuses. {@code field} names the offending input (JSON field, path
 * segment or query parameter) when there is one; the API turns {@link Kind} into a status.
 */
public final class VtepException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Malformed or out-of-range input: 400. */
        INVALID,
        /** Unknown VNI, interface, port or entry: 404. */
        NOT_FOUND,
        /** Clashes with what exists (duplicate VNI, port already attached, list full): 409. */
        CONFLICT
    }

    private final Kind kind;
    private final String field;

    public VtepException(Kind kind, String message, String field) {
        super(message);
        this.kind = kind;
        this.field = field;
    }

    public static VtepException invalid(String field, String message) {
        return new VtepException(Kind.INVALID, message, field);
    }

    public static VtepException notFound(String field, String message) {
        return new VtepException(Kind.NOT_FOUND, message, field);
    }

    public static VtepException conflict(String field, String message) {
        return new VtepException(Kind.CONFLICT, message, field);
    }

    /**
     * The domain meaning of a failure from below the service layer, or null when it has none:
     * a datapath map that refuses a new entry (E2BIG) is full, a conflict (409).
     */
    public static VtepException of(Throwable t) {
        if (t instanceof VtepException e) {
            return e;
        }
        if (Datapath.isTableFull(t)) {
            return conflict(null, "datapath table full: " + t.getMessage());
        }
        return null;
    }

    public Kind kind() {
        return kind;
    }

    public String field() {
        return field;
    }
}
