package dev.jvt.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The private folders jvt works in: sockets, FIFOs, vmstate, disk overlays. Created 0700 under
 * the system temp folder (short paths: a UNIX socket path holds at most 107 bytes) and removed
 * with everything in them.
 */
public final class WorkFolder {
    private static final Logger LOG = LoggerFactory.getLogger(WorkFolder.class);
    private WorkFolder() {
    }

    /** A new folder only this user can enter. */
    public static Path create(String prefix) throws IOException {
        return Files.createTempDirectory(prefix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** Removes {@code dir} and everything below it; what cannot be removed is left (it is temporary). */
    public static void delete(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException e) {
            LOG.debug("cannot remove all of the temporary folder {}", dir, e);
        }
    }

    /** Removes {@code dir} (null or missing: nothing) and everything below it, links not followed; fails when something stays. */
    public static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
