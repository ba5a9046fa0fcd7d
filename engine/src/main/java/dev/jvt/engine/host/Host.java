package dev.jvt.engine.host;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the host: where tools are, where jvt keeps its cache. */
public final class Host {
    private static final Logger LOG = LoggerFactory.getLogger(Host.class);

    private Host() {
    }

    /** An executable on PATH, or null. */
    public static Path which(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return p;
            }
        }
        return null;
    }

    /** jvt's cache: $JVT_CACHE, else $XDG_CACHE_HOME/jvt, else ~/.cache/jvt. */
    /**
     * A file's identity for memos that must not reread it: absolute path, size, modification time
     * (ms) and inode ({@code fileKey}). A changed or replaced file has another.
     */
    public static String fileStamp(Path f) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
        return f.toAbsolutePath() + " " + a.size() + " " + a.lastModifiedTime().toMillis() + " " + a.fileKey();
    }

    public static Path cacheDir() {
        String env = System.getenv("JVT_CACHE");
        Path dir;
        if (env != null && !env.isBlank()) {
            dir = Path.of(env);
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            dir = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("jvt");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create the jvt cache " + dir, e);
        }
        return dir;
    }

    /** This boot of the host, so probes cached per boot are repeated after a reboot. */
    public static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        } catch (IOException e) {
            LOG.debug("cannot read this boot's id", e);
            return "unknown";
        }
    }
}
