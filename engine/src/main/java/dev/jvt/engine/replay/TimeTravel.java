package dev.jvt.engine.replay;

import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Standing inside a recorded scenario: every machine of it replayed and paused at the same point
 * of the run, moved together (to a failure, a step, an instruction count, a recorded time) and
 * checked against the recorded console after every move. Points are written as
 * <pre>
 *   failure | failure-2s | failure+500ms | step:N | step:N-1s | icount:N | start | end
 * </pre>
 * A mark (failure, step) is exact on every machine, since the recorder noted each machine's
 * instruction count at it; a time between marks is placed within 200 ms of recorded time.
 */
public final class TimeTravel implements AutoCloseable {
    private static final Pattern SPEC = Pattern.compile(
            "(failure|start|end|step:(\\d+)|icount:(\\d+))\\s*(?:([+-])\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m))?");

    /** Where the machines are to go: each its own instruction count. */
    public record Target(String label, Map<String, Long> icounts, Map<String, Timeline.Mark> marks) {
        public Target(String label, Map<String, Long> icounts) {
            this(label, icounts, Map.of());
        }
    }

    /** One machine's part of a move. */
    public record Moved(String machine, PausedReplay.Position position) {
    }

    private final String scenario;
    private final Map<String, PausedReplay> machines;
    private final String primary;
    /** The mark the last move went to, per machine (of several marks at one instruction, the one the user asked for). */
    private volatile Map<String, Timeline.Mark> arrived = Map.of();
    /** Where each {@code back} started, for {@link #forward()}. */
    private final java.util.Deque<Target> returns = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jvt-timetravel");
        t.setDaemon(true);
        return t;
    });

    private TimeTravel(String scenario, Map<String, PausedReplay> machines, String primary) {
        this.scenario = scenario;
        this.machines = machines;
        this.primary = primary;
    }

    /**
     * Verifies the bundle and starts a paused replay of each machine of {@code scenario} (null: the
     * scenario with a failure, else the first recorded); a machine recorded in several processes
     * is replayed from its last one.
     */
    public static TimeTravel open(Path bundle, String scenario, String machine, boolean gdb) throws IOException {
        List<Bundle.Segment> all = Bundle.read(bundle);
        if (all.isEmpty()) {
            throw JvtException.badInput("jvt replay: the bundle " + bundle + " holds no recording");
        }
        for (Bundle.Segment s : all) {
            Replayer.verify(bundle, s.sha256());
        }
        String chosen = scenario;
        if (chosen == null) {
            chosen = all.stream().filter(s -> s.timeline() != null && Timeline.read(bundle.resolve(s.timeline())).failure().isPresent())
                    .map(Bundle.Segment::scenario).findFirst().orElse(all.get(0).scenario());
        }
        String name = chosen;
        Map<String, Bundle.Segment> last = new LinkedHashMap<>();
        all.stream().filter(s -> s.scenario().equals(name)).forEach(s -> last.merge(s.machine(), s, (a, b) -> b.index() > a.index() ? b : a));
        if (last.isEmpty()) {
            throw JvtException.badInput("jvt replay: the bundle has no scenario '" + name + "'; it has "
                    + all.stream().map(Bundle.Segment::scenario).distinct().toList());
        }
        if (machine != null && !last.containsKey(machine)) {
            throw JvtException.badInput("jvt replay: scenario '" + name + "' has no machine '" + machine + "'; it has " + last.keySet());
        }
        Map<String, PausedReplay> started = new LinkedHashMap<>();
        try {
            for (Bundle.Segment s : last.values()) {
                started.put(s.machine(), PausedReplay.start(bundle, s, gdb));
            }
        } catch (IOException | RuntimeException e) {
            started.values().forEach(PausedReplay::close);
            throw e;
        }
        return new TimeTravel(name, started, machine != null ? machine : started.keySet().iterator().next());
    }

    public String scenario() {
        return scenario;
    }

    public Map<String, PausedReplay> machines() {
        return machines;
    }

    /** The machine whose instruction counts {@code icount:N} means and whose clock {@code where} reads first. */
    public String primary() {
        return primary;
    }

    private PausedReplay main() {
        return machines.get(primary);
    }

    /** The recorded time (recording JVM's clock, seconds) at which {@code m} is now. */
    private double now(PausedReplay m) {
        return m.timeline().origin() + m.timeline().secondsAt(m.icount());
    }

    /** Every machine at the same recorded time {@code t} (seconds on the recording's clock), clamped to its recording. */
    private Map<String, Long> atTime(double t) {
        Map<String, Long> out = new LinkedHashMap<>();
        machines.forEach((n, m) -> out.put(n, clamp(m, m.timeline().icountAt(t - m.timeline().origin()))));
        return out;
    }

    private static long clamp(PausedReplay m, long icount) {
        return Math.max(0, Math.min(m.guard(), icount));
    }

    /** The same mark (kind, step, test: noted at one moment on every machine) on each machine, as a target. */
    private Target atMark(String label, Timeline.Mark mark) {
        Map<String, Long> out = new LinkedHashMap<>();
        Map<String, Timeline.Mark> marks = new LinkedHashMap<>();
        double t = main().timeline().origin() + mark.seconds();
        machines.forEach((n, m) -> {
            Optional<Timeline.Mark> same = m.timeline().marks().stream().filter(x -> x.kind().equals(mark.kind()) && x.step() == mark.step()
                    && java.util.Objects.equals(x.test(), mark.test()) && java.util.Objects.equals(x.title(), mark.title())).findFirst();
            same.ifPresent(x -> marks.put(n, x));
            out.put(n, clamp(m, same.map(Timeline.Mark::icount).orElseGet(() -> m.timeline().icountAt(t - m.timeline().origin()))));
        });
        return new Target(label, out, marks);
    }

    /** Resolves a point (see the class comment) to each machine's instruction count. */
    public Target resolve(String spec) {
        Matcher x = SPEC.matcher(spec.strip());
        if (!x.matches()) {
            throw JvtException.badInput("jvt replay: cannot read the point '" + spec + "': write failure, failure-2s, step:N, step:N+500ms, "
                    + "icount:N, start or end");
        }
        Timeline t = main().timeline();
        Map<String, Long> at = null;
        double base = 0;
        String what;
        Timeline.Mark mark = null;
        if (x.group(1).equals("failure")) {
            mark = t.failure().orElseThrow(() -> JvtException.badInput("jvt replay: scenario '" + scenario
                    + "' did not fail in this recording; stop at step:N, icount:N or end instead (marks: " + markSummary() + ")"));
            what = "the " + mark.describe();
        } else if (x.group(2) != null) {
            int n = Integer.parseInt(x.group(2));
            mark = t.step(n).orElseThrow(() -> JvtException.badInput("jvt replay: the recording of " + primary + " has no step " + n
                    + " (its steps: 1.." + t.marks().stream().mapToInt(Timeline.Mark::step).max().orElse(0) + ")"));
            what = "the start of " + mark.describe();
        } else if (x.group(3) != null) {
            long n = Long.parseLong(x.group(3));
            if (n > main().guard()) {
                throw JvtException.badInput("jvt replay: instruction " + n + " is past the end of " + primary + "'s recording (" + main().guard() + ")");
            }
            base = t.origin() + t.secondsAt(n);
            at = atTime(base);
            at.put(primary, n);
            what = primary + "'s instruction " + n;
        } else if (x.group(1).equals("start")) {
            base = t.origin();
            at = new LinkedHashMap<>();
            for (String k : machines.keySet()) {
                at.put(k, 0L);
            }
            what = "the start";
        } else {
            base = t.origin() + t.secondsAt(main().guard());
            at = new LinkedHashMap<>();
            for (Map.Entry<String, PausedReplay> e : machines.entrySet()) {
                at.put(e.getKey(), e.getValue().guard());
            }
            what = "the end of the recording";
        }
        if (mark != null) {
            if (x.group(4) == null) {
                return atMark(what, mark);
            }
            base = t.origin() + mark.seconds();
        }
        if (x.group(4) != null) {
            double d = Double.parseDouble(x.group(5)) * switch (x.group(6)) {
                case "ms" -> 0.001;
                case "m" -> 60;
                default -> 1;
            };
            double shifted = base + (x.group(4).equals("-") ? -d : d);
            return new Target(x.group(5) + " " + x.group(6) + (x.group(4).equals("-") ? " before " : " after ") + what, atTime(shifted));
        }
        return new Target(what, at);
    }

    /** Moves every machine (at once) to the target; each result says whether its console still matched. */
    public List<Moved> go(Target target) {
        List<Future<Moved>> all = new ArrayList<>();
        target.icounts().forEach((n, icount) -> {
            PausedReplay m = machines.get(n);
            Duration limit = Duration.ofSeconds((long) (m.segment().seconds() * 10 + 120));
            all.add(pool.submit(() -> new Moved(n, m.moveTo(icount, limit))));
        });
        List<Moved> out = new ArrayList<>();
        RuntimeException first = null;
        for (Future<Moved> f : all) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                RuntimeException r = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                if (first == null) {
                    first = r;
                } else {
                    first.addSuppressed(r);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.infrastructure("interrupted while moving the replay");
            }
        }
        if (first != null) {
            throw first;
        }
        arrived = target.marks();
        return out;
    }

    /** Every machine {@code d} of recorded time earlier; {@link #forward()} comes back here exactly. */
    public Target back(Duration d) {
        Map<String, Long> here = new LinkedHashMap<>();
        machines.forEach((n, m) -> here.put(n, m.icount()));
        returns.push(new Target("back where the last 'back' started", here, arrived));
        double t = now(main()) - d.toNanos() / 1e9;
        return new Target(human(d) + " back", atTime(t));
    }

    /** Every machine {@code d} of recorded time later. */
    public Target forward(Duration d) {
        returns.clear();
        double t = now(main()) + d.toNanos() / 1e9;
        return new Target(human(d) + " forward", atTime(t));
    }

    /** Where the machines were before the last {@code back} (exactly, instruction for instruction); else one second forward. */
    public Target forward() {
        Target t = returns.poll();
        return t != null ? t : forward(Duration.ofSeconds(1));
    }

    /** The start of the next (or, with {@code direction} -1, the previous) top-level step from where the main machine is. */
    public Target step(int direction) {
        long here = main().icount();
        Timeline.Mark at = arrived.get(primary);
        int known = at != null && at.icount() == here ? at.step() : -1;
        List<Timeline.Mark> steps = main().timeline().marks().stream().filter(x -> x.kind().equals("step") && x.icount() >= 0).toList();
        Timeline.Mark mark = null;
        for (Timeline.Mark x : steps) {
            boolean later = x.icount() > here || (x.icount() == here && known >= 0 && x.step() > known);
            boolean earlier = x.icount() < here || (x.icount() == here && known >= 0 && x.step() < known);
            if (direction > 0 && later) {
                mark = x;
                break;
            }
            if (direction < 0 && earlier) {
                mark = x;
            }
        }
        if (mark == null) {
            throw JvtException.badInput("no " + (direction > 0 ? "later" : "earlier") + " step in the recording");
        }
        return atMark("the start of " + mark.describe(), mark);
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** One line per machine: instruction count, recorded time, step, console position, distance to the failure. */
    public String where() {
        StringBuilder sb = new StringBuilder();
        machines.forEach((n, m) -> sb.append(where(m)).append('\n'));
        return sb.toString().stripTrailing();
    }

    private String where(PausedReplay m) {
        long icount = m.icount();
        Timeline t = m.timeline();
        double secs = t.secondsAt(icount);
        byte[] console = m.consoleBytes();
        int line = 1;
        for (byte b : console) {
            if (b == '\n') {
                line++;
            }
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: icount %,d · +%.2f s recorded", m.machine(), icount, secs));
        Optional<Timeline.Mark> mark = t.markAt(icount, arrived.get(m.machine()));
        mark.ifPresent(k -> sb.append(" · ").append(k.position(k.icount() == icount)));
        boolean atFailure = mark.isPresent() && mark.get().kind().equals("failure") && mark.get().icount() == icount;
        sb.append(String.format(Locale.ROOT, " · console byte %,d (line %d)", console.length, line));
        t.failure().filter(f -> !atFailure).ifPresent(f -> {
            double d = f.seconds() - secs;
            sb.append(String.format(Locale.ROOT, icount == f.icount() ? " · at the failure" : d >= 0 ? " · %.2f s before the failure"
                    : " · %.2f s after the failure", Math.abs(d)));
        });
        if (m.divergence() != null) {
            sb.append("\n  DIVERGED: ").append(m.divergence()).append(" (what the REPL shows here is not the recorded run)");
        }
        return sb.toString();
    }

    /** The marks of the main machine, one per line, numbered as {@code step:N} takes them. */
    public String marks() {
        StringBuilder sb = new StringBuilder();
        for (Timeline.Mark k : main().timeline().marks()) {
            sb.append(String.format(Locale.ROOT, "  %-9s icount %,15d  +%7.2f s  %s%n", k.kind(), k.icount(), k.seconds(), k.describe()));
        }
        return sb.toString().stripTrailing();
    }

    private String markSummary() {
        return main().timeline().marks().stream().filter(k -> k.kind().equals("step")).count() + " steps";
    }

    /** Where the console line matching {@code regex} was written: which machine, its text, and the exact instruction count. */
    public record Found(String machine, int line, String text, long icount, String where) {
    }

    /**
     * Finds the first recorded console line (of any machine of the scenario) matching {@code regex}
     * and the first instruction count at which the guest had written all of it: bisects by moving
     * the replay (its snapshots make each probe short), starting from the bounds the recorder's
     * samples give.
     */
    public Optional<Found> when(Pattern regex) {
        Found best = null;
        double bestTime = Double.MAX_VALUE;
        for (PausedReplay m : machines.values()) {
            byte[] rec = m.recorded();
            String text = new String(rec, StandardCharsets.ISO_8859_1);
            int start = 0;
            int line = 1;
            while (start < text.length()) {
                int nl = text.indexOf('\n', start);
                int end = nl < 0 ? text.length() : nl;
                String raw = text.substring(start, end);
                String shown = new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8).replace("\r", "");
                if (regex.matcher(shown).find()) {
                    long last = nl < 0 ? end - 1 : nl;
                    long[] b = m.timeline().bracketConsole(last);
                    double t = m.timeline().origin() + m.timeline().secondsAt(b[1] < 0 ? m.guard() : b[1]);
                    if (t < bestTime) {
                        bestTime = t;
                        best = new Found(m.machine(), line, shown, last, null);
                    }
                    break;
                }
                start = end + 1;
                line++;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        PausedReplay m = machines.get(best.machine());
        long offset = best.icount(); // the byte offset, for now
        long[] b = m.timeline().bracketConsole(offset);
        long lo = b[0];
        long hi = b[1] < 0 ? m.guard() : b[1];
        Duration limit = Duration.ofSeconds((long) (m.segment().seconds() * 10 + 120));
        if (!written(m, hi, offset, limit)) {
            hi = m.guard();
            if (!written(m, hi, offset, limit)) {
                throw JvtException.infrastructure(m.machine() + ": the replay never wrote console byte " + offset + " (the recording did)");
            }
        }
        if (lo > 0 && written(m, lo, offset, limit)) {
            lo = 0;
        }
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (written(m, mid, offset, limit)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        m.moveTo(hi, limit);
        return Optional.of(new Found(best.machine(), best.line(), best.text(), hi,
                m.timeline().markAt(hi).map(Timeline.Mark::describe).orElse("before the first step")));
    }

    private static boolean written(PausedReplay m, long icount, long offset, Duration limit) {
        PausedReplay.Position p = m.moveTo(icount, limit);
        if (p.diverged() != null) {
            throw JvtException.infrastructure(m.machine() + ": the replay diverged while searching: " + p.diverged());
        }
        return p.console() > offset;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        machines.values().forEach(PausedReplay::close);
    }
}
