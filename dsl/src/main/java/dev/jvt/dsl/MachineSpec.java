package dev.jvt.dsl;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.net.Macs;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The keywords of a {@code machine} block (SPEC §1). Each validates its argument and hands it to
 * the {@link MachineConfig}. Relative paths are resolved against the scenario file's folder.
 */
public final class MachineSpec {
    /** A scratch disk's size, as qemu-img takes it. */
    private static final Pattern SIZE = Pattern.compile("[1-9]\\d{0,6}[MG]", Pattern.CASE_INSENSITIVE);
    private static final int MAX_BOOT_TIMEOUT_SECONDS = 86_400;
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

    private final MachineConfig config;
    private final ScenarioDefinition scenario;

    MachineSpec(MachineConfig config, ScenarioDefinition scenario) {
        this.config = config;
        this.scenario = scenario;
    }

    /**
     * Runs a machine block outside a scenario file (the Spock entry point): the same keywords and
     * checks as {@code machine(name) { ... }} in a scenario; relative paths are resolved against
     * the scenario's file when it has one, else the current directory.
     */
    public static MachineConfig declare(ScenarioDefinition scenario, String name,
                                        @DelegatesTo(value = MachineSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        return declare(scenario, name, body(body));
    }

    /** A machine block as a Java body: the closure with the spec as its delegate, delegate first; null for null. */
    public static java.util.function.Consumer<MachineSpec> body(Closure<?> body) {
        if (body == null) {
            return null;
        }
        return spec -> {
            Closure<?> c = body.rehydrate(spec, body.getOwner(), body.getThisObject());
            c.setResolveStrategy(Closure.DELEGATE_FIRST);
            c.call();
        };
    }

    /** {@link #declare(ScenarioDefinition, String, Closure)} for Java callers: {@code body} calls the keywords as methods. */
    public static MachineConfig declare(ScenarioDefinition scenario, String name, java.util.function.Consumer<MachineSpec> body) {
        if (name == null || !MachineConfig.NAME.matcher(name).matches()) {
            throw new DslException("machine name '" + name + "' must start with a letter and hold only letters, digits, '_' and '-'");
        }
        MachineConfig config = new MachineConfig(name);
        MachineSpec spec = new MachineSpec(config, scenario);
        if (body != null) {
            body.accept(spec);
        }
        spec.finish();
        return config;
    }

    public void memory(String size) {
        config.memory(size);
    }

    public void memory(Number mib) {
        throw new DslException("memory " + mib + ": give a size with a unit, e.g. memory '" + mib + "M'");
    }

    public void cpus(Number n) {
        if (n == null || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < Integer.MIN_VALUE || n.doubleValue() > Integer.MAX_VALUE) {
            throw new DslException("cpus " + n + " must be a whole number between 1 and 64");
        }
        wrap(() -> config.cpus(n.intValue()));
    }

    public void arch(String arch) {
        config.arch(arch);
    }

    public void machineType(String type) {
        config.machineType(type);
    }

    public void accel(String accel) {
        config.accel(accel);
    }

    public void bios(Object path) {
        config.bios(file(path, "bios", "file not found"));
    }

    public void kernel(Object path) {
        config.kernel(file(path, "kernel", "file not found"));
    }

    public void initrd(Object path) {
        config.initrd(file(path, "initrd", "file not found"));
    }

    public void append(String cmdline) {
        config.append(cmdline);
    }

    /** disk 'image.qcow2', format: 'qcow2', overlay: true — or a scratch disk: disk size: '64M'. */
    public void disk(Map<String, ?> options, Object path) {
        checkOptions("disk", options, Set.of("format", "overlay", "size"));
        Object overlay = options.get("overlay");
        Object format = options.get("format");
        Object size = options.get("size");
        if (path == null && size == null) {
            throw new DslException("disk needs an image path or a size: disk 'image.qcow2' or disk size: '64M'");
        }
        Path p = path == null ? null : file(path, "disk", "disk image not found");
        if (overlay != null && !(overlay instanceof Boolean)) {
            throw new DslException("disk overlay: '" + overlay + "' is not true or false");
        }
        if (size != null && !SIZE.matcher(size.toString()).matches()) {
            throw new DslException("disk size '" + size + "' is not a size like '64M' or '2G'");
        }
        String f = format == null ? (p != null && p.toString().endsWith(".qcow2") ? "qcow2" : (p == null ? "qcow2" : "raw")) : format.toString();
        config.disk(new MachineConfig.Disk(p, f, overlay == null || Boolean.TRUE.equals(overlay), size == null ? null : size.toString()));
    }

    public void disk(Object path) {
        disk(Map.of(), path);
    }

    public void disk(Map<String, ?> options) {
        disk(options, null);
    }

    /** Boots an image jvt builds: {@code image debian('bookworm') { packages 'nginx' }}, or a variable holding one. */
    public void image(Object image) {
        Object recipe = image instanceof ImageHandle h ? h.recipe() : image;
        if (!(recipe instanceof dev.jvt.engine.image.ImageRecipe r)) {
            throw new DslException("image takes what debian('…') { … } returns, not " + (recipe == null ? "null" : "'" + recipe + "'"));
        }
        try {
            config.image(r);
        } catch (RuntimeException e) {
            throw new DslException(e.getMessage());
        }
    }

    /** How commands reach the guest: channel 'agent' | 'qga' | 'ssh' | 'console' (with user:, password: for console and ssh). */
    public void channel(Map<String, ?> options, String kind) {
        checkOptions("channel", options, Set.of("user", "password"));
        try {
            config.channel(kind);
        } catch (RuntimeException e) {
            throw new DslException(e.getMessage());
        }
        if (!options.isEmpty()) {
            login(options);
        }
    }

    public void channel(String kind) {
        channel(Map.of(), kind);
    }

    /** Who the console and SSH channels log in as: login user: 'root', password: 'root'. */
    public void login(Map<String, ?> options) {
        checkOptions("login", options, Set.of("user", "password"));
        Object user = options.get("user");
        Object password = options.get("password");
        config.login(user == null ? "root" : user.toString(), password == null ? null : password.toString());
    }

    public void cdrom(Object path) {
        config.cdrom(file(path, "cdrom", "CD-ROM image not found"));
    }

    public void boot(String what) {
        config.boot(what);
    }

    /** nic 'lan', ip: '10.0.1.1/24', model: 'e1000', mac: '52:54:00:12:34:56'. */
    public void nic(Map<String, ?> options, String network) {
        checkOptions("nic", options, Set.of("ip", "model", "mac"));
        Object ip = options.get("ip");
        Object model = options.get("model");
        Object mac = options.get("mac");
        String m = model == null ? "virtio" : model.toString();
        if (!List.of("virtio", "virtio-net-pci", "e1000").contains(m)) {
            throw new DslException("nic model '" + m + "' is not one of virtio, e1000");
        }
        if (ip != null && !ip.toString().matches("\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+|dhcp|none")) {
            throw new DslException("nic ip '" + ip + "' is not an address with prefix like '10.0.1.1/24'");
        }
        if (mac != null && !MAC.matcher(mac.toString()).matches()) {
            throw new DslException("nic mac '" + mac + "' is not a MAC address like '52:54:00:12:34:56'");
        }
        if (mac != null && (Integer.parseInt(mac.toString().substring(0, 2), 16) & 1) != 0) {
            throw new DslException("nic mac '" + mac + "' is a multicast address; a NIC needs a unicast one (first byte even), e.g. '52:54:00:12:34:56'");
        }
        int index = config.nics().size();
        String macAddress = mac != null ? mac.toString().toLowerCase(java.util.Locale.ROOT) : Macs.derive(scenario.name() + "/" + config.name() + "/" + index);
        MachineConfig.Nic nic = new MachineConfig.Nic(network, ip == null ? null : ip.toString(), m.equals("virtio-net-pci") ? "virtio" : m, macAddress);
        config.nic(nic);
        scenario.nicLine(nic, Locations.callerLine(scenario.file()));
    }

    public void nic(String network) {
        nic(Map.of(), network);
    }

    /** QEMU user-mode NAT (10.0.2.0/24, the guest gets 10.0.2.15 by DHCP). */
    public void nat() {
        config.nat(true);
    }

    /** forward host: 2222, guest: 22 (host: 0 picks a free port) — implies nat(). */
    public void forward(Map<String, ?> options) {
        checkOptions("forward", options, Set.of("host", "guest", "protocol"));
        Object host = options.get("host");
        Object guest = options.get("guest");
        if (!(host instanceof Number) || !(guest instanceof Number)) {
            throw new DslException("forward needs numbers: forward host: 2222, guest: 22");
        }
        Object proto = options.get("protocol");
        String p = proto == null ? "tcp" : proto.toString();
        if (!p.equals("tcp") && !p.equals("udp")) {
            throw new DslException("forward protocol '" + p + "' is not tcp or udp");
        }
        long h = ((Number) host).longValue();
        long g = ((Number) guest).longValue();
        if (h < 0 || h > 65535 || ((Number) host).doubleValue() != h) {
            throw new DslException("forward host port " + host + " is not a port number (0 picks a free one, else 1 to 65535)");
        }
        if (g < 1 || g > 65535 || ((Number) guest).doubleValue() != g) {
            throw new DslException("forward guest port " + guest + " is not a port number (1 to 65535)");
        }
        config.forward(new MachineConfig.Forward((int) h, (int) g, p));
    }

    public void balloon() {
        config.balloon(true);
    }

    public void balloon(boolean on) {
        config.balloon(on);
    }

    /** Runs this machine's QEMU on another host over SSH: host 'ssh://root@kvmhost' (README, machines on a remote KVM host). */
    public void host(String address) {
        try {
            config.host(address);
        } catch (RuntimeException e) {
            throw new DslException(e.getMessage());
        }
    }

    /** How long the boot may take, in seconds (default 180): bootTimeout 600 for a slow image. */
    public void bootTimeout(Number seconds) {
        if (seconds == null) {
            throw new DslException("bootTimeout needs a number of seconds: bootTimeout 600");
        }
        if (!(seconds.doubleValue() <= MAX_BOOT_TIMEOUT_SECONDS)) {
            throw new DslException("bootTimeout " + seconds + " s is more than a day (" + MAX_BOOT_TIMEOUT_SECONDS + " s)");
        }
        try {
            config.bootTimeout(MachineExtensions.seconds(seconds));
        } catch (RuntimeException e) {
            throw new DslException(e.getMessage());
        }
    }

    /** A regex (~/.../) or literal text that must appear on the console during boot, in order. */
    public void expectConsole(Object pattern) {
        config.expectConsole(pattern(pattern, "expectConsole"));
    }

    /** A regex or text that fails the scenario the moment it appears on the console. */
    public void failOn(Object pattern) {
        config.failOn(pattern(pattern, "failOn"));
    }

    /** Extra QEMU arguments, appended last (escape hatch). */
    public void qemuArgs(String... args) {
        config.qemuArgs(Arrays.asList(args));
    }

    public void qemuArgs(List<?> args) {
        List<String> l = new ArrayList<>();
        for (Object o : args) {
            l.add(String.valueOf(o));
        }
        config.qemuArgs(l);
    }

    /** Additions to the built-in guest: file(path, text|bytes, mode), module(name), init(script). */
    public void guest(@DelegatesTo(value = GuestSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        Closure<?> c = body.rehydrate(new GuestSpec(config.guest()), body.getOwner(), body.getThisObject());
        c.setResolveStrategy(Closure.DELEGATE_FIRST);
        c.call();
    }

    /** The file {@code keyword} names, which must exist now; {@code notFound} says what is missing ("disk image not found"). */
    private Path file(Object p, String keyword, String notFound) {
        Path path = path(p, keyword);
        try {
            MachineConfig.checkFile(config.name(), notFound, path);
        } catch (JvtException e) {
            throw new DslException(e.getMessage());
        }
        return path;
    }

    private Path path(Object p, String keyword) {
        if (!(p instanceof CharSequence || p instanceof Path || p instanceof java.io.File)) {
            throw new DslException(keyword + " takes a path ('file' or a Path), not " + (p == null ? "null" : "a " + ScenarioLoader.typeOf(p)));
        }
        Path path;
        try {
            path = p instanceof Path pp ? pp : p instanceof java.io.File f ? f.toPath() : Path.of(p.toString());
        } catch (java.nio.file.InvalidPathException e) {
            throw new DslException(keyword + " '" + p + "' is not a path: " + e.getReason());
        }
        if (!path.isAbsolute() && scenario.file() != null && scenario.file().getParent() != null) {
            path = scenario.file().toAbsolutePath().getParent().resolve(path).normalize();
        }
        return path;
    }

    private static void wrap(Runnable r) {
        try {
            r.run();
        } catch (DslException e) {
            throw e;
        } catch (JvtException e) {
            throw new DslException(e.getMessage());
        }
    }

    private static Pattern pattern(Object p, String keyword) {
        if (p instanceof Pattern pat) {
            return pat;
        }
        if (p instanceof CharSequence s) {
            return Pattern.compile(Pattern.quote(s.toString()));
        }
        throw new DslException(keyword + " takes a regex (~/.../) or text, not " + ScenarioLoader.typeOf(p));
    }

    private static void checkOptions(String keyword, Map<String, ?> options, Set<String> known) {
        for (String k : options.keySet()) {
            if (!known.contains(k)) {
                throw new DslException(keyword + ": unknown option '" + k + "' (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    void finish() {
        if ((config.image() != null || config.channel().equals("ssh"))
                && config.forwards().stream().noneMatch(f -> f.guest() == 22 && f.protocol().equals("tcp"))) {
            config.forward(new MachineConfig.Forward(0, 22, "tcp"));  // for machine.ssh()
        }
        try {
            config.validate();
        } catch (JvtException e) {
            throw new DslException(e.getMessage());
        }
    }
}
