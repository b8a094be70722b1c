package io.xvtep.datapath;

/**
 * An XDP program could not be attached to an interface (e.g. native mode on a device without XDP
 * support): the datapath's own word for it, so that the services can refuse the request that asked
 * for it without reaching down to the libbpf binding.
 */
public final class XdpAttachException extends RuntimeException {
    public XdpAttachException(String message, Throwable cause) {
        super(message, cause);
    }
}
