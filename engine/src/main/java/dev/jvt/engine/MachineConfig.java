package dev.jvt.engine;

import dev.jvt.engine.guest.GuestAdditions;
import dev.jvt.engine.image.ImageRecipe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Everything a scenario says about one machine. Plain values, validated by {@link #validate()};
 * the DSL's machine block fills it in, {@link Machine} turns it into a QEMU process.
 */
public final class MachineConfig {
    /** A disk image, attached as virtio-blk (through a qcow2 overlay unless {@code overlay} is false). */
    public record Disk(Path path, String format, boolean overlay, String size) {
    }

    /** A network interface on a jvt network. {@code address} is "A.B.C.D/N", "dhcp" or null. */
    public record Nic(String network, String address, String model, String mac) {
    }

    /** A host port forwarded through user-mode NAT to a guest port; host 0 picks a free port. */
    public record Forward(int host, int guest, String protocol) {
    }

    public static final Pattern MEMORY = Pattern.compile("(\\d+)\\s*([MG])?", Pattern.CASE_INSENSITIVE);
    /** The memory a machine may have: enough for a kernel to start, at most what a 64-bit QEMU guest sensibly gets. */
    public static final long MIN_MEMORY_MIB = 16;
    public static final long MAX_MEMORY_MIB = 1024 * 1024;
    public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,40}");

    private final String name;
    private String memory = "256M";
    private int cpus = 1;
    private String arch = "x86_64";
    private String machineType;
    private String accel = "auto";
    private Path bios;
    private Path kernel;
    private Path initrd;
    private String append = "";
    private String boot;
    private boolean nat;
    private boolean balloon;
    private final List<Disk> disks = new ArrayList<>();
    private final List<Path> cdroms = new ArrayList<>();
    private final List<Nic> nics = new ArrayList<>();
    private final List<Forward> forwards = new ArrayList<>();
    private final List<Pattern> expectConsole = new ArrayList<>();
    private final List<Pattern> failOn = new ArrayList<>();
    private final List<String> qemuArgs = new ArrayList<>();
    private final GuestAdditions guest = new GuestAdditions();
    private ImageRecipe image;
    private String channel;
    private java.time.Duration bootTimeout;
    private String loginUser = "root";
    private String host;
    private String loginPassword;

    public MachineConfig(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw JvtException.badInput("machine name '" + name + "' must start with a letter and hold only letters, digits, '_' and '-'");
        }
        this.name = name;
    }

    public String name() {
        return name;
    }

    public MachineConfig memory(String m) {
        var matcher = m == null ? null : MEMORY.matcher(m.trim());
        if (matcher == null || !matcher.matches()) {
            throw JvtException.badInput("memory '" + m + "' is not a size like '256M' or '1G'");
        }
        long mib = matcher.group(1).length() > 9 ? Long.MAX_VALUE
                : Long.parseLong(matcher.group(1)) * ("G".equalsIgnoreCase(matcher.group(2)) ? 1024 : 1);
        if (mib < MIN_MEMORY_MIB || mib > MAX_MEMORY_MIB) {
            throw JvtException.badInput("memory '" + m + "' is not between " + MIN_MEMORY_MIB + "M and " + (MAX_MEMORY_MIB / 1024) + "G");
        }
        this.memory = m.trim().toUpperCase(java.util.Locale.ROOT);
        return this;
    }

    /** Memory in MiB. */
    public int memoryMiB() {
        var m = MEMORY.matcher(memory);
        m.matches();
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "M" : m.group(2);
        return (int) (unit.equals("G") ? n * 1024 : n);
    }

    public String memory() {
        return memory;
    }

    public MachineConfig cpus(int n) {
        if (n < 1 || n > 64) {
            throw JvtException.badInput("cpus " + n + " must be between 1 and 64");
        }
        this.cpus = n;
        return this;
    }

    public int cpus() {
        return cpus;
    }

    public MachineConfig arch(String a) {
        if (a == null || !List.of("x86_64", "i386", "riscv64", "aarch64").contains(a)) {
            throw JvtException.badInput("arch '" + a + "' is not one of x86_64, i386, riscv64, aarch64");
        }
        this.arch = a;
        return this;
    }

    public String arch() {
        return arch;
    }

    public MachineConfig machineType(String t) {
        this.machineType = t;
        return this;
    }

    /** The QEMU machine type: the one given, else 'pc' on x86, 'virt' elsewhere. */
    public String machineType() {
        if (machineType != null) {
            return machineType;
        }
        return arch.equals("x86_64") || arch.equals("i386") ? "pc" : "virt";
    }

    public MachineConfig accel(String a) {
        if (a == null || !List.of("auto", "kvm", "tcg").contains(a)) {
            throw JvtException.badInput("accel '" + a + "' is not one of auto, kvm, tcg");
        }
        this.accel = a;
        return this;
    }

    public String accel() {
        return accel;
    }

    public MachineConfig bios(Path p) {
        this.bios = p;
        return this;
    }

    public Path bios() {
        return bios;
    }

    public MachineConfig kernel(Path p) {
        this.kernel = p;
        return this;
    }

    public Path kernel() {
        return kernel;
    }

    public MachineConfig initrd(Path p) {
        this.initrd = p;
        return this;
    }

    public Path initrd() {
        return initrd;
    }

    public MachineConfig append(String a) {
        this.append = a == null ? "" : a;
        return this;
    }

    public String append() {
        return append;
    }

    public MachineConfig boot(String b) {
        if (b == null || !List.of("kernel", "disk", "cdrom").contains(b)) {
            throw JvtException.badInput("boot '" + b + "' is not one of kernel, disk, cdrom");
        }
        this.boot = b;
        return this;
    }

    /** kernel, disk or cdrom: what the machine boots from. */
    public String boot() {
        if (boot != null) {
            return boot;
        }
        return "kernel";
    }

    /** Whether this machine boots the built-in guest (no kernel or image of its own, not booting a disk or CD). */
    public boolean builtinGuest() {
        return kernel == null && initrd == null && image == null && boot().equals("kernel");
    }

    /** Boots an image jvt builds from {@code recipe} (its kernel and initrd, its disk behind an overlay). */
    public MachineConfig image(ImageRecipe recipe) {
        this.image = recipe;
        return this;
    }

    /** The recipe of the image this machine boots, or null. */
    public ImageRecipe image() {
        return image;
    }

    /** How commands reach the guest: agent, qga, ssh or console. */
    public MachineConfig channel(String c) {
        if (c == null || !List.of("agent", "qga", "ssh", "console").contains(c)) {
            throw JvtException.badInput("machine '" + name + "': channel '" + c + "' is not one of agent, qga, ssh, console");
        }
        this.channel = c;
        return this;
    }

    /** The command channel: as set, else 'agent' for the built-in guest and images jvt builds, else none. */
    public String channel() {
        return channel != null ? channel : hasAgent() ? "agent" : "none";
    }

    /** How long a boot may take, up to every expectConsole pattern and the channel's answer. */
    public MachineConfig bootTimeout(java.time.Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw JvtException.badInput("machine '" + name + "': bootTimeout must be positive");
        }
        this.bootTimeout = d;
        return this;
    }

    /** The boot timeout: as set (scaled like every default), else {@link Timeouts#BOOT}. */
    public java.time.Duration bootTimeout() {
        return bootTimeout != null ? Timeouts.scaled(bootTimeout) : Timeouts.BOOT;
    }

    /** Where QEMU runs: {@code ssh://user@kvmhost[:port][?identity=FILE&known_hosts=FILE]}, or null (here, or the run's --host). */
    public MachineConfig host(String address) {
        if (address != null && !address.matches("ssh://[^@/\\s]+@[^/?\\s]+/?(\\?\\S*)?")) {
            throw JvtException.badInput("machine '" + name + "': host '" + address + "' is not an address like ssh://user@kvmhost");
        }
        this.host = address;
        return this;
    }

    public String host() {
        return host;
    }

    /** Who the console (and SSH) channel logs in as. */
    public MachineConfig login(String user, String password) {
        this.loginUser = user;
        this.loginPassword = password;
        return this;
    }

    public String loginUser() {
        return loginUser;
    }

    public String loginPassword() {
        return loginPassword;
    }

    /** Whether the jvt agent answers on the virtio-serial port jvt.cmd: the built-in guest and images jvt builds. */
    public boolean hasAgent() {
        return builtinGuest() || image != null;
    }

    public MachineConfig disk(Disk d) {
        disks.add(d);
        return this;
    }

    public List<Disk> disks() {
        return disks;
    }

    public MachineConfig cdrom(Path p) {
        cdroms.add(p);
        return this;
    }

    public List<Path> cdroms() {
        return cdroms;
    }

    public MachineConfig nic(Nic n) {
        nics.add(n);
        return this;
    }

    public List<Nic> nics() {
        return nics;
    }

    public MachineConfig nat(boolean on) {
        this.nat = on;
        return this;
    }

    public boolean nat() {
        return nat;
    }

    public MachineConfig forward(Forward f) {
        this.nat = true;
        forwards.add(f);
        return this;
    }

    public List<Forward> forwards() {
        return forwards;
    }

    public MachineConfig balloon(boolean on) {
        this.balloon = on;
        return this;
    }

    public boolean balloon() {
        return balloon;
    }

    public MachineConfig expectConsole(Pattern p) {
        expectConsole.add(p);
        return this;
    }

    public List<Pattern> expectConsole() {
        return expectConsole;
    }

    public MachineConfig failOn(Pattern p) {
        failOn.add(p);
        return this;
    }

    public List<Pattern> failOn() {
        return failOn;
    }

    public MachineConfig qemuArgs(List<String> args) {
        qemuArgs.addAll(args);
        return this;
    }

    public List<String> qemuArgs() {
        return qemuArgs;
    }

    public GuestAdditions guest() {
        return guest;
    }

    /**
     * Checks that machine {@code machine}'s file {@code p} (when not null) is a file it can read;
     * {@code notFound} is what the error says when it is missing ("disk image not found").
     */
    public static void checkFile(String machine, String notFound, Path p) {
        if (p == null) {
            return;
        }
        if (java.nio.file.Files.isDirectory(p)) {
            throw JvtException.badInput("machine '" + machine + "': " + p.toAbsolutePath() + " is a directory, not a file");
        }
        if (!java.nio.file.Files.isReadable(p)) {
            throw JvtException.badInput("machine '" + machine + "': " + notFound + ": " + p.toAbsolutePath());
        }
    }

    /** Checks files exist and settings agree; throws a bad-input error naming the problem. */
    public void validate() {
        for (Path p : new Path[]{kernel, initrd, bios}) {
            checkFile(name, "file not found", p);
        }
        for (Disk d : disks) {
            checkFile(name, "disk image not found", d.path());
        }
        for (Path c : cdroms) {
            checkFile(name, "CD-ROM image not found", c);
        }
        if (image != null && (kernel != null || initrd != null || boot != null)) {
            throw JvtException.badInput("machine '" + name + "': image boots its own kernel; drop kernel, initrd and boot");
        }
        if ("agent".equals(channel) && !hasAgent()) {
            throw JvtException.badInput("machine '" + name + "': channel 'agent' needs the built-in guest or an image jvt builds; "
                    + "for your own image use channel 'qga', 'ssh' or 'console'");
        }
        if (initrd != null && kernel == null) {
            throw JvtException.badInput("machine '" + name + "': initrd without kernel");
        }
        if (builtinGuest() && !arch.equals("x86_64")) {
            throw JvtException.badInput("machine '" + name + "': the built-in guest is x86_64 only; give a kernel for arch '" + arch + "'");
        }
        if (boot().equals("disk") && disks.isEmpty()) {
            throw JvtException.badInput("machine '" + name + "': boot 'disk' without a disk");
        }
        if (boot().equals("cdrom") && cdroms.isEmpty()) {
            throw JvtException.badInput("machine '" + name + "': boot 'cdrom' without a cdrom");
        }
    }
}
