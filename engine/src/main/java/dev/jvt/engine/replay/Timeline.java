package dev.jvt.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the recorder noted beside one recorded QEMU process, so that a point of the run ("the
 * failure", "step 7", "2 s before the failure") maps to an instruction count of the replay:
 * <ul>
 *   <li>marks: each test's start and end, each top-level step's start and end, each failure,
 *       with the guest's instruction count ({@code query-replay}) at that moment;</li>
 *   <li>samples: the instruction count every 200 ms, for turning recorded time into instructions
 *       (a halted guest runs almost none, so instructions are not time).</li>
 * </ul>
 * Every entry also has the host's seconds since the recording started and how many console bytes
 * jvt had read by then. The guest had written at least that many when the count was taken.
 * {@code origin} is when the recording started on the recording JVM's monotonic clock, in seconds:
 * the same clock for every machine of a run, so times of two machines can be compared.
 */
public record Timeline(double origin, List<Mark> marks, List<Sample> samples) {

    /**
     * A point of the run. kind: test, step, step-end, failure, test-end. {@code step} is the
     * scenario-wide number of a top-level step (1, 2, ...), the same on every machine.
     */
    public record Mark(String kind, int step, String test, String title, long icount, double seconds, long console) {
        public String describe() {
            return switch (kind) {
                case "test" -> "start of test '" + test + "'";
                case "test-end" -> "end of test '" + test + "'";
                case "step" -> "step " + step + " '" + title + "'" + (test == null ? "" : " of test '" + test + "'");
                case "step-end" -> "end of step " + step + " '" + title + "'" + (test == null ? "" : " of test '" + test + "'");
                case "failure" -> "failure" + (title == null ? "" : " of '" + title + "'") + (test == null ? "" : " in test '" + test + "'");
                default -> kind;
            };
        }

        /** Where a machine standing here is: "at the failure of …", "in step 3 …", "after step 3 …". */
        public String position(boolean exactly) {
            return switch (kind) {
                case "failure" -> (exactly ? "at the " : "after the ") + describe();
                case "step" -> "in " + describe();
                case "test" -> (exactly ? "at the " : "in test '" + test + "', after its ") + describe();
                default -> "after the " + describe();
            };
        }
    }

    /** The instruction count and console length at a host time. */
    public record Sample(double seconds, long icount, long console) {
    }

    public Timeline {
        marks = List.copyOf(marks);
        samples = List.copyOf(samples);
    }

    public void write(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("origin", origin);
        m.put("marks", marks);
        m.put("samples", samples);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Bundle.JSON.writeValue(tmp.toFile(), m);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static Timeline read(Path file) {
        try {
            JsonNode n = Bundle.JSON.readTree(file.toFile());
            List<Mark> marks = new ArrayList<>();
            for (JsonNode m : n.path("marks")) {
                marks.add(new Mark(m.path("kind").asText(), m.path("step").asInt(), m.path("test").isNull() ? null : m.path("test").asText(null),
                        m.path("title").isNull() ? null : m.path("title").asText(null), m.path("icount").asLong(-1), m.path("seconds").asDouble(),
                        m.path("console").asLong()));
            }
            List<Sample> samples = new ArrayList<>();
            for (JsonNode s : n.path("samples")) {
                samples.add(new Sample(s.path("seconds").asDouble(), s.path("icount").asLong(-1), s.path("console").asLong()));
            }
            return new Timeline(n.path("origin").asDouble(), marks, samples);
        } catch (IOException e) {
            throw JvtException.badInput("jvt replay: cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The first failure, if any. */
    public java.util.Optional<Mark> failure() {
        return marks.stream().filter(m -> m.kind().equals("failure") && m.icount() >= 0).findFirst();
    }

    /** The start of top-level step {@code n}. */
    public java.util.Optional<Mark> step(int n) {
        return marks.stream().filter(m -> m.kind().equals("step") && m.step() == n && m.icount() >= 0).findFirst();
    }

    /** Every point with an instruction count, marks and samples, in time order. */
    private List<Sample> points() {
        List<Sample> all = new ArrayList<>(samples);
        for (Mark m : marks) {
            all.add(new Sample(m.seconds(), m.icount(), m.console()));
        }
        all.removeIf(s -> s.icount() < 0);
        all.sort(Comparator.comparingDouble(Sample::seconds));
        return all;
    }

    /**
     * The instruction count at recorded time {@code seconds}: linear between the two points around
     * it (exact at a mark or sample, within 200 ms of recorded time otherwise), 0 before the first.
     */
    public long icountAt(double seconds) {
        List<Sample> p = points();
        if (p.isEmpty() || seconds <= p.get(0).seconds()) {
            return p.isEmpty() || seconds < 0 ? 0 : seconds == p.get(0).seconds() ? p.get(0).icount() : 0;
        }
        for (int i = 1; i < p.size(); i++) {
            Sample a = p.get(i - 1);
            Sample b = p.get(i);
            if (seconds <= b.seconds()) {
                double f = b.seconds() == a.seconds() ? 1 : (seconds - a.seconds()) / (b.seconds() - a.seconds());
                return a.icount() + Math.round(f * (b.icount() - a.icount()));
            }
        }
        return p.get(p.size() - 1).icount();
    }

    /** The recorded time at instruction {@code icount} (the inverse of {@link #icountAt}, first time it was reached). */
    public double secondsAt(long icount) {
        List<Sample> p = points();
        if (p.isEmpty()) {
            return 0;
        }
        Sample prev = new Sample(0, 0, 0);
        for (Sample s : p) {
            if (icount <= s.icount()) {
                double f = s.icount() == prev.icount() ? 1 : (double) (icount - prev.icount()) / (s.icount() - prev.icount());
                return prev.seconds() + f * (s.seconds() - prev.seconds());
            }
            prev = s;
        }
        return prev.seconds();
    }

    /**
     * Which step or test the guest was in at {@code icount}: the last mark before it; when several
     * marks share that count (a step's end, the next step's start, ...), {@code arrived} (the mark
     * a move went to) if it is one of them, else the first of them when {@code icount} is theirs.
     */
    public java.util.Optional<Mark> markAt(long icount, Mark arrived) {
        long at = -1;
        for (Mark m : marks) {
            if (m.icount() >= 0 && m.icount() <= icount) {
                at = Math.max(at, m.icount());
            }
        }
        long x = at;
        List<Mark> there = marks.stream().filter(m -> m.icount() == x).toList();
        if (there.isEmpty()) {
            return java.util.Optional.empty();
        }
        if (arrived != null && there.contains(arrived)) {
            return java.util.Optional.of(arrived);
        }
        return java.util.Optional.of(x == icount ? there.get(0) : there.get(there.size() - 1));
    }

    public java.util.Optional<Mark> markAt(long icount) {
        return markAt(icount, null);
    }

    /** The last instruction count the recorder saw (a safe place to stop: the recorded quit comes after it). */
    public long lastIcount() {
        return points().stream().mapToLong(Sample::icount).max().orElse(0);
    }

    /**
     * Bounds for the instruction at which console byte {@code offset} (0-based) was written: the
     * latest point whose console count is at most {@code offset} minus a margin (jvt reads the
     * console a little after the guest writes it), and the first point that had read it.
     */
    public long[] bracketConsole(long offset) {
        List<Sample> p = points();
        long lo = 0;
        long hi = -1;
        for (int i = 0; i < p.size(); i++) {
            Sample s = p.get(i);
            if (s.console() > offset) {
                hi = s.icount();
                break;
            }
            // two points back: the guest may have written more than jvt had read at a point
            if (i >= 1) {
                lo = p.get(i - 1).icount();
            }
        }
        return new long[]{lo, hi};
    }
}
