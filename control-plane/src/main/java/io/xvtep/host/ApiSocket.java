package io.xvtep.host;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file of the API's Unix socket: who may connect is who may write it (mode 0660: root and one
 * group). Binding needs the path free: a socket file left by a killed agent is removed, but only when
 * it is a socket nobody answers on; anything else at that path is refused, never deleted.
 */
public final class ApiSocket {

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private ApiSocket() {
    }

    /** Makes {@code path} bindable: creates the directory (0755), removes a dead socket. */
    public static void prepare(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IllegalStateException("--api " + path + " exists and is not a socket: refusing to replace it");
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            throw new IllegalStateException("--api " + path + " is served by another process (an agent with"
                    + " another pin root?): give each agent its own --api");
        } catch (IOException e) {
            Files.deleteIfExists(path); // nobody listens: left by an agent that was killed
        }
    }

    /** Mode 0660, group {@code group} (null: keep root's). */
    public static void restrict(Path path, String group) throws IOException {
        if (group != null) {
            GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(g);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    }

    public static void removeQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // the next agent removes a dead socket itself
        }
    }
}
