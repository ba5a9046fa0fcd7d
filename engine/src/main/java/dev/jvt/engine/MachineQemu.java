package dev.jvt.engine;

import dev.jvt.engine.guest.BuiltinGuest;
import dev.jvt.engine.guest.GuestKit;
import dev.jvt.engine.host.KvmProbe;
import dev.jvt.engine.events.Action;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.image.ImageCache;
import dev.jvt.engine.image.ImageRecipe;
import dev.jvt.engine.net.MachineNetworking;
import dev.jvt.engine.qemu.QemuProcess;
import dev.jvt.engine.qemu.QemuSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The QEMU side of a machine: what its command line is (accelerator, boot files, disks, NICs,
 * and the rewiring that {@code --record} and {@code --deterministic} need), and starting a
 * {@link QemuSession} with it. Disks and host ports are made once and kept across restarts.
 */
final class MachineQemu {
    private static final org.slf4j.Logger IMAGE_LOG = org.slf4j.LoggerFactory.getLogger(ImageCache.class);
    private static final Pattern NETDEV_ID = Pattern.compile("(?:^|,)id=([^,]+)");

    private final MachineConfig config;
    private final MachineEnvironment env;
    private final MachineFolder folder;
    private final MachineNetworking networking;
    private final AtomicInteger generation = new AtomicInteger();
    private volatile String accel;
    private volatile Storage storage;
    private volatile Recorder recorder;
    private volatile ImageCache.BuiltImage builtImage;

    MachineQemu(MachineConfig config, MachineEnvironment env, MachineFolder folder) {
        this.config = config;
        this.env = env;
        this.folder = folder;
        this.networking = new MachineNetworking(config, env.events().scenario().name());
    }

    MachineNetworking networking() {
        return networking;
    }

    /** The accelerator chosen at the last start: "kvm" or "tcg". */
    String accelerator() {
        return accel;
    }

    QemuCommandLine.Mode mode() {
        return env.options() == null ? QemuCommandLine.Mode.NORMAL : env.options().mode();
    }

    boolean recording() {
        return mode() == QemuCommandLine.Mode.RECORD;
    }

    /** The command line this machine would start with, its sockets in {@code sockets}. */
    List<String> plannedCommandLine(Path sockets) {
        config.validate();
        return QemuCommandLine.build(config, resolve(sockets, List.of()));
    }

    /**
     * Starts a QEMU process with {@code extra} arguments (given its socket folder), the serial
     * console going to {@code serial}; {@code consoleOffset} says how much console the machine has
     * read (its value at the start is where a recording's transcript starts).
     */
    QemuSession start(Function<Path, List<String>> extra, Consumer<byte[]> serial, java.util.function.IntSupplier consoleOffset) {
        int gen = generation.incrementAndGet();
        java.util.function.BiFunction<List<String>, Path, QemuProcess> launcher = QemuProcess::start;
        Path sockets;
        QemuCommandLine.Resolved r;
        List<String> cmd;
        try {
            Files.createDirectories(folder.dir());
            sockets = Files.createDirectories(work().resolve("s" + gen));
            List<String> more = extra.apply(sockets);
            if (mode() == QemuCommandLine.Mode.NORMAL && more.stream().noneMatch(a -> a.startsWith("memory-backend="))) {
                // every QEMU of a machine names its memory alike, so that a snapshot or migration of
                // one (file-backed for the boot cache, or not) loads into another
                more = new ArrayList<>(more);
                more.addAll(BootCache.anonymousRamArgs(config.memoryMiB()));
            }
            r = resolve(sockets, more);
            cmd = QemuCommandLine.build(config, r);
            dev.jvt.engine.remote.RemoteHost host = remoteHost();
            if (host != null) {
                dev.jvt.engine.remote.RemoteHost.Prepared prepared = host.prepare(config.name(), cmd, work(), sockets, config.arch(), this::remoteNote);
                cmd = prepared.command();
                remoteNote("QEMU on " + host + " in " + host.runDir() + "/" + config.name() + ", accel " + accel);
                launcher = (c, log) -> host.start(prepared, log);
            }
            Files.writeString(folder.file(MachineFolder.COMMAND_LINE), Shell.join(cmd) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw JvtException.infrastructure(config.name() + ": cannot start: " + e.getMessage(), e);
        }
        boolean pipes = mode() != QemuCommandLine.Mode.NORMAL;
        QemuSession.Port port = !config.hasAgent() ? QemuSession.Port.NONE : pipes ? QemuSession.Port.PIPE : QemuSession.Port.SOCKET;
        QemuSession s = QemuSession.start(config.name(), cmd, sockets, folder.file(MachineFolder.QEMU_LOG), folder.file(MachineFolder.COMMAND_LINE),
                new QemuSession.Wiring(recording(), pipes, port, config.channel().equals("qga")), serial, p -> env.events().machineStarted(config.name(), folder.dir()), launcher);
        if (recording()) {
            recorder().started(s.process(), s.qmp(), cmd, r, consoleOffset, gen);
        }
        return s;
    }

    /**
     * The boot cache key of this machine's boot, or null when its boot is not reused: reuse is
     * off, the run records or is deterministic, the channel is not the agent (a console login or
     * an SSH session belongs to the run), or a disk is written in place (the stored boot would not
     * match it next time).
     */
    String bootCacheKey() {
        RunOptions o = env.options();
        if (remoteAddress() != null) {
            // the boot cache's files live on this host; a remote QEMU boots every time
            return null;
        }
        if (o == null || !o.reuse() || mode() != QemuCommandLine.Mode.NORMAL || !(config.channel().equals("agent") || config.channel().equals("none"))) {
            return null;
        }
        if (config.disks().stream().anyMatch(d -> d.path() != null && !d.overlay())) {
            return null;
        }
        try {
            Path sockets = work().resolve("s0");
            List<String> argv = plannedCommandLine(sockets);
            List<String> checks = new ArrayList<>();
            config.expectConsole().forEach(p -> checks.add("expectConsole " + p.pattern()));
            config.failOn().forEach(p -> checks.add("failOn " + p.pattern()));
            checks.add("bootTimeout " + config.bootTimeout());
            checks.add("channel " + config.channel());
            checks.add("image " + (config.image() == null ? "-" : config.image().name()));
            return BootCache.key(argv, List.of(env.sockets(), folder.dir()), checks);
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(MachineQemu.class).warn("{}: no boot reuse: {}", config.name(), e.getMessage());
            return null;
        }
    }

    /** The disk files of the run's folder that a boot writes (overlays, scratch disks): a stored boot keeps them. */
    List<Path> bootWrittenDisks() {
        try (java.util.stream.Stream<Path> s = Files.list(work())) {
            return s.filter(p -> p.getFileName().toString().matches("disk\\d+(-overlay)?\\.qcow2")).sorted().toList();
        } catch (IOException e) {
            throw JvtException.infrastructure(config.name() + ": cannot list its disks: " + e.getMessage(), e);
        }
    }

    /** Puts the disks a stored boot wrote in place of the fresh ones (before QEMU starts). */
    void placeBootDisks(Path from, java.util.Collection<String> names) throws IOException {
        storage();
        for (String n : names) {
            Files.copy(from.resolve(n), work().resolve(n), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** After a restore that failed: the placed disks go, and the next start prepares the disks afresh. */
    synchronized void resetBootDisks(java.util.Collection<String> names) {
        try {
            for (String n : names) {
                Files.deleteIfExists(work().resolve(n));
            }
        } catch (IOException e) {
            throw JvtException.infrastructure(config.name() + ": cannot remove the disks of a failed restore: " + e.getMessage(), e);
        }
        storage = null;
    }

    /** Where this machine's QEMU runs: its own {@code host}, else the run's {@code --host}; null: here. */
    String remoteAddress() {
        return config.host() != null ? config.host() : env.options() == null ? null : env.options().host();
    }

    /** The connection to this machine's remote host, or null when its QEMU runs here. */
    dev.jvt.engine.remote.RemoteHost remoteHost() {
        String address = remoteAddress();
        if (address == null) {
            return null;
        }
        if (env.remotes() == null) {
            throw JvtException.badInput(config.name() + ": host '" + address + "' needs a run (jvt run, the REPL or Spock) to connect from");
        }
        return env.remotes().get(config.name(), address);
    }

    /** A line of {@code remote.log} in the machine's folder: what went to the remote host, what was there already. */
    private void remoteNote(String line) {
        try {
            Files.createDirectories(folder.dir());
            Files.writeString(folder.dir().resolve("remote.log"), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(MachineQemu.class).debug("{}: remote.log", config.name(), e);
        }
    }

    /** This machine's private work folder (sockets, overlays). */
    Path workFolder() {
        try {
            return work();
        } catch (IOException e) {
            throw JvtException.infrastructure(config.name() + ": cannot create its work folder: " + e.getMessage(), e);
        }
    }

    /** Notes a point of the run in the recording (under {@code --record}); see {@link Recorder#mark}. */
    void mark(String kind, int step, String test, String title) {
        Recorder r = recorder;
        if (r != null) {
            r.mark(kind, step, test, title);
        }
    }

    /**
     * Ends the recording of {@code p} (under {@code --record}): asks QEMU to quit through the
     * monitor when {@code session} is given, waits up to {@code wait}, writes the manifest entry.
     */
    void finishRecording(QemuProcess p, QemuSession session, Supplier<byte[]> console, Duration wait) {
        if (recorder != null && p != null) {
            recorder.finish(p, session == null ? null : session.qmp(), console, wait);
        }
    }

    private QemuCommandLine.Resolved resolve(Path sockets, List<String> extra) {
        Path qemu = Prerequisites.qemu(config.arch());
        String a = config.accel();
        if (mode() != QemuCommandLine.Mode.NORMAL) {
            if (a.equals("kvm")) {
                throw JvtException.badInput(config.name() + ": accel 'kvm' cannot be used with --deterministic or --record (they need TCG)");
            }
            a = "tcg";
        } else if (a.equals("auto")) {
            Path probeKernel = config.builtinGuest() ? Prerequisites.guestKit().kernel() : config.image() != null ? image().kernel() : config.kernel();
            dev.jvt.engine.remote.RemoteHost host = remoteHost();
            if (host != null) {
                String rq = host.qemu(config.arch());
                a = probeKernel != null && host.kvmWorks(rq, host.upload(probeKernel, this::remoteNote)) ? "kvm" : "tcg";
                if (a.equals("tcg")) {
                    remoteNote("KVM on " + host + ": no (" + host.kvmDetail() + "): TCG");
                }
            } else {
                a = KvmProbe.probe(qemu, probeKernel).works() ? "kvm" : "tcg";
            }
        }
        accel = a;
        Path kernel = config.kernel();
        Path initrd = config.initrd();
        String append = config.append();
        MachineNetworking.Plan net = networking.plan(env.networks(), config.hasAgent());
        String jvtParams = "jvt.hostname=" + config.name() + (recording() ? " jvt.cmd=ttyS1" : "") + " "
                + (net.kernelParams().isEmpty() ? "" : net.kernelParams() + " ");
        if (config.builtinGuest()) {
            GuestKit kit = Prerequisites.guestKit();
            kernel = kit.kernel();
            initrd = BuiltinGuest.image(kit, config.guest());
            append = "console=ttyS0 panic=-1 " + jvtParams + append;
        } else if (config.image() != null) {
            ImageCache.BuiltImage img = image();
            kernel = img.kernel();
            initrd = img.initrd();
            append = "root=/dev/vda rw console=ttyS0 panic=-1 " + jvtParams + append;
        }
        List<String> args = new ArrayList<>(storage().args());
        args.addAll(recording() ? recordedNics(net.qemuArgs()) : net.qemuArgs());
        args.addAll(extra);
        Path log = null;
        if (recording()) {
            if (config.cpus() != 1) {
                throw JvtException.badInput(config.name() + ": --record needs cpus 1 (QEMU record/replay is single-CPU)");
            }
            try {
                log = recorder().bundle().log(recorder().key(), generation.get());
            } catch (IOException e) {
                throw JvtException.infrastructure(config.name() + ": cannot create the replay log: " + e.getMessage(), e);
            }
        }
        return new QemuCommandLine.Resolved(qemu, a, kernel, initrd, append, sockets, args, mode(), log);
    }

    /**
     * The NIC arguments for a recording. QEMU 7.2's virtio-net (tx=bh) reschedules its transmit
     * bottom half with a plain qemu_bh_schedule when the guest queued more frames meanwhile: that
     * runs at a moment of the host's choosing, which the log does not hold, and the replay then
     * takes the transmit-done interrupt at another instruction and stalls (README, record/replay).
     * The timer variant re-arms on the virtual clock, which replays exactly. Network input is
     * recorded only through a replay filter on each netdev.
     */
    private static List<String> recordedNics(List<String> n) {
        List<String> args = new ArrayList<>();
        List<String> filters = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            String arg = n.get(i);
            args.add(arg.startsWith("virtio-net-pci,") ? "virtio-net-pci,tx=timer," + arg.substring("virtio-net-pci,".length()) : arg);
            Matcher m = i + 1 < n.size() && arg.equals("-netdev") ? NETDEV_ID.matcher(n.get(i + 1)) : null;
            if (m != null && m.find()) {
                filters.addAll(List.of("-object", "filter-replay,id=jvt-rr-" + m.group(1) + ",netdev=" + m.group(1)));
            }
        }
        args.addAll(filters);
        return args;
    }

    /** The machine's built image (built now, once, if the cache lacks it), its progress logged and shown as a step. */
    ImageCache.BuiltImage image() {
        if (builtImage == null) {
            synchronized (this) {
                if (builtImage == null) {
                    ImageRecipe recipe = config.image();
                    builtImage = env.events().step(Action.of(config.name(), "image").with("image", recipe.name()).titled("image " + recipe.name()),
                            () -> ImageCache.ensure(recipe, line -> IMAGE_LOG.info("image {}: {}", recipe.name(), line)));
                }
            }
        }
        return builtImage;
    }

    private Recorder recorder() {
        if (recorder == null) {
            synchronized (this) {
                if (recorder == null) {
                    Path bundle = env.options().bundle();
                    if (bundle == null) {
                        throw JvtException.badInput("--record needs a bundle folder");
                    }
                    String key = bundle.getParent().toAbsolutePath().relativize(folder.dir().toAbsolutePath()).toString();
                    recorder = new Recorder(dev.jvt.engine.replay.Bundle.at(bundle), key, env.events().scenario().name(), config.name());
                }
            }
        }
        return recorder;
    }

    /** The machine's disks, created once and kept across restarts (like real disks). */
    private Storage storage() {
        if (storage == null) {
            synchronized (this) {
                if (storage == null) {
                    try {
                        storage = Storage.prepare(config, work(), recording(), config.image() == null ? null : image().disk());
                    } catch (IOException e) {
                        throw JvtException.infrastructure(config.name() + ": cannot prepare disks: " + e.getMessage(), e);
                    }
                }
            }
        }
        return storage;
    }

    /** A private folder for this machine's sockets, vmstate and disk overlays (removed with the scenario's work folder). */
    private Path work() throws IOException {
        return Files.createDirectories(env.sockets().resolve(config.name()));
    }
}
