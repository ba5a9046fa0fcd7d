package dev.jvt.engine.replay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvt.engine.JvtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.qemu.ProcessLauncher;
import dev.jvt.engine.qemu.QemuSession;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code jvt replay}: re-executes every recorded QEMU process of a bundle from its log (QEMU
 * {@code rr=replay}, the recorded command line with this host's paths) and compares the serial
 * transcript byte for byte with the one recorded. Never hangs: a replay that stops producing
 * output, or whose QEMU reports a replay error, ends with the first divergence.
 */
public final class Replayer {
    private static final Logger LOG = LoggerFactory.getLogger(Replayer.class);
    /** What one segment's replay showed. */
    public record Outcome(String scenario, String machine, int index, boolean reproduced, long bytes, double seconds, String detail) {
    }

    private final PrintWriter out;

    public Replayer(PrintWriter out) {
        this.out = out;
    }

    /** Finds the bundle in a run folder, a bundle folder, or a .tar.gz/.tgz archive (unpacked to a temp folder). */
    public static Path locate(Path arg) throws IOException {
        if (!Files.exists(arg)) {
            throw JvtException.badInput("jvt replay: not found: " + arg.toAbsolutePath());
        }
        if (Files.isRegularFile(arg)) {
            String n = arg.getFileName().toString();
            if (!(n.endsWith(".tar.gz") || n.endsWith(".tgz"))) {
                throw JvtException.badInput("jvt replay: " + arg + " is neither a run folder, a bundle folder nor a .tar.gz/.tgz archive");
            }
            Path dir = dev.jvt.engine.WorkFolder.create("jvt-bundle-");
            try {
                unpack(arg, dir);
            } catch (RuntimeException e) {
                dev.jvt.engine.WorkFolder.delete(dir);
                throw e;
            }
            return locate(dir);
        }
        if (Files.isRegularFile(arg.resolve(Bundle.MANIFEST))) {
            return arg;
        }
        if (Files.isRegularFile(arg.resolve("replay").resolve(Bundle.MANIFEST))) {
            return arg.resolve("replay");
        }
        try (Stream<Path> s = Files.walk(arg, 3)) {
            return s.filter(p -> p.getFileName().toString().equals(Bundle.MANIFEST)).findFirst().map(Path::getParent)
                    .orElseThrow(() -> JvtException.badInput("jvt replay: no " + Bundle.MANIFEST + " in " + arg.toAbsolutePath()
                            + " (was it run with --record?)"));
        }
    }

    static void unpack(Path archive, Path dir) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(new BufferedInputStream(Files.newInputStream(archive))))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                if (name.startsWith("/") || Path.of(name).isAbsolute()) {
                    throw JvtException.badInput("jvt replay: " + archive + ": entry '" + name + "' has an absolute path: refused");
                }
                if (java.util.Arrays.asList(name.split("/")).contains("..")) {
                    throw JvtException.badInput("jvt replay: " + archive + ": entry '" + name + "' climbs out with '..': refused");
                }
                Path target = dir.resolve(name).normalize();
                if (!target.startsWith(dir)) {
                    throw JvtException.badInput("jvt replay: " + archive + ": entry '" + name + "' escapes the folder: refused");
                }
                if (e.isSymbolicLink() || e.isLink()) {
                    throw JvtException.badInput("jvt replay: " + archive + ": entry '" + name + "' is a " + (e.isLink() ? "hard" : "symbolic")
                            + " link (to '" + e.getLinkName() + "'): a bundle holds plain files only: refused");
                }
                if (!e.isDirectory() && !(e.isFile() && (e.getLinkFlag() == TarArchiveEntry.LF_NORMAL || e.getLinkFlag() == TarArchiveEntry.LF_OLDNORM))) {
                    throw JvtException.badInput("jvt replay: " + archive + ": entry '" + name + "' is neither a file nor a folder (type '"
                            + (char) e.getLinkFlag() + "'): refused");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target);
                }
            }
        } catch (IOException e) {
            throw JvtException.badInput("jvt replay: cannot unpack " + archive + ": " + e.getMessage());
        }
    }

    /** Replays every segment; returns the outcomes (a bad bundle throws a bad-input error naming the file). */
    public List<Outcome> replay(Path bundle) throws IOException {
        Bundle.read(bundle);  // a manifest that is not JSON, of another version, or lacks what a replay needs
        JsonNode manifest;
        try {
            manifest = Bundle.JSON.readTree(bundle.resolve(Bundle.MANIFEST).toFile());
        } catch (IOException e) {
            throw JvtException.badInput("jvt replay: cannot read " + bundle.resolve(Bundle.MANIFEST) + ": " + e.getMessage());
        }
        if (manifest.path("version").asInt() != Bundle.VERSION) {
            throw JvtException.badInput("jvt replay: " + bundle.resolve(Bundle.MANIFEST) + " has version " + manifest.path("version")
                    + ", this jvt reads version " + Bundle.VERSION);
        }
        // every file the manifest names is in the bundle (or the manifest is refused)
        Bundle.read(bundle);
        List<JsonNode> segments = new ArrayList<>();
        manifest.path("segments").forEach(segments::add);
        if (segments.isEmpty()) {
            throw JvtException.badInput("jvt replay: the bundle " + bundle + " holds no recording");
        }
        for (JsonNode s : segments) {
            Map<String, String> sha = new java.util.LinkedHashMap<>();
            s.path("sha256").fields().forEachRemaining(e -> sha.put(e.getKey(), e.getValue().asText()));
            verify(bundle, sha);
        }
        // two at a time: each replay is one busy TCG thread
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<java.util.concurrent.Future<Outcome>> futures = new ArrayList<>();
        for (JsonNode s : segments) {
            futures.add(pool.submit(() -> replaySegment(bundle, s)));
        }
        pool.shutdown();
        List<Outcome> outcomes = new ArrayList<>();
        for (java.util.concurrent.Future<Outcome> f : futures) {
            Outcome o;
            try {
                o = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.infrastructure("interrupted while replaying");
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException(e.getCause());
            }
            outcomes.add(o);
            out.printf(Locale.ROOT, "%s › %s (recording %d): %s%n", o.scenario(), o.machine(), o.index(),
                    o.reproduced() ? String.format(Locale.ROOT, "REPRODUCED (%d bytes of console, replayed in %.1f s)%s", o.bytes(), o.seconds(),
                            o.detail().isEmpty() ? "" : "; " + o.detail())
                            : "DIVERGED " + o.detail());
            out.flush();
        }
        return outcomes;
    }

    /** Every file the segment names exists and has the hash it had when recorded. */
    static void verify(Path bundle, Map<String, String> sha256) throws IOException {
        for (Map.Entry<String, String> e : sha256.entrySet()) {
            Path f = BundlePaths.inside(bundle, e.getKey(), bundle.resolve(Bundle.MANIFEST), "field 'sha256'");
            if (!Files.isRegularFile(f)) {
                throw JvtException.badInput("jvt replay: the bundle lacks " + e.getKey() + " (" + f + ")");
            }
            String actual = Bundle.sha256(f);
            if (!actual.equals(e.getValue())) {
                throw JvtException.badInput("jvt replay: " + e.getKey() + " was changed after recording (sha256 " + actual.substring(0, 12)
                        + "…, recorded " + e.getValue().substring(0, 12) + "…): the bundle is not what was recorded");
            }
        }
    }

    private Outcome replaySegment(Path bundle, JsonNode s) throws IOException {
        String scenario = s.path("scenario").asText();
        String machine = s.path("machine").asText();
        int index = s.path("index").asInt();
        Path manifestFile = bundle.resolve(Bundle.MANIFEST);
        String field = "segment " + scenario + " › " + machine + " (recording " + index + ") field ";
        byte[] expected = Files.readAllBytes(BundlePaths.inside(bundle, s.path("transcript").asText(), manifestFile, field + "'transcript'"));
        Path work = dev.jvt.engine.WorkFolder.create("jvt-replay-");
        List<String> argv = new ArrayList<>();
        for (JsonNode a : s.path("argv")) {
            argv.add(a.asText().replace("${BUNDLE}", bundle.toAbsolutePath().toString()).replace("${WORK}", work.toString())
                    .replace(",rr=record,", ",rr=replay,"));
        }
        String binary = argv.get(0);
        argv.set(0, Prerequisites.qemu(binary.replaceFirst("^qemu-system-", "")).toString());
        try {
            BundlePaths.checkArgv(bundle, work, argv, manifestFile, field + "'argv'");
        } catch (RuntimeException e) {
            dev.jvt.engine.WorkFolder.delete(work);
            throw e;
        }
        argv = dev.jvt.engine.qemu.Sandbox.reapply(argv);
        boolean serialPipe = argv.stream().anyMatch(a -> a.startsWith("pipe,id=jvt-serial,"));
        dev.jvt.engine.SerialPipe fifo = serialPipe ? dev.jvt.engine.SerialPipe.create(work, "serial") : null;
        ServerSocketChannel serialServer = serialPipe ? null : QemuSession.listen(work.resolve("serial.sock"));
        ServerSocketChannel cmdServer = argv.stream().anyMatch(a -> a.contains("cmd.sock")) ? QemuSession.listen(work.resolve("cmd.sock")) : null;
        // the command port under --record: a FIFO pair since bundles of this version, a socket before
        dev.jvt.engine.SerialPipe cmdFifo = argv.stream().anyMatch(a -> a.startsWith("pipe,id=jvt-cmd,")) ? dev.jvt.engine.SerialPipe.create(work, "cmd") : null;
        Path log = work.resolve(dev.jvt.engine.MachineFolder.QEMU_LOG);
        long t0 = System.nanoTime();
        double recorded = s.path("seconds").asDouble(60);
        // replay runs slower than the recording (~2.5x, QEMU-FACTS.md); a quiet guest prints nothing for
        // long stretches, so the only limits are QEMU's own replay errors and this deadline
        long deadline = t0 + TimeUnit.SECONDS.toNanos((long) Math.max(180, recorded * 8 + 60));
        Process p = ProcessLauncher.start(new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        Progress progress = new Progress(argv.stream().anyMatch(a -> a.startsWith("unix:") && a.contains("qmp.sock")) ? work.resolve("qmp.sock") : null,
                s.path("icount").asLong(-1));
        try {
            java.nio.channels.ReadableByteChannel serial;
            if (fifo != null) {
                serial = fifo.output();
                Thread.sleep(100);
            } else {
                serial = accept(serialServer, p, log);
            }
            SocketChannel cmd = cmdServer == null ? null : accept(cmdServer, p, log);
            if (cmd != null) {
                QemuSession.drain(cmd, "jvt-replay-drain");
            }
            if (cmdFifo != null) {
                QemuSession.drain(cmdFifo.output(), "jvt-replay-drain");
            }
            java.util.concurrent.BlockingQueue<byte[]> chunks = new java.util.concurrent.LinkedBlockingQueue<>();
            QemuSession.readSerial("replay-" + machine, serial, chunks::add);
            long complete = 0;
            while (true) {
                byte[] chunk = chunks.poll(20, TimeUnit.MILLISECONDS);
                int n = chunk == null ? 0 : chunk.length;
                if (n > 0) {
                    got.write(chunk, 0, n);
                    int d = firstDifference(expected, got.toByteArray());
                    if (d >= 0 && d < got.size()) {
                        return diverged(scenario, machine, index, expected, got.toByteArray(), d, t0, "");
                    }
                    continue;
                }
                if (!p.isAlive()) {
                    // QEMU replayed the recorded quit (or died): drain what is left
                    p.waitFor(2, TimeUnit.SECONDS);
                    Thread.sleep(200);
                    for (byte[] c; (c = chunks.poll()) != null; ) {
                        got.write(c, 0, c.length);
                    }
                    String said = Files.exists(log) ? Files.readString(log).strip() : "";
                    if (firstDifference(expected, got.toByteArray()) >= 0 && !said.isEmpty()) {
                        return diverged(scenario, machine, index, expected, got.toByteArray(), firstDifference(expected, got.toByteArray()), t0,
                                "; QEMU exited: " + said.lines().findFirst().orElse(""));
                    }
                    if (firstDifference(expected, got.toByteArray()) < 0 && p.exitValue() != 0) {
                        return incomplete(scenario, machine, index, got.size(), t0, "QEMU exited with code " + p.exitValue()
                                + (said.isEmpty() ? "" : ": " + said.lines().findFirst().orElse("")));
                    }
                    break;
                }
                String qemuSaid = Files.exists(log) ? Files.readString(log) : "";
                if (qemuSaid.toLowerCase(Locale.ROOT).contains("replay")) {
                    Thread.sleep(300);
                    for (byte[] c; (c = chunks.poll()) != null; ) {
                        got.write(c, 0, c.length);
                    }
                    if (firstDifference(expected, got.toByteArray()) < 0) {
                        // the console came back whole and identical, yet the run after its last byte did not
                        // replay: not a reproduction
                        return incomplete(scenario, machine, index, got.size(), t0,
                                "QEMU stopped replaying: " + qemuSaid.strip().lines().findFirst().orElse(""));
                    }
                    for (byte[] c; (c = chunks.poll()) != null; ) {
                        got.write(c, 0, c.length);
                    }
                    return diverged(scenario, machine, index, expected, got.toByteArray(), firstDifference(expected, got.toByteArray()), t0,
                            "; QEMU: " + qemuSaid.strip().lines().findFirst().orElse(""));
                }
                byte[] sofar = got.toByteArray();
                int d = firstDifference(expected, sofar);
                String stall = progress.stalled();
                if (stall != null) {
                    // QEMU waits for an event its log places where the guest never gets (seen with
                    // virtio-net's tx=bh; the same log stalls at the same instruction every time)
                    if (d < 0) {
                        return incomplete(scenario, machine, index, sofar.length, t0, stall);
                    }
                    return diverged(scenario, machine, index, expected, sofar, d, t0,
                            "; " + stall + " (QEMU 7.2 cannot replay this recording past that point)");
                }
                if (d < 0) {
                    // the whole transcript is back, identical; give QEMU a while to reach the recorded quit
                    if (complete == 0) {
                        complete = System.nanoTime();
                    }
                    if (System.nanoTime() - complete > TimeUnit.SECONDS.toNanos((long) Math.max(30, recorded))) {
                        return incomplete(scenario, machine, index, got.size(), t0, "QEMU had not reached the end of its log "
                                + (System.nanoTime() - complete) / 1_000_000_000L + " s after it");
                    }
                } else {
                    complete = 0;
                }
                if (System.nanoTime() > deadline) {
                    return diverged(scenario, machine, index, expected, sofar, d, t0,
                            "; QEMU did not reach the end of the recording within " + (deadline - t0) / 1_000_000_000L + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.infrastructure("interrupted while replaying " + machine);
        } finally {
            progress.close();
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (serialServer != null) {
                serialServer.close();
            }
            if (fifo != null) {
                fifo.close();
            }
            if (cmdServer != null) {
                cmdServer.close();
            }
            if (cmdFifo != null) {
                cmdFifo.close();
            }
            dev.jvt.engine.WorkFolder.delete(work);
        }
        byte[] actual = got.toByteArray();
        int d = firstDifference(expected, actual);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (d < 0) {
            return new Outcome(scenario, machine, index, true, actual.length, secs, "");
        }
        return diverged(scenario, machine, index, expected, actual, d, t0, "");
    }

    /**
     * Watches a replaying QEMU's position through its monitor ({@code query-replay}): a replay whose
     * instruction count stays put short of the recorded end has stalled for good (QEMU waits for an
     * event that its log places where the guest never gets), so there is no point in waiting for
     * the deadline.
     */
    static final class Progress {
        static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("jvt.replay.stallSeconds", 30));
        private final Path socket;
        private final long end;
        private dev.jvt.engine.qemu.Qmp qmp;
        private long last = -1;
        private long since = System.nanoTime();
        private long nextPoll;

        Progress(Path socket, long end) {
            this.socket = socket;
            this.end = end;
        }

        /** A sentence saying where the replay stalled, or null while it moves (or cannot be watched). */
        String stalled() {
            long now = System.nanoTime();
            if (socket == null || end <= 0 || now < nextPoll) {
                return null;
            }
            nextPoll = now + TimeUnit.SECONDS.toNanos(2);
            try {
                if (qmp == null || qmp.isClosed()) {
                    if (!Files.exists(socket)) {
                        return null;
                    }
                    qmp = new dev.jvt.engine.qemu.Qmp("replay", SocketChannel.open(UnixDomainSocketAddress.of(socket)), java.time.Duration.ofSeconds(5));
                }
                long icount = qmp.execute("query-replay", Map.of(), java.time.Duration.ofSeconds(5)).path("icount").asLong(-1);
                if (icount != last) {
                    last = icount;
                    since = now;
                    return null;
                }
                if (icount >= 0 && icount < end && now - since > STALL_NANOS) {
                    return String.format(Locale.ROOT, "QEMU's replay stalled at instruction %d of %d (%.2f%%) for %d s",
                            icount, end, 100.0 * icount / end, (now - since) / 1_000_000_000L);
                }
            } catch (IOException | RuntimeException e) {
                // the monitor is not there (yet, or any more): the deadline still applies
                LOG.debug("replay progress: no answer from QEMU's monitor", e);
            }
            return null;
        }

        void close() {
            if (qmp != null) {
                qmp.close();
            }
        }
    }

    /** The whole console came back identical, but QEMU did not replay the run to its recorded end. */
    static Outcome incomplete(String scenario, String machine, int index, long bytes, long t0, String why) {
        return new Outcome(scenario, machine, index, false, bytes, (System.nanoTime() - t0) / 1e9,
                "after the whole console (" + bytes + " bytes, identical): " + why);
    }

    /** First offset where the two differ (or where one ends), -1 when equal. */
    public static int firstDifference(byte[] expected, byte[] actual) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                return i;
            }
        }
        return expected.length == actual.length ? -1 : n;
    }

    static Outcome diverged(String scenario, String machine, int index, byte[] expected, byte[] actual, int at, long t0, String why) {
        int line = 1;
        for (int i = 0; i < Math.min(at, expected.length); i++) {
            if (expected[i] == '\n') {
                line++;
            }
        }
        String detail = String.format(Locale.ROOT, "at byte %d (line %d) of %d recorded: recorded %s, replayed %s%s", at, line, expected.length,
                around(expected, at), around(actual, at), why);
        return new Outcome(scenario, machine, index, false, actual.length, (System.nanoTime() - t0) / 1e9, detail);
    }

    public static String around(byte[] b, int at) {
        if (at >= b.length) {
            return "<end>";
        }
        int from = Math.max(0, at - 20);
        int to = Math.min(b.length, at + 40);
        String s = new String(b, from, to - from, StandardCharsets.UTF_8);
        return "\"" + (from > 0 ? "…" : "") + s.replace("\r", "\\r").replace("\n", "\\n").replace("\u001b", "\\e") + (to < b.length ? "…" : "") + "\"";
    }

    private static SocketChannel accept(ServerSocketChannel server, Process p, Path log) {
        return QemuSession.accept(server, "jvt replay", p::isAlive, () -> {
            String said;
            try {
                said = Files.exists(log) ? Files.readString(log).strip() : "";
            } catch (IOException e) {
                said = "(no QEMU log: " + e.getMessage() + ")";
            }
            return JvtException.badInput("jvt replay: QEMU refused the recording: " + said);
        }, "serial console", java.time.Duration.ofSeconds(60));
    }
}
