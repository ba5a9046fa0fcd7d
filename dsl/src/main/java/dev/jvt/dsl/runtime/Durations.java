package dev.jvt.dsl.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code jvt-durations.json}: how long each scenario file took in its last runs, the weights of
 * {@link ShardPlan}. Keyed by the file's path as the run was given it (relative to the working
 * folder when it lies inside it), never by configuration; each entry keeps the five most recent
 * samples, each with its time, so merging files from shards that started from the same copy
 * counts every run once. A scenario's weight is the median of its samples.
 */
public final class Durations {
    public static final String FILE_NAME = "jvt-durations.json";
    static final int KEEP = 5;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One run of one scenario file. */
    public record Sample(double seconds, Instant at) {
    }

    private final Map<String, List<Sample>> samples = new TreeMap<>();

    public Durations() {
    }

    /** Where runs keep their durations unless told otherwise: {@code $JVT_DURATIONS}, else {@code build/jvt/jvt-durations.json}. */
    public static Path defaultFile() {
        String env = System.getenv("JVT_DURATIONS");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of("build", "jvt", FILE_NAME);
    }

    /** The key of a scenario file: relative to the working folder when inside it, else absolute; '/' separated. */
    public static String key(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath().normalize();
        Path k = abs.startsWith(cwd) ? cwd.relativize(abs) : abs;
        return k.toString().replace('\\', '/');
    }

    /**
     * The durations in {@code file}; none when it does not exist. A file that is not a durations
     * file is a bad input: it names the file.
     */
    public static Durations read(Path file) {
        Durations d = new Durations();
        if (!Files.exists(file)) {
            return d;
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw JvtException.badInput("durations file " + file + ": not JSON (" + firstLine(e.getMessage())
                    + "); delete it or point --durations elsewhere");
        }
        if (root == null || !root.isObject() || !root.path("scenarios").isObject()) {
            throw JvtException.badInput("durations file " + file + ": expected {\"version\": 1, \"scenarios\": {...}}");
        }
        root.path("scenarios").fields().forEachRemaining(e -> {
            if (!e.getValue().isArray()) {
                throw JvtException.badInput("durations file " + file + ": '" + e.getKey() + "' is not a list of samples");
            }
            for (JsonNode s : e.getValue()) {
                if (!s.path("seconds").isNumber() || s.path("seconds").asDouble() < 0 || !s.path("at").isTextual()) {
                    throw JvtException.badInput("durations file " + file + ": a sample of '" + e.getKey()
                            + "' lacks \"seconds\" (a number >= 0) or \"at\" (a time)");
                }
                Instant at;
                try {
                    at = Instant.parse(s.path("at").asText());
                } catch (RuntimeException x) {
                    throw JvtException.badInput("durations file " + file + ": '" + s.path("at").asText() + "' is not a time (ISO-8601, e.g. 2026-12-03T10:00:00Z)");
                }
                d.add(e.getKey(), new Sample(s.path("seconds").asDouble(), at));
            }
        });
        return d;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /** Adds a sample; keeps the {@link #KEEP} most recent of the key, one per time. */
    public synchronized void add(String key, Sample s) {
        List<Sample> l = samples.computeIfAbsent(key, k -> new ArrayList<>());
        if (l.stream().anyMatch(x -> x.at().equals(s.at()))) {
            return;
        }
        l.add(s);
        l.sort(Comparator.comparing(Sample::at));
        while (l.size() > KEEP) {
            l.remove(0);
        }
    }

    /** Every sample of {@code other} added to these. */
    public synchronized Durations merge(Durations other) {
        other.samples.forEach((k, l) -> l.forEach(s -> add(k, s)));
        return this;
    }

    /** The median seconds of {@code key}'s samples, or NaN when it has none. */
    public synchronized double median(String key) {
        List<Sample> l = samples.get(key);
        if (l == null || l.isEmpty()) {
            return Double.NaN;
        }
        double[] v = l.stream().mapToDouble(Sample::seconds).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    public synchronized boolean isEmpty() {
        return samples.isEmpty();
    }

    public synchronized int size() {
        return samples.size();
    }

    public synchronized Map<String, List<Sample>> samples() {
        Map<String, List<Sample>> m = new TreeMap<>();
        samples.forEach((k, l) -> m.put(k, List.copyOf(l)));
        return m;
    }

    /** Writes these to {@code file} whole (a temporary file renamed over it). */
    public synchronized void write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ObjectNode sc = root.putObject("scenarios");
        samples.forEach((k, l) -> {
            ArrayNode a = sc.putArray(k);
            l.forEach(s -> a.addObject().put("seconds", Math.round(s.seconds() * 1000) / 1000.0).put("at", s.at().toString()));
        });
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), ".jvt-durations-", ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), root);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Adds {@code fresh} to the durations in {@code file} and writes the result there, holding a
     * lock beside it so that runs ending at the same time lose nothing; returns what was written.
     * A file that cannot be read as durations is replaced (it only ever held weights).
     */
    public static Durations update(Path file, Durations fresh) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path lock = abs.resolveSibling(abs.getFileName() + ".lock");
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            Durations d;
            try {
                d = read(abs);
            } catch (JvtException e) {
                d = new Durations();
            }
            d.merge(fresh);
            d.write(abs);
            return d;
        }
    }
}
