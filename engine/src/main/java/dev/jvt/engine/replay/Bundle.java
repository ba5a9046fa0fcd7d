package dev.jvt.engine.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A record/replay bundle: everything {@code jvt replay} needs, with no path of the recording
 * host in it. Layout:
 * <pre>
 *   manifest.json                      one entry per recorded QEMU process ("segment")
 *   images/&lt;sha256&gt;-&lt;name&gt;           kernel, initramfs (shared between machines by content)
 *   machines/&lt;scenario&gt;/&lt;machine&gt;/replay-N.bin   QEMU's record/replay log
 *   machines/&lt;scenario&gt;/&lt;machine&gt;/console-N.log  the serial transcript recorded alongside
 *   machines/&lt;scenario&gt;/&lt;machine&gt;/timeline-N.json the steps, tests and failures at their instruction counts
 * </pre>
 * Command lines are stored with {@code ${BUNDLE}} (this folder) and {@code ${WORK}} (a private
 * socket folder) in place of paths.
 */
public final class Bundle {
    public static final String MANIFEST = "manifest.json";
    public static final int VERSION = 1;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<Path, Bundle> OPEN = new ConcurrentHashMap<>();

    /** One recorded QEMU process of one machine. */
    public record Segment(String scenario, String machine, String key, int index, List<String> argv, String log,
                          String transcript, String timeline, long icount, double seconds, String qemuVersion, Map<String, String> sha256) {
    }

    private final Path dir;
    private final List<Segment> segments = new ArrayList<>();

    private Bundle(Path dir) {
        this.dir = dir;
    }

    /** The bundle being written in {@code dir} (one object per folder, shared by all machines of a run). */
    public static Bundle at(Path dir) {
        return OPEN.computeIfAbsent(dir.toAbsolutePath().normalize(), Bundle::new);
    }

    public Path dir() {
        return dir;
    }

    /** Where machine {@code key}'s N-th recording goes. */
    public Path log(String key, int index) throws IOException {
        return Files.createDirectories(dir.resolve("machines").resolve(key)).resolve("replay-" + index + ".bin");
    }

    /** The marks and samples of the recording ({@link Timeline}). */
    public Path timeline(String key, int index) throws IOException {
        return Files.createDirectories(dir.resolve("machines").resolve(key)).resolve("timeline-" + index + ".json");
    }

    public Path transcript(String key, int index) throws IOException {
        return Files.createDirectories(dir.resolve("machines").resolve(key)).resolve("console-" + index + ".log");
    }

    /** Copies {@code file} into images/ (once per content); returns its path relative to the bundle. */
    public synchronized String addImage(Path file) {
        try {
            String hash = sha256(file);
            String name = "images/" + hash.substring(0, 16) + "-" + file.getFileName();
            Path target = dir.resolve(name);
            if (!Files.exists(target)) {
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), ".img-", ".tmp");
                Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return name;
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot copy " + file + " into the replay bundle " + dir + ": " + e.getMessage(), e);
        }
    }

    public synchronized void add(Segment s) {
        segments.add(s);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("segments", segments);
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(MANIFEST + ".tmp");
            JSON.writeValue(tmp.toFile(), m);
            Files.move(tmp, dir.resolve(MANIFEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot write " + dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
    }

    /** The recorded segments of the bundle in {@code dir} (its manifest read, not verified). */
    public static List<Segment> read(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        try {
            com.fasterxml.jackson.databind.JsonNode m = JSON.readTree(manifest.toFile());
            if (m.path("version").asInt() != VERSION) {
                throw JvtException.badInput("jvt replay: " + manifest + " has version " + m.path("version") + ", this jvt reads version " + VERSION);
            }
            List<Segment> out = new ArrayList<>();
            for (com.fasterxml.jackson.databind.JsonNode s : m.path("segments")) {
                Segment seg = JSON.copy().configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                        .treeToValue(s, Segment.class);
                check(manifest, out.size() + 1, seg);
                checkPaths(dir, manifest, out.size() + 1, seg);
                out.add(seg);
            }
            return out;
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage());
            throw JvtException.badInput("jvt replay: cannot read " + manifest + ": " + (why.contains("\n") ? why.substring(0, why.indexOf('\n')) : why));
        }
    }

    /** The {@code n}th recording of {@code manifest} names what a replay needs (a manifest edited by hand, or cut short, may not). */
    private static void check(Path manifest, int n, Segment s) {
        String lacks = s.scenario() == null ? "scenario" : s.machine() == null ? "machine" : s.key() == null ? "key"
                : s.argv() == null || s.argv().isEmpty() || s.argv().contains(null) ? "argv" : s.log() == null ? "log"
                : s.transcript() == null ? "transcript" : s.sha256() == null ? "sha256" : null;
        if (lacks != null) {
            throw JvtException.badInput("jvt replay: " + manifest + ": recording " + n + " lacks '" + lacks + "'; the bundle is incomplete");
        }
    }

    /** Every file segment {@code n} names lies inside the bundle (see {@link BundlePaths}). */
    static void checkPaths(Path dir, Path manifest, int n, Segment s) {
        String where = "segment " + n + " (" + s.scenario() + " › " + s.machine() + ") field ";
        BundlePaths.inside(dir, s.transcript(), manifest, where + "'transcript'");
        if (s.timeline() != null) {
            BundlePaths.inside(dir, s.timeline(), manifest, where + "'timeline'");
        }
        if (s.log() != null) {
            BundlePaths.inside(dir, s.log(), manifest, where + "'log'");
        }
        if (s.sha256() != null) {
            for (String f : s.sha256().keySet()) {
                BundlePaths.inside(dir, f, manifest, where + "'sha256'");
            }
        }
        if (s.argv() == null || s.argv().isEmpty()) {
            throw JvtException.badInput("jvt replay: " + manifest + ": " + where + "'argv' is empty: refused");
        }
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
