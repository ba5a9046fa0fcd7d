package dev.jvt.engine.image;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.WorkFolder;
import dev.jvt.engine.host.Host;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The images jvt built, in {@code ~/.cache/jvt/images/<name>/} where the name holds the recipe's
 * content hash: the same recipe is built once and reused (by every run, every machine). A build
 * goes to a temporary folder that is renamed into place when complete, under a lock (one build of
 * a recipe at a time, across threads and processes); the disk is made read-only, and every machine
 * boots from an overlay on it.
 */
public final class ImageCache {
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);
    private static final Map<String, Object> BUILDING = new ConcurrentHashMap<>();
    private static final String USED = "last-used";

    private ImageCache() {
    }

    /** A built image. */
    public record BuiltImage(String name, Path dir, Path disk, Path kernel, Path initrd, String sshHostKey) {
    }

    /** An image in the cache, for {@code jvt images}. */
    public record Entry(String name, Path dir, long bytes, Instant lastUsed, String recipe) {
    }

    public static Path dir() {
        return Host.cacheDir().resolve("images");
    }

    /**
     * The image {@code recipe} describes: from the cache, or built now (a minute or two; each
     * step is told to {@code progress}).
     */
    public static BuiltImage ensure(ImageRecipe recipe, Consumer<String> progress) {
        String name = recipe.name();
        Path target = dir().resolve(name);
        synchronized (BUILDING.computeIfAbsent(name, k -> new Object())) {
            try {
                Files.createDirectories(dir());
                if (!complete(target)) {
                    try (FileChannel lockFile = FileChannel.open(dir().resolve(name + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                         FileLock lock = lockFile.lock()) {
                        if (!complete(target)) {
                            build(recipe, target, progress);
                        }
                    }
                }
                Files.writeString(target.resolve(USED), Instant.now().toString());
                return load(name, target);
            } catch (IOException e) {
                throw JvtException.infrastructure("image " + name + ": " + e.getMessage(), e);
            }
        }
    }

    private static void build(ImageRecipe recipe, Path target, Consumer<String> progress) throws IOException {
        Path tmp = dir().resolve(".build-" + target.getFileName() + "-" + ProcessHandle.current().pid());
        WorkFolder.deleteTree(tmp);
        Files.createDirectories(tmp);
        long t0 = System.nanoTime();
        try {
            DebianImageBuilder.build(recipe, tmp, progress);
            Files.writeString(tmp.resolve("recipe.txt"), recipe.canonical());
            Files.writeString(tmp.resolve("build-seconds"), String.format(java.util.Locale.ROOT, "%.1f%n", (System.nanoTime() - t0) / 1e9));
            Files.setPosixFilePermissions(tmp.resolve("disk.qcow2"), PosixFilePermissions.fromString("r--r--r--"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            progress.accept(String.format(java.util.Locale.ROOT, "built in %.0f s", (System.nanoTime() - t0) / 1e9));
        } finally {
            WorkFolder.deleteTree(tmp);
        }
    }

    private static boolean complete(Path dir) {
        return Files.isRegularFile(dir.resolve("disk.qcow2")) && Files.isRegularFile(dir.resolve("vmlinuz"))
                && Files.isRegularFile(dir.resolve("initrd.img")) && Files.isRegularFile(dir.resolve("recipe.txt"));
    }

    private static BuiltImage load(String name, Path dir) throws IOException {
        Path key = dir.resolve("ssh_host_ed25519_key.pub");
        return new BuiltImage(name, dir, dir.resolve("disk.qcow2"), dir.resolve("vmlinuz"), dir.resolve("initrd.img"),
                Files.isRegularFile(key) ? Files.readString(key).strip() : null);
    }

    /** Every complete image, newest use first. */
    public static List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir())) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir())) {
            for (Path d : s.filter(Files::isDirectory).filter(ImageCache::complete).toList()) {
                out.add(new Entry(d.getFileName().toString(), d, size(d), lastUsed(d), Files.readString(d.resolve("recipe.txt"))));
            }
        }
        out.sort((a, b) -> b.lastUsed().compareTo(a.lastUsed()));
        return out;
    }

    /** Deletes the images not used for {@code unused} (all with {@link Duration#ZERO}); returns them. */
    public static List<Entry> prune(Duration unused) throws IOException {
        return prune(unused, null);
    }

    /** Deletes image {@code only} (or every image, when null) if it was not used for {@code unused}. */
    public static List<Entry> prune(Duration unused, String only) throws IOException {
        Instant before = Instant.now().minus(unused);
        List<Entry> gone = new ArrayList<>();
        for (Entry e : list()) {
            if ((only == null || only.equals(e.name())) && !e.lastUsed().isAfter(before)) {
                synchronized (BUILDING.computeIfAbsent(e.name(), k -> new Object())) {
                    WorkFolder.deleteTree(e.dir());
                    Files.deleteIfExists(dir().resolve(e.name() + ".lock"));
                }
                gone.add(e);
            }
        }
        return gone;
    }

    private static Instant lastUsed(Path d) {
        try {
            Path used = d.resolve(USED);
            FileTime t = Files.isRegularFile(used) ? Files.getLastModifiedTime(used) : Files.getLastModifiedTime(d);
            return t.toInstant();
        } catch (IOException e) {
            LOG.debug("no last use of {}", d, e);
            return Instant.EPOCH;
        }
    }

    private static long size(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
