package dev.jvt.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvt.engine.host.Host;
import dev.jvt.engine.qemu.Qmp;
import dev.jvt.engine.replay.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Booted machines kept across runs: after a machine booted (every {@code expectConsole} seen, the
 * channel answering) its state is stored under a key made of everything that decides how it
 * boots; the next boot with that key starts QEMU with {@code -incoming} from it instead.
 *
 * <p>The guest's memory is a file while a machine that may be stored boots
 * ({@code memory-backend-file share=on}, on {@code /dev/shm}); storing it is a copy of that file's
 * non-zero pages plus a migration of the device state alone (QEMU's {@code x-ignore-shared}
 * capability leaves shared memory out). A restore maps the stored memory file privately
 * ({@code share=off}: copy-on-write, pages read as the guest touches them, the entry never
 * written) and loads only the device state, so nothing reads 256 MB up front. The disk overlays
 * the boot wrote are stored beside it.
 *
 * <p>The key: the format of this cache, QEMU's binary (its content hash), the
 * command line with the run's own folders replaced by placeholders, the content hash of every
 * file the command line names (kernel, initrd, firmware, disk images, the backing file of each
 * overlay), and what the host checks during the boot (expectConsole, failOn, boot timeout, channel).
 * An entry holds the CRC-32C of its files (30 ms for a 100 MB state, where SHA-256 takes 0.9 s in
 * the launcher's C1-only JVM: a check against damage, not against someone who can write the cache)
 * and is not used when a file no longer has it.
 *
 * <p>The cache is {@code <jvt cache>/boot}, bounded by {@code JVT_BOOT_CACHE_MAX} (default 2G),
 * least recently used entries deleted first.
 */
public final class BootCache {
    private static final Logger LOG = LoggerFactory.getLogger(BootCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bump when what an entry holds, or how it is restored, changes. */
    static final int FORMAT = 3;
    static final String STATE = "state.migration";
    static final String RAM = "guest.ram";
    /** The id of the memory backend of a machine that is stored or restored (the migration names its RAM block by it). */
    static final String RAM_ID = "jvt-ram";
    static final String CONSOLE = "console.bin";
    static final String META = "entry.json";
    private static final Map<String, String> FILE_HASHES = new ConcurrentHashMap<>();

    /** A stored boot: its folder, the files it holds, how long the boot took. */
    public record Entry(String key, Path dir, String stateCrc, String ramCrc, long ramStored, Map<String, String> disks, double bootSeconds, Instant created) {
        Path state() {
            return dir.resolve(STATE);
        }

        Path ram() {
            return dir.resolve(RAM);
        }

        byte[] console() throws IOException {
            return Files.readAllBytes(dir.resolve(CONSOLE));
        }
    }

    private BootCache() {
    }

    /** The cache's folder: {@code -Djvt.boot.cache}, else {@code $JVT_BOOT_CACHE}, else {@code boot} in jvt's cache. */
    public static Path root() {
        String p = System.getProperty("jvt.boot.cache");
        if (p == null || p.isBlank()) {
            p = System.getenv("JVT_BOOT_CACHE");
        }
        return p != null && !p.isBlank() ? Path.of(p) : Host.cacheDir().resolve("boot");
    }

    /** The bound on the cache's size: {@code JVT_BOOT_CACHE_MAX} (a number, with K, M or G), default 2 GiB. */
    public static long maxBytes() {
        String v = System.getenv("JVT_BOOT_CACHE_MAX");
        if (v == null || v.isBlank()) {
            return 2L << 30;
        }
        return parseSize(v);
    }

    public static long parseSize(String v) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*([KMG]?)i?B?", java.util.regex.Pattern.CASE_INSENSITIVE).matcher(v.strip());
        if (!m.matches()) {
            throw JvtException.badInput("JVT_BOOT_CACHE_MAX='" + v + "' is not a size (e.g. 2G, 500M)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toUpperCase(java.util.Locale.ROOT)) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            case "G" -> n << 30;
            default -> n;
        };
    }

    /**
     * The key of a boot with command line {@code argv}, whose run-specific folders are
     * {@code runFolders} (replaced by placeholders), plus {@code checks}: what the host waits for
     * or fails on during the boot.
     */
    public static String key(List<String> argv, List<Path> runFolders, List<String> checks) {
        List<String> normal = new ArrayList<>();
        for (int k = 0; k < argv.size(); k++) {
            String a = argv.get(k);
            if (k > 0 && a.equals("-sandbox")) {
                // the seccomp filter changes nothing the guest sees: a boot stored with it restores without it
                k++;
                continue;
            }
            String n = a;
            for (int i = 0; i < runFolders.size(); i++) {
                n = n.replace(runFolders.get(i).toAbsolutePath().toString(), "${RUN" + i + "}");
            }
            // host-side plumbing the guest never sees: which socket of a network's switch, which host port a forward has
            n = n.replaceAll("(/net-[A-Za-z0-9_-]+)-\\d+\\.sock", "$1-N.sock").replaceAll("(hostfwd=[a-z]+:[0-9.]*:)\\d+-", "$1*-");
            normal.add(n);
        }
        StringBuilder b = new StringBuilder("jvt boot cache ").append(FORMAT).append('\n');
        Path qemu = Path.of(argv.get(0));
        // the binary's content stands for its version (no `qemu --version` on the start path)
        b.append("qemu ").append(fileHash(qemu)).append('\n');
        for (String n : normal) {
            b.append("arg ").append(n).append('\n');
        }
        for (Path f : namedFiles(argv, runFolders)) {
            b.append("file ").append(f).append(' ').append(fileHash(f)).append('\n');
        }
        for (String c : checks) {
            b.append("check ").append(c).append('\n');
        }
        return sha256(b.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }

    /**
     * The files a command line names outside the run's folders (kernel, initrd, firmware, disks),
     * and the backing file of every qcow2 inside them (an overlay's base image).
     */
    static List<Path> namedFiles(List<String> argv, List<Path> runFolders) {
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            List<String> candidates = new ArrayList<>();
            if (a.startsWith("/")) {
                candidates.add(a);
            }
            for (String part : a.split("(?<!,),(?!,)")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(eq + 1).startsWith("/")) {
                    candidates.add(part.substring(eq + 1).replace(",,", ","));
                }
            }
            for (String c : candidates) {
                Path p = Path.of(c);
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                boolean inRun = runFolders.stream().anyMatch(r -> p.toAbsolutePath().startsWith(r.toAbsolutePath()));
                if (!inRun) {
                    files.add(p);
                } else if (c.endsWith(".qcow2")) {
                    try {
                        dev.jvt.engine.image.QemuImg.backingFile(p).ifPresent(files::add);
                    } catch (IOException e) {
                        throw JvtException.infrastructure("cannot read " + p + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return files;
    }

    /**
     * A file's SHA-256, remembered (in memory and in the cache folder) for its path, size,
     * modification time and inode: the boot cache's key and the names of files uploaded to remote hosts.
     */
    public static String fileHash(Path f) {
        try {
            String id = dev.jvt.engine.host.Host.fileStamp(f);
            String known = FILE_HASHES.get(id);
            if (known != null) {
                return known;
            }
            Path memo = root().resolve("hashes").resolve(sha256(id.getBytes(StandardCharsets.UTF_8)).substring(0, 40));
            if (Files.isRegularFile(memo)) {
                known = Files.readString(memo).strip();
            } else {
                known = Bundle.sha256(f);
                Files.createDirectories(memo.getParent());
                Path tmp = Files.createTempFile(memo.getParent(), "hash", ".tmp");
                Files.writeString(tmp, known);
                Files.move(tmp, memo, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            FILE_HASHES.put(id, known);
            return known;
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot read " + f + " to hash its content: " + e.getMessage(), e);
        }
    }

    /** The entry stored under {@code key}, if any (not yet verified: see {@link #verify}). */
    public static Optional<Entry> lookup(String key) {
        Path dir = root().resolve(key);
        Path meta = dir.resolve(META);
        if (!Files.isRegularFile(meta)) {
            return Optional.empty();
        }
        try {
            JsonNode m = JSON.readTree(meta.toFile());
            if (m.path("format").asInt() != FORMAT) {
                return Optional.empty();
            }
            Map<String, String> disks = new java.util.LinkedHashMap<>();
            m.path("disks").fields().forEachRemaining(e -> disks.put(e.getKey(), e.getValue().asText()));
            return Optional.of(new Entry(key, dir, m.path("state").asText(), m.path("ram").asText(), m.path("ramStored").asLong(),
                    disks, m.path("bootSeconds").asDouble(),
                    Instant.parse(m.path("created").asText())));
        } catch (IOException | RuntimeException e) {
            LOG.warn("boot cache entry {} is unreadable ({}): not used", dir, e.getMessage());
            return Optional.empty();
        }
    }

    /** Null when the entry's files are as stored, else what differs (then the entry must not be used). */
    public static String verify(Entry e) {
        try {
            if (!Files.isRegularFile(e.state())) {
                return "its state file " + e.state() + " is missing";
            }
            String h = crc32c(e.state());
            if (!h.equals(e.stateCrc())) {
                return "its state file " + e.state() + " has CRC-32C " + h + ", stored as " + e.stateCrc();
            }
            if (!Files.isRegularFile(e.ram())) {
                return "its memory file " + e.ram() + " is missing";
            }
            String r = crc32c(e.ram());
            if (!r.equals(e.ramCrc())) {
                return "its memory file " + e.ram() + " has CRC-32C " + r + ", stored as " + e.ramCrc();
            }
            for (Map.Entry<String, String> d : e.disks().entrySet()) {
                Path p = e.dir().resolve("disks").resolve(d.getKey());
                if (!Files.isRegularFile(p) || !crc32c(p).equals(d.getValue())) {
                    return "its disk " + p + " is missing or changed";
                }
            }
            if (!Files.isRegularFile(e.dir().resolve(CONSOLE))) {
                return "its console transcript is missing";
            }
            return null;
        } catch (IOException x) {
            return "it cannot be read: " + x.getMessage();
        }
    }

    /** Marks {@code e} as just used (what the size bound's LRU order goes by). */
    public static void touch(Entry e) {
        try {
            Files.setLastModifiedTime(e.dir().resolve(META), FileTime.from(Instant.now()));
        } catch (IOException x) {
            LOG.debug("cannot touch {}", e.dir(), x);
        }
    }

    /** Deletes an entry (a corrupt one, or by prune). */
    public static void remove(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("cannot delete the boot cache entry {}: {}", dir, e.getMessage());
        }
    }

    /**
     * Stores the booted machine behind {@code qmp} under {@code key}: the guest is paused, its
     * memory file {@code ram} (see {@link #bootRamArgs}) copied, its device state migrated to a
     * file, {@code disks} (files in the run's folder the boot wrote: overlays, scratch disks) copied,
     * then it runs on. {@code console} is what the boot showed. An entry another run stored
     * meanwhile is kept and this one dropped.
     */
    public static void store(String key, Qmp qmp, Path sockets, Path ram, List<Path> disks, byte[] console, double bootSeconds) throws IOException {
        Path root = Files.createDirectories(root());
        Path tmp = Files.createTempDirectory(root, ".new-" + key + "-");
        try {
            Path state = tmp.resolve(STATE);
            qmp.execute("stop");
            try {
                ignoreShared(qmp, true);
                qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", 8L << 30), Timeouts.MONITOR);
                migrateToFile(qmp, sockets.resolve(STORE_SOCKET), state);
                Copied mem = copyNonZero(ram, tmp.resolve(RAM));
                Map<String, String> diskHashes = new java.util.LinkedHashMap<>();
                if (!disks.isEmpty()) {
                    Path d = Files.createDirectories(tmp.resolve("disks"));
                    for (Path disk : disks) {
                        Path copy = d.resolve(disk.getFileName().toString());
                        Files.copy(disk, copy);
                        diskHashes.put(copy.getFileName().toString(), crc32c(copy));
                    }
                }
                Files.write(tmp.resolve(CONSOLE), console);
                ObjectNode m = JSON.createObjectNode();
                m.put("format", FORMAT);
                m.put("key", key);
                m.put("state", crc32c(state));
                m.put("ram", mem.crc());
                m.put("ramStored", mem.stored());
                m.put("bootSeconds", bootSeconds);
                m.put("created", Instant.now().toString());
                ObjectNode dn = m.putObject("disks");
                diskHashes.forEach(dn::put);
                JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(META).toFile(), m);
            } finally {
                try {
                    // so that the machine's own snapshots (savevm) keep its memory
                    ignoreShared(qmp, false);
                } finally {
                    qmp.execute("cont");
                }
            }
            try {
                Files.move(tmp, root.resolve(key), StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                remove(tmp);
            }
        } catch (IOException | RuntimeException e) {
            remove(tmp);
            throw e;
        }
        prune(maxBytes());
    }

    /** The socket, in the QEMU session's private folder, that a store's migration stream comes through (jvt listens). */
    static final String STORE_SOCKET = "store.sock";
    /** The socket, in the QEMU session's private folder, that a restore's state goes in through (QEMU listens). */
    static final String LOAD_SOCKET = "load.sock";

    /**
     * Migrates the (stopped) QEMU behind {@code qmp} into {@code file}: jvt listens on the UNIX
     * socket {@code socket}, QEMU connects ({@code migrate unix:}), jvt copies the stream until
     * QEMU closes it, and the migration must say "completed". Not {@code exec:cat > file}: under
     * the sandbox ({@code spawn=deny}) QEMU cannot start a shell.
     */
    static void migrateToFile(Qmp qmp, Path socket, Path file) throws IOException {
        try (java.nio.channels.ServerSocketChannel server = dev.jvt.engine.qemu.QemuSession.listen(socket)) {
            qmp.execute("migrate", Map.of("uri", "unix:" + socket), Timeouts.MONITOR);
            java.nio.channels.SocketChannel conn = dev.jvt.engine.qemu.QemuSession.accept(server, "boot cache", () -> true,
                    () -> JvtException.infrastructure("QEMU exited"), "migration stream", Timeouts.MONITOR);
            java.util.concurrent.CompletableFuture<Long> copied = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (conn; java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(file,
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                    long n = 0;
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1 << 20);
                    while (conn.read(b) >= 0) {
                        b.flip();
                        while (b.hasRemaining()) {
                            n += out.write(b);
                        }
                        b.clear();
                    }
                    copied.complete(n);
                } catch (IOException | RuntimeException e) {
                    copied.completeExceptionally(e);
                }
            }, "jvt-boot-cache-store");
            t.setDaemon(true);
            t.start();
            try {
                String status = Retry.until("saving the boot", Duration.ofSeconds(60), Duration.ofMillis(10), last -> {
                    String s = qmp.execute("query-migrate").path("status").asText();
                    return s.equals("completed") || s.equals("failed") || s.equals("cancelled") ? s : null;
                }, gave -> JvtException.infrastructure("saving the boot for the boot cache did not finish within 60 s"));
                if (!status.equals("completed")) {
                    throw JvtException.infrastructure("saving the boot for the boot cache " + status + ": "
                            + qmp.execute("query-migrate").path("error-desc").asText(""));
                }
                // completed: QEMU has written everything and closes its end; the copy ends at that EOF
                copied.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("cannot write the migration stream to " + file + ": " + e.getCause().getMessage(), e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw JvtException.infrastructure("saving the boot for the boot cache: QEMU did not close the migration stream within 30 s of completing it");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.infrastructure("interrupted while saving the boot for the boot cache");
            } finally {
                dev.jvt.engine.qemu.QemuSession.closeQuietly(conn);
            }
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    private static void ignoreShared(Qmp qmp, boolean on) {
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", on))), Timeouts.MONITOR);
    }

    /**
     * QEMU arguments that put the guest's {@code mib} MiB of memory in {@code file}, shared (what
     * {@link #store} copies), for a boot that may be stored.
     */
    public static List<String> bootRamArgs(Path file, int mib) {
        return List.of("-object", "memory-backend-file,id=" + RAM_ID + ",size=" + mib + "M,mem-path=" + file + ",share=on",
                "-machine", "memory-backend=" + RAM_ID);
    }

    /** QEMU arguments for the guest's memory, anonymous, under the same name as {@link #bootRamArgs}' (any other start of such a machine). */
    public static List<String> anonymousRamArgs(int mib) {
        return List.of("-object", "memory-backend-ram,id=" + RAM_ID + ",size=" + mib + "M", "-machine", "memory-backend=" + RAM_ID);
    }

    /** QEMU arguments for a restore from {@code e}: its memory file mapped privately, the state to come by {@link #loadState}. */
    public static List<String> restoreArgs(Entry e, int mib) {
        return List.of("-object", "memory-backend-file,id=" + RAM_ID + ",size=" + mib + "M,mem-path=" + e.ram() + ",share=off",
                "-machine", "memory-backend=" + RAM_ID, "-incoming", "defer");
    }

    /**
     * Starts loading {@code e}'s device state into the QEMU behind {@code qmp} (started with
     * {@link #restoreArgs}, its private socket folder {@code sockets}): QEMU listens on a UNIX socket
     * there ({@code migrate-incoming unix:}), jvt connects and streams the state file in on a
     * thread of its own, then closes. Not {@code exec:cat file}: the sandbox denies QEMU a shell.
     */
    public static void loadState(Qmp qmp, Entry e, Path sockets) {
        ignoreShared(qmp, true);
        Path socket = sockets.resolve(LOAD_SOCKET);
        qmp.execute("migrate-incoming", Map.of("uri", "unix:" + socket), Timeouts.MONITOR);
        java.nio.channels.SocketChannel conn = Retry.until("connecting to QEMU's incoming migration", Timeouts.MONITOR, Duration.ofMillis(2), last -> {
            try {
                return java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket));
            } catch (IOException x) {
                if (last) {
                    throw JvtException.infrastructure("cannot connect to QEMU's incoming migration " + socket + ": " + x.getMessage(), x);
                }
                return null;
            }
        }, gave -> JvtException.infrastructure("QEMU did not listen for the boot cache's state on " + socket + " within " + Timeouts.human(gave.timeout())));
        Thread t = new Thread(() -> {
            try (conn; java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(e.state())) {
                long pos = 0;
                long size = in.size();
                while (pos < size) {
                    pos += in.transferTo(pos, size - pos, conn);
                }
            } catch (IOException x) {
                // QEMU refused the stream or died: the restore's wait for the guest says so
                LOG.debug("streaming {} into QEMU: {}", e.state(), x.getMessage());
            }
        }, "jvt-boot-cache-load");
        t.setDaemon(true);
        t.start();
    }

    /** Once the state is in: later snapshots of the machine (savevm) must hold its memory. */
    public static void stateLoaded(Qmp qmp) {
        ignoreShared(qmp, false);
    }

    /**
     * Where a machine that may be stored keeps its {@code mib} MiB of memory while it runs:
     * {@code /dev/shm} (memory, not disk) when it has room for it and 256 MiB more, else
     * {@code dir}. The name carries jvt's process id, so that {@link #sweepRamFiles} can delete the
     * files of a jvt that was killed.
     */
    public static Path newRamFile(String machine, int mib, Path dir) {
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) && usable(shm) > (mib + 256L) << 20 ? shm : dir;
        sweepRamFiles(base);
        return base.resolve(RAM_PREFIX + ProcessHandle.current().pid() + "-" + machine.replaceAll("[^A-Za-z0-9_.-]", "_")
                + "-" + RAM_FILES.incrementAndGet() + ".ram");
    }

    /** Free bytes in {@code dir}'s file system (a container's /dev/shm is often 64 MB: QEMU would die of SIGBUS in it). */
    private static long usable(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    private static final String RAM_PREFIX = "jvt-ram-";
    private static final java.util.concurrent.atomic.AtomicInteger RAM_FILES = new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.Set<Path> SWEPT = ConcurrentHashMap.newKeySet();

    /** Deletes memory files in {@code dir} left by jvt processes that no longer run (once per folder and process). */
    static void sweepRamFiles(Path dir) {
        if (!SWEPT.add(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().startsWith(RAM_PREFIX)).toList()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile(RAM_PREFIX + "(\\d+)-.*").matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(h -> !h.isAlive()).orElse(true)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot sweep {}", dir, e);
        }
    }

    /** What {@link #copyNonZero} wrote: the CRC-32C of the whole file, and the bytes actually stored. */
    record Copied(String crc, long stored) {
    }

    /**
     * Copies {@code from} to {@code to} leaving pages of zeros as holes (a guest's memory is
     * mostly untouched pages); the CRC-32C is the whole content's, as {@link #crc32c} reads it back.
     */
    static Copied copyNonZero(Path from, Path to) throws IOException {
        final int page = 4096;
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        long stored = 0;
        java.nio.ByteBuffer zero = java.nio.ByteBuffer.allocateDirect(page);
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(from);
             java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(to, java.nio.file.StandardOpenOption.CREATE_NEW,
                     java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            long size = in.size();
            while (pos < size) {
                b.clear();
                int n = in.read(b, pos);
                if (n <= 0) {
                    break;
                }
                b.flip();
                c.update(b.duplicate());
                for (int off = 0; off < n; off += page) {
                    int len = Math.min(page, n - off);
                    java.nio.ByteBuffer p = b.slice(off, len);
                    if (p.mismatch(zero.slice(0, len)) != -1) {
                        out.write(p, pos + off);
                        stored += len;
                    }
                }
                pos += n;
            }
            if (out.size() < size) {
                // trailing zeros: the file's length all the same
                out.write(java.nio.ByteBuffer.allocate(1), size - 1);
            }
        }
        return new Copied(String.format("%08x", c.getValue()), stored);
    }

    /** Every entry, most recently used first. */
    public static List<Path> entries() {
        Path root = root();
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(META)))
                    .sorted(Comparator.comparing((Path p) -> p.resolve(META).toFile().lastModified()).reversed())
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The bytes an entry takes: its files, its memory file counted by the pages stored (the rest are holes). */
    public static long size(Path dir) {
        long ram = lookup(dir.getFileName().toString()).map(Entry::ramStored).orElse(-1L);
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> ram >= 0 && p.getFileName().toString().equals(RAM) && p.getParent().equals(dir) ? ram : p.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Deletes the least recently used entries until the cache holds at most {@code max} bytes (and
     * leftovers of stores that never finished); returns how many entries went.
     */
    public static int prune(long max) {
        int removed = 0;
        long total = 0;
        for (Path e : entries()) {
            long s = size(e);
            if (total + s > max) {
                remove(e);
                removed++;
            } else {
                total += s;
            }
        }
        try (Stream<Path> s = Files.list(root())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".new-")).toList()) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(Instant.now().minusSeconds(600))) {
                    remove(p);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}", root(), e);
        }
        return removed;
    }

    /** A file's CRC-32C, as 8 hex digits. */
    static String crc32c(Path f) throws IOException {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(b) > 0) {
                b.flip();
                c.update(b);
                b.clear();
            }
        }
        return String.format("%08x", c.getValue());
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
