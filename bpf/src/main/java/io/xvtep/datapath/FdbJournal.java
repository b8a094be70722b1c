package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The undo log that makes a bulk FDB write all or nothing across a kill -9: before the batch goes into
 * xvtep_fdb, what it overwrites (old values, and the keys that were absent) is written to a file and
 * fsynced, and renamed into place (so the log is whole or absent); after the batch it is deleted, and only
 * then does the client get its answer. A log found at start belongs to a write that did not finish (or
 * whose answer never went out): its keys are put back as they were, and the log goes.
 *
 * <p>The log lives in /run/xvtep, next to the agent's locks: like the pins, it does not outlive a reboot.
 */
final class FdbJournal {

    private static final int MAGIC = 0x78764a31; // "xvJ1"

    private final Path file;

    FdbJournal(Path file) {
        this.file = file;
    }

    /** The log of the pin root {@code pinRoot} in {@code dir}. */
    static Path pathFor(Path dir, Path pinRoot) {
        return dir.resolve(pinRoot.toAbsolutePath().normalize().toString().replace('/', '_') + ".fdb-bulk");
    }

    boolean pending() {
        return Files.exists(file);
    }

    /** Records the state the batch replaces; durable when this returns. */
    void begin(Map<FdbKey, FdbValue> previous, Collection<FdbKey> added) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + previous.size() * 36 + added.size() * 12);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(previous.size());
            for (Map.Entry<FdbKey, FdbValue> e : previous.entrySet()) {
                out.write(e.getKey().encode());
                out.write(e.getValue().encode());
            }
            out.writeInt(added.size());
            for (FdbKey k : added) {
                out.write(k.encode());
            }
            out.writeInt(MAGIC);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the FDB bulk log " + file, e);
        }
    }

    /** The batch is in: the log goes. */
    void commit() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the FDB bulk log " + file, e);
        }
    }

    /**
     * Puts back what an unfinished batch changed, then removes the log. A log cut short (killed while it
     * was written, before the rename) cannot exist; one that does not decode is reported and kept.
     *
     * @return how many keys were restored (-1: no log)
     */
    int rollback(BpfMap fdb) {
        if (!pending()) {
            return -1;
        }
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the FDB bulk log " + file, e);
        }
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        List<byte[]> added = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all))) {
            if (in.readInt() != MAGIC) {
                throw new IOException("not an xvtep FDB bulk log");
            }
            for (int i = in.readInt(); i > 0; i--) {
                keys.add(in.readNBytes(FdbKey.SIZE));
                values.add(in.readNBytes(FdbValue.SIZE));
            }
            for (int i = in.readInt(); i > 0; i--) {
                added.add(in.readNBytes(FdbKey.SIZE));
            }
            if (in.readInt() != MAGIC) {
                throw new IOException("truncated");
            }
        } catch (IOException e) {
            throw new IllegalStateException("FDB bulk log " + file + " does not decode (" + e.getMessage()
                    + "): left in place; remove it to start anyway", e);
        }
        fdb.deleteBatch(added);
        if (!keys.isEmpty()) {
            fdb.updateBatch(keys, values, UpdateFlag.ANY);
        }
        commit();
        return keys.size() + added.size();
    }
}
