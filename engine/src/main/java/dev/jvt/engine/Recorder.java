package dev.jvt.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.jvt.engine.qemu.QemuProcess;
import dev.jvt.engine.qemu.Qmp;
import dev.jvt.engine.replay.Bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records one machine under {@code --record}: for each QEMU process it copies the kernel and
 * initramfs into the bundle, keeps the command line with bundle-relative paths, and when the
 * process ends (cleanly, through the monitor's {@code quit}, so QEMU closes the log) writes the
 * transcript of that process and a manifest entry with hashes of every file.
 */
final class Recorder {
    private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);
    private final Bundle bundle;
    private final String key;
    private final String scenario;
    private final String machine;
    private QemuProcess process;
    private List<String> portableArgv;
    private Map<String, String> images;
    private int consoleStart;
    private int index;
    private long startNanos;
    private Qmp qmp;
    private java.util.function.IntSupplier consoleLength;
    private final List<dev.jvt.engine.replay.Timeline.Mark> marks = new ArrayList<>();
    private final List<dev.jvt.engine.replay.Timeline.Sample> samples = new ArrayList<>();
    private Thread sampler;

    Recorder(Bundle bundle, String key, String scenario, String machine) {
        this.bundle = bundle;
        this.key = key;
        this.scenario = scenario;
        this.machine = machine;
    }

    Bundle bundle() {
        return bundle;
    }

    String key() {
        return key;
    }

    /**
     * A QEMU process of the machine started recording: {@code consoleLength} says how much console
     * the machine has read so far (the transcript of this process starts at its value now).
     */
    synchronized void started(QemuProcess p, Qmp monitor, List<String> argv, QemuCommandLine.Resolved r, java.util.function.IntSupplier consoleLength,
                              int generation) {
        this.process = p;
        this.qmp = monitor;
        this.consoleLength = consoleLength;
        this.index = generation;
        this.consoleStart = consoleLength.getAsInt();
        this.startNanos = System.nanoTime();
        marks.clear();
        samples.clear();
        sampler = new Thread(() -> sample(p), "jvt-record-sampler-" + machine);
        sampler.setDaemon(true);
        sampler.start();
        this.images = new LinkedHashMap<>();
        Map<String, String> replace = new LinkedHashMap<>();
        if (r.kernel() != null) {
            String rel = bundle.addImage(r.kernel());
            images.put(rel, r.kernel().toString());
            replace.put(r.kernel().toString(), "${BUNDLE}/" + rel);
        }
        if (r.initrd() != null) {
            String rel = bundle.addImage(r.initrd());
            images.put(rel, r.initrd().toString());
            replace.put(r.initrd().toString(), "${BUNDLE}/" + rel);
        }
        replace.put(r.sockets().toString(), "${WORK}");
        // the scenario's work folder (network switch sockets): in a replay, frames come from the log
        Path scenarioWork = r.sockets().getParent() == null ? null : r.sockets().getParent().getParent();
        if (scenarioWork != null) {
            replace.put(scenarioWork.toString(), "${WORK}/scenario");
        }
        replace.put(bundle.dir().toString(), "${BUNDLE}");
        List<String> out = new ArrayList<>();
        out.add(r.qemu().getFileName().toString());
        for (String a : argv.subList(1, argv.size())) {
            String x = a;
            for (Map.Entry<String, String> e : replace.entrySet()) {
                x = x.replace(e.getKey(), e.getValue());
            }
            out.add(x);
        }
        this.portableArgv = out;
    }

    /** Every 200 ms while {@code p} records: its instruction count and console length, for the timeline. */
    private void sample(QemuProcess p) {
        while (true) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (p != process || portableArgv == null || !p.isAlive()) {
                    return;
                }
                Position at = position();
                if (at != null) {
                    samples.add(new dev.jvt.engine.replay.Timeline.Sample(at.seconds, at.icount, at.console));
                }
            }
        }
    }

    private record Position(long icount, double seconds, long console) {
    }

    /** Where the recording is now; the console is read before the count, so the guest had written at least that much. */
    private Position position() {
        if (qmp == null || process == null || !process.isAlive()) {
            return null;
        }
        long console = Math.max(0, consoleLength.getAsInt() - consoleStart);
        try {
            long icount = qmp.execute("query-replay", Map.of(), Duration.ofSeconds(5)).path("icount").asLong(-1);
            return new Position(icount, (System.nanoTime() - startNanos) / 1e9, console);
        } catch (RuntimeException e) {
            LOG.debug("{}: no instruction count from the monitor", machine, e);
            return null;
        }
    }

    /**
     * Notes a point of the run (a test's or step's start or end, a failure) with this recording's
     * instruction count; nothing when no process records now.
     */
    synchronized void mark(String kind, int step, String test, String title) {
        if (portableArgv == null) {
            return;
        }
        Position at = position();
        if (at != null) {
            marks.add(new dev.jvt.engine.replay.Timeline.Mark(kind, step, test, title, at.icount, at.seconds, at.console));
        }
    }

    /**
     * Ends the current recording: asks QEMU to quit through the monitor (so the quit itself is in
     * the log and a replay ends at the same instruction), waits for it, then writes the manifest entry.
     */
    synchronized void finish(QemuProcess p, Qmp qmp, java.util.function.Supplier<byte[]> console, Duration wait) {
        if (p != process || portableArgv == null) {
            return;
        }
        if (sampler != null) {
            sampler.interrupt();
        }
        long icount = -1;
        if (qmp != null && p.isAlive()) {
            try {
                icount = qmp.execute("query-replay").path("icount").asLong(-1);
                p.expectExit();
                qmp.execute("quit");
            } catch (RuntimeException e) {
                LOG.debug("{}: QEMU closed its monitor before answering quit", machine, e);
            }
            p.waitFor(wait);
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        // the transcript is what QEMU wrote until it exited: wait until the reader has drained it
        // (four quiet rounds of 50 ms), at most 10 s
        byte[][] seen = {console.get()};
        int[] quiet = {0};
        byte[] transcript = Retry.until("waiting for the console of " + machine + " to drain", Duration.ofSeconds(10), Duration.ofMillis(50),
                last -> {
                    byte[] now = console.get();
                    quiet[0] = now.length == seen[0].length ? quiet[0] + 1 : 0;
                    seen[0] = now;
                    return quiet[0] >= 4 || last ? now : null;
                }, gave -> JvtException.infrastructure(machine + ": the console did not drain"));
        try {
            Path log = bundle.log(key, index);
            Path tx = bundle.transcript(key, index);
            Path timeline = bundle.timeline(key, index);
            new dev.jvt.engine.replay.Timeline(startNanos / 1e9, marks, samples).write(timeline);
            Files.write(tx, Arrays.copyOfRange(transcript, Math.min(consoleStart, transcript.length), transcript.length));
            Map<String, String> sha = new LinkedHashMap<>();
            for (String img : images.keySet()) {
                sha.put(img, Bundle.sha256(bundle.dir().resolve(img)));
            }
            String logRel = bundle.dir().relativize(log).toString();
            String txRel = bundle.dir().relativize(tx).toString();
            sha.put(logRel, Bundle.sha256(log));
            sha.put(txRel, Bundle.sha256(tx));
            String timelineRel = bundle.dir().relativize(timeline).toString();
            sha.put(timelineRel, Bundle.sha256(timeline));
            bundle.add(new Bundle.Segment(scenario, machine, key, index, portableArgv, logRel, txRel, timelineRel, icount, seconds,
                    dev.jvt.engine.host.Prerequisites.qemuVersion(), sha));
        } catch (IOException e) {
            throw JvtException.infrastructure(machine + ": cannot finish the recording: " + e.getMessage(), e);
        }
        portableArgv = null;
    }
}
