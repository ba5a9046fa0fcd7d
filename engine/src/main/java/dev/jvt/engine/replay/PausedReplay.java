package dev.jvt.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Registers;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.qemu.QemuSession;
import dev.jvt.engine.qemu.Qmp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One recorded QEMU process replayed under jvt's control: started paused ({@code -S}), moved to
 * any instruction count with {@code replay-break}, and back again by loading a snapshot that this
 * replay took on its way ({@code savevm} into a private qcow2 no device uses, so the bundle's
 * files stay as recorded). Every move ends with the console oracle: the bytes the guest wrote
 * until the stop must be the recorded transcript's prefix, else the position is reported as
 * diverged and the snapshot it came from is dropped.
 *
 * <p>The guest is never changed: nothing is sent to it, and {@link #monitor} refuses every
 * command but reads ({@code info}, {@code x}, {@code xp}, {@code print}).
 */
public final class PausedReplay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PausedReplay.class);
    /** Replay time between the snapshots taken on the way forward. */
    static final int MAX_SNAPSHOTS = 32;
    static final double SNAPSHOT_EVERY_SECONDS = Double.parseDouble(System.getProperty("jvt.replay.snapshotSeconds", "1.0"));

    /**
     * A snapshot this replay took: where it is, how much console the guest had written, and how
     * many seconds a replay from instruction 0 takes to get there (what thinning spaces evenly).
     */
    record Snapshot(String name, long icount, int console, double replaySeconds) {
    }

    /** Where a move ended. {@code diverged} is null when the console matched the recording. */
    public record Position(long icount, int console, String diverged, double seconds, int loads) {
    }

    private final String machine;
    private final Bundle.Segment segment;
    private final Timeline timeline;
    private final byte[] recorded;
    private final Path work;
    private final Path bundleDir;
    private final QemuSession session;
    private final Qmp qmp;
    /** What the guest wrote on its console since instruction 0 (cut back when a snapshot is loaded). */
    private final ByteArrayOutputStream consoleSink;
    private final TreeMap<Long, Snapshot> snapshots = new TreeMap<>();
    private final long guard;
    private final Path gdbSocket;
    private int snapshotCounter;
    /** Seconds of replay from instruction 0 to here (measured on the way, reset by a snapshot load). */
    private double replaySeconds;
    private String diverged;
    private volatile boolean snapshotsOnTheWay = true;

    private PausedReplay(Path bundleDir, String machine, Bundle.Segment segment, Timeline timeline, byte[] recorded, Path work, QemuSession session,
                         Path gdbSocket, ByteArrayOutputStream console) {
        this.consoleSink = console;
        this.machine = machine;
        this.segment = segment;
        this.timeline = timeline;
        this.recorded = recorded;
        this.work = work;
        this.bundleDir = bundleDir.toAbsolutePath();
        this.session = session;
        this.qmp = session.qmp();
        this.gdbSocket = gdbSocket;
        // never run into the recorded quit: QEMU 7.2 ends the process there and cannot go on
        this.guard = timeline.lastIcount();
    }

    /**
     * Starts the replay of {@code segment} (of the bundle in {@code bundleDir}) paused at
     * instruction 0; with {@code gdb}, QEMU's gdb stub listens on a private socket too.
     */
    public static PausedReplay start(Path bundleDir, Bundle.Segment segment, boolean gdb) throws IOException {
        if (segment.timeline() == null) {
            throw JvtException.badInput("jvt replay: the recording of " + segment.machine() + " has no timeline (recorded by an older jvt): "
                    + "it replays as a whole, but cannot be stopped at a step or a failure");
        }
        Timeline timeline = Timeline.read(bundleDir.resolve(segment.timeline()));
        byte[] recorded = Files.readAllBytes(bundleDir.resolve(segment.transcript()));
        Path work = dev.jvt.engine.WorkFolder.create("jvt-timetravel-");
        try {
            Path state = work.resolve("travel.qcow2");
            dev.jvt.engine.image.QemuImg.create(state, "1M");
            List<String> argv = new ArrayList<>();
            for (String a : segment.argv()) {
                argv.add(a.replace("${BUNDLE}", bundleDir.toAbsolutePath().toString()).replace("${WORK}", work.toString())
                        .replace(",rr=record,", ",rr=replay,"));
            }
            argv.set(0, Prerequisites.qemu(argv.get(0).replaceFirst("^qemu-system-", "")).toString());
            BundlePaths.checkArgv(bundleDir, work, argv, bundleDir.resolve(Bundle.MANIFEST),
                    "segment " + segment.scenario() + " › " + segment.machine() + " (recording " + segment.index() + ") field 'argv'");
            argv = new ArrayList<>(dev.jvt.engine.qemu.Sandbox.reapply(argv));
            // a drive no device uses, for the snapshots of this replay (the recording has none)
            argv.addAll(List.of("-drive", "if=none,id=jvt-travel,format=qcow2,file=" + state, "-S"));
            Path gdbSocket = null;
            if (gdb) {
                gdbSocket = work.resolve("gdb.sock");
                argv.addAll(List.of("-gdb", "unix:" + gdbSocket + ",server=on,wait=off"));
            }
            boolean agent = argv.stream().anyMatch(a -> a.startsWith("pipe,id=jvt-cmd,"));
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            QemuSession s = QemuSession.start(segment.machine() + "-replay", argv, work, work.resolve("qemu.log"), null,
                    new QemuSession.Wiring(true, true, agent ? QemuSession.Port.PIPE : QemuSession.Port.NONE),
                    b -> {
                        synchronized (sink) {
                            sink.write(b, 0, b.length);
                        }
                    }, p -> { });
            if (s.commandPort() != null) {
                QemuSession.drain(s.commandPort().in(), "jvt-timetravel-drain-" + segment.machine());
            }
            PausedReplay r = new PausedReplay(bundleDir, segment.machine(), segment, timeline, recorded, work, s, gdbSocket, sink);
            // instruction 0: every move backwards has a snapshot to start from
            r.snapshot();
            r.guardBreak();
            return r;
        } catch (IOException | RuntimeException e) {
            dev.jvt.engine.WorkFolder.delete(work);
            throw e;
        }
    }

    public String machine() {
        return machine;
    }

    public Bundle.Segment segment() {
        return segment;
    }

    public Timeline timeline() {
        return timeline;
    }

    /** The console transcript as recorded. */
    public byte[] recorded() {
        return recorded.clone();
    }

    public Path gdbSocket() {
        return gdbSocket;
    }

    /** The instruction count QEMU is at now. */
    public long icount() {
        return qmp.execute("query-replay").path("icount").asLong();
    }

    /** The last instruction a move may reach (before the recorded end). */
    public long guard() {
        return guard;
    }

    /** Whether the last move's console differed from the recording (then: how). */
    public String divergence() {
        return diverged;
    }

    /** The console the guest wrote until now (carriage returns kept, as recorded). */
    public byte[] consoleBytes() {
        synchronized (consoleSink) {
            return consoleSink.toByteArray();
        }
    }

    public String consoleText() {
        return new String(consoleBytes(), StandardCharsets.UTF_8).replace("\r", "");
    }

    /**
     * Moves to instruction {@code target}: forward by replaying (taking a snapshot about every
     * second of replay on the way), backward (or far forward) by loading the nearest earlier
     * snapshot first. Then checks the console against the recording.
     */
    public synchronized Position moveTo(long target, Duration timeout) {
        long t0 = System.nanoTime();
        if (target > guard) {
            throw JvtException.badInput(machine + ": instruction " + target + " is past the end of the recording (the last safe one is " + guard + ")");
        }
        if (target < 0) {
            target = 0;
        }
        int loads = 0;
        long now = icount();
        Map.Entry<Long, Snapshot> best = snapshots.floorEntry(target);
        if (target < now || (best != null && best.getKey() > now)) {
            if (best == null) {
                throw JvtException.badInput(machine + ": no snapshot at or before instruction " + target + " (the replay is at " + now + ")");
            }
            LOG.debug("{}: to {} from the snapshot at {} (the replay is at {}; snapshots at {})", machine, target, best.getKey(), now, snapshots.keySet());
            load(best.getValue());
            loads++;
            now = best.getKey();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long every = (long) (SNAPSHOT_EVERY_SECONDS * 1e9);
        long nextSnapshot = System.nanoTime() + every;
        while (now < target) {
            // a stretch of the log can replay far slower than the rest (many events per instruction),
            // so the replay is paused by time, not by instruction count, for the snapshots on the way
            now = runTo(target, deadline, snapshotsOnTheWay ? nextSnapshot : Long.MAX_VALUE);
            if (now < target) {
                // QEMU refuses a snapshot while replay events are queued: then try again soon
                nextSnapshot = System.nanoTime() + (snapshot() ? every : every / 5);
            }
        }
        settle();
        guardBreak();
        Position p = check(now, (System.nanoTime() - t0) / 1e9, loads);
        if (snapshotsOnTheWay && p.diverged() == null && (snapshots.floorEntry(now) == null || p.seconds() > SNAPSHOT_EVERY_SECONDS / 2)) {
            snapshot();
        }
        return p;
    }

    /** While paused, the one replay break waits before the recorded end, so a resume from elsewhere (gdb's continue) stops there. */
    private void guardBreak() {
        if (icount() < guard) {
            qmp.execute("replay-break", Map.of("icount", guard), Duration.ofSeconds(10));
        }
    }

    /**
     * Whether moves forward take a snapshot about every second of replay (the default; what makes
     * going back fast). Off, a move is a plain replay: the baseline of {@code jvt bench replay}'s seek.
     */
    public void snapshotsOnTheWay(boolean on) {
        this.snapshotsOnTheWay = on;
    }

    /**
     * Saves a snapshot here; false when it was skipped (QEMU says the replay cannot be saved at this
     * instruction, or the console so far is not the recording's).
     */
    public synchronized boolean snapshot() {
        long at = icount();
        if (snapshots.containsKey(at)) {
            return true;
        }
        settle();
        byte[] got = consoleBytes();
        if (got.length > recorded.length || Replayer.firstDifference(java.util.Arrays.copyOf(recorded, got.length), got) >= 0) {
            return false; // never keep a state whose console is not the recording's
        }
        String name = "jvt-travel-" + (++snapshotCounter);
        String out = qmp.hmp("savevm " + name, Duration.ofSeconds(60));
        if (!out.isBlank()) {
            // "Record/replay does not allow making snapshot right now": events are queued at this point
            LOG.debug("{}: no snapshot at {}: {}", machine, at, out.strip());
            return false;
        }
        snapshots.put(at, new Snapshot(name, at, got.length, replaySeconds));
        LOG.debug("{}: snapshot {} at {}", machine, name, at);
        thin();
        return true;
    }

    /**
     * At most {@link #MAX_SNAPSHOTS} (each holds the guest's used memory): the one whose neighbours
     * are closest in replay time goes, so the longest replay a move back needs stays as short as it can.
     * The first (instruction 0) and the last are kept.
     */
    private void thin() {
        while (snapshots.size() > MAX_SNAPSHOTS) {
            List<Snapshot> all = new ArrayList<>(snapshots.values());
            int drop = 1;
            double gap = Double.MAX_VALUE;
            for (int i = 1; i < all.size() - 1; i++) {
                double g = all.get(i + 1).replaySeconds() - all.get(i - 1).replaySeconds();
                if (g < gap) {
                    gap = g;
                    drop = i;
                }
            }
            Snapshot s = all.get(drop);
            qmp.hmp("delvm " + s.name(), Duration.ofSeconds(60));
            snapshots.remove(s.icount());
        }
    }

    /** How many snapshots this replay holds. */
    public synchronized int snapshotCount() {
        return snapshots.size();
    }

    private void load(Snapshot s) {
        String out = qmp.hmp("loadvm " + s.name(), Duration.ofSeconds(60));
        if (!out.isBlank()) {
            snapshots.remove(s.icount());
            throw JvtException.infrastructure(machine + ": cannot load the replay snapshot at instruction " + s.icount() + ": " + out.strip());
        }
        // the console up to the snapshot was the recording's when it was taken
        synchronized (consoleSink) {
            consoleSink.reset();
            consoleSink.write(recorded, 0, s.console());
        }
        replaySeconds = s.replaySeconds();
        last = s;
    }

    private Snapshot last;

    /**
     * Lets the guest run until instruction {@code stop} (a replay break) and waits for the pause;
     * at {@code pauseAt} (a {@link System#nanoTime}) it pauses the guest itself. Returns the
     * instruction count it paused at.
     */
    private long runTo(long stop, long deadline, long pauseAt) {
        qmp.execute("replay-break", Map.of("icount", stop), Duration.ofSeconds(10));
        long started = System.nanoTime();
        qmp.execute("cont");
        boolean paused = false;
        while (session.isAlive()) {
            JsonNode st = qmp.execute("query-status");
            if (!st.path("running").asBoolean(true)) {
                long at = icount();
                if (at >= stop || paused) {
                    replaySeconds += (System.nanoTime() - started) / 1e9;
                    return at;
                }
            } else if (!paused && System.nanoTime() > pauseAt) {
                qmp.execute("stop");
                paused = true;
                continue;
            }
            if (System.nanoTime() > deadline) {
                qmp.execute("stop");
                throw JvtException.infrastructure(machine + ": the replay did not reach instruction " + stop + " in time (it is at " + icount() + ")");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.infrastructure("interrupted while replaying " + machine);
            }
        }
        throw JvtException.infrastructure(machine + ": QEMU ended while replaying towards instruction " + stop + ": "
                + session.process().logTail(5));
    }

    /** Waits until the console reader has taken what the guest wrote before the pause (writes are synchronous; reading is not). */
    private void settle() {
        int seen = -1;
        for (int quiet = 0; quiet < 3; ) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            int n = consoleBytes().length;
            quiet = n == seen ? quiet + 1 : 0;
            seen = n;
        }
    }

    /** The console oracle: what the guest wrote must be the recorded transcript's first bytes. */
    private Position check(long icount, double seconds, int loads) {
        byte[] got = consoleBytes();
        int d = Replayer.firstDifference(java.util.Arrays.copyOf(recorded, Math.min(recorded.length, got.length)), got);
        if (got.length > recorded.length) {
            d = recorded.length;
        }
        diverged = null;
        if (d >= 0) {
            diverged = String.format(Locale.ROOT, "the console differs from the recording at byte %d: recorded %s, replayed %s",
                    d, Replayer.around(recorded, d), Replayer.around(got, d));
            if (last != null) {
                // the snapshot is not trustworthy (QEMU 7.2's loadvm in a replay can diverge): never load it again
                snapshots.remove(last.icount());
            }
        } else {
            java.util.Optional<Timeline.Mark> m = timeline.markAt(icount);
            if (m.isPresent() && m.get().icount() == icount && got.length < m.get().console()) {
                diverged = "the recording had " + m.get().console() + " console bytes at this instruction, the replay " + got.length;
            }
        }
        return new Position(icount, got.length, diverged, seconds, loads);
    }

    /** Registers of the (first) CPU, from {@code info registers}. */
    public Map<String, BigInteger> registers() {
        return Registers.parse(monitor("info registers"));
    }

    /**
     * The guest kernel's stack here, symbolized (see {@link KernelSymbols#backtrace}); the symbols
     * come from the built-in guest's kernel when the recording booted that kernel.
     */
    public String backtrace() {
        int k = segment.argv().indexOf("-kernel");
        if (k < 0) {
            throw JvtException.badInput(machine + ": the recording booted no -kernel, so there is no kernel to take symbols from");
        }
        Path kernel = Path.of(segment.argv().get(k + 1).replace("${BUNDLE}", bundleDir.toString()));
        Path kit = Prerequisites.guestKit().kernel();
        try {
            if (!Bundle.sha256(kernel).equals(Bundle.sha256(kit))) {
                throw JvtException.badInput(machine + ": the recorded kernel is not this host's built-in guest kernel " + kit
                        + ", whose symbols jvt can read; put the recorded kernel's System.map or kallsyms at " + KernelSymbols.cached(kernel));
            }
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot read " + kernel + ": " + e.getMessage(), e);
        }
        KernelSymbols syms = java.nio.file.Files.isRegularFile(KernelSymbols.cached(kernel)) ? KernelSymbols.load(KernelSymbols.cached(kernel))
                : KallsymsCapture.capture(kit);
        return syms.backtrace(registers(), KernelSymbols.viaMonitor(c -> qmp.hmp(c, Duration.ofSeconds(30))));
    }

    /** Read-only monitor commands only: anything else would change the guest and the replay would no longer be the recording. */
    public String monitor(String command) {
        String c = command.strip();
        String verb = c.split("\\s+")[0];
        if (!(verb.equals("info") || verb.equals("x") || verb.startsWith("x/") || verb.equals("xp") || verb.startsWith("xp/")
                || verb.equals("print") || verb.equals("p") || verb.startsWith("p/"))) {
            throw JvtException.badInput(machine + ": '" + verb + "' is refused in a replay: only reads (info, x, xp, print) are allowed, "
                    + "since anything that changes the guest is not in the recording and the replay would stop being it");
        }
        return qmp.hmp(c, Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        try {
            session.close();
        } finally {
            dev.jvt.engine.WorkFolder.delete(work);
        }
    }

    @Override
    public String toString() {
        return machine + " (replay of recording " + segment.index() + ")";
    }
}
