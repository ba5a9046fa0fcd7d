package dev.jvt.engine.host;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.guest.GuestKit;
import dev.jvt.engine.qemu.ProcessLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What this host can run: QEMU, qemu-img, KVM (probed), and the built-in guest's kernel and
 * busybox. {@link #ensure} installs what is missing with apt-get when running as root, and
 * otherwise fails with the exact command that fixes it (exit code 3).
 */
public final class Prerequisites {
    private static final Logger LOG = LoggerFactory.getLogger(Prerequisites.class);

    /** One line of the doctor's table. */
    public record Check(String name, boolean ok, String detail) {
    }

    private static volatile GuestKit kit;

    private Prerequisites() {
    }

    /** The QEMU system emulator for {@code arch} ("x86_64", "riscv64", "aarch64"). */
    public static Path qemu(String arch) {
        Path p = Host.which("qemu-system-" + arch);
        if (p == null) {
            throw JvtException.prerequisite("qemu-system-" + arch + " is not installed; fix: sudo apt-get install -y " + qemuPackage(arch));
        }
        return p;
    }

    public static Path qemuImg() {
        Path p = Host.which("qemu-img");
        if (p == null) {
            throw JvtException.prerequisite("qemu-img is not installed; fix: sudo apt-get install -y qemu-utils");
        }
        return p;
    }

    static String qemuPackage(String arch) {
        return switch (arch) {
            case "x86_64", "i386" -> "qemu-system-x86";
            case "aarch64", "arm" -> "qemu-system-arm";
            default -> "qemu-system-misc";
        };
    }

    /** The built-in guest's kit; located once (fetching the kernel package if needed). */
    public static GuestKit guestKit() {
        GuestKit k = kit;
        if (k == null) {
            synchronized (Prerequisites.class) {
                if (kit == null) {
                    kit = GuestKit.locate(true);
                }
                k = kit;
            }
        }
        return k;
    }

    /**
     * Makes sure QEMU, qemu-img and busybox are installed (apt-get as root) and the guest kernel is
     * at hand; throws a prerequisite error with the fixing command otherwise.
     */
    public static void ensure(boolean install) {
        Set<String> missing = new LinkedHashSet<>();
        if (Host.which("qemu-system-x86_64") == null) {
            missing.add("qemu-system-x86");
        }
        if (Host.which("qemu-img") == null) {
            missing.add("qemu-utils");
        }
        if (GuestKit.findBusybox().isEmpty()) {
            missing.add("busybox-static");
        }
        if (!missing.isEmpty()) {
            if (install && Apt.available() && Apt.isRoot()) {
                LOG.info("installing {} with apt-get ...", String.join(" ", missing));
                Apt.Outcome o = Apt.install(new ArrayList<>(missing));
                if (!o.ok()) {
                    throw JvtException.prerequisite("apt-get install " + String.join(" ", missing) + " failed:\n"
                            + tail(o.output(), 15) + "\nfix: sudo apt-get update && sudo apt-get install -y " + String.join(" ", missing));
                }
            } else {
                throw JvtException.prerequisite("missing on this host: " + String.join(", ", missing)
                        + "\nfix: sudo apt-get install -y " + String.join(" ", missing));
            }
        }
        guestKit();
    }

    /** Debian packages only jvt's own test suite needs (command → package). */
    public static final java.util.Map<String, String> TEST_TOOLS = new java.util.LinkedHashMap<>(java.util.Map.of(
            "genisoimage", "genisoimage",      // ISO images for the removable-media scenario
            "tshark", "tshark",                 // an independent reader of the pcaps the network specs check
            "sshd", "openssh-server"));         // the remote host RemoteHostSpec starts in a network namespace

    /** Installs the test suite's tools (as root) or fails with the command that does. */
    public static void ensureTestTools(boolean install) {
        List<String> missing = TEST_TOOLS.entrySet().stream().filter(e -> Host.which(e.getKey()) == null)
                .map(java.util.Map.Entry::getValue).distinct().toList();
        if (missing.isEmpty()) {
            return;
        }
        if (install && Apt.available() && Apt.isRoot()) {
            LOG.info("installing {} (test tools) with apt-get ...", String.join(" ", missing));
            Apt.Outcome o = Apt.install(missing);
            if (o.ok()) {
                return;
            }
            throw JvtException.prerequisite("apt-get install " + String.join(" ", missing) + " failed:\n" + tail(o.output(), 15)
                    + "\nfix: sudo apt-get update && sudo apt-get install -y " + String.join(" ", missing));
        }
        throw JvtException.prerequisite("the test suite needs: " + String.join(", ", missing)
                + "\nfix: sudo apt-get install -y " + String.join(" ", missing));
    }

    /** The doctor's table. Never throws: each problem becomes a failed check with its fix. */
    public static List<Check> checks() {
        List<Check> out = new ArrayList<>();
        Path qemu = Host.which("qemu-system-x86_64");
        out.add(qemu == null ? new Check("qemu-system-x86_64", false, "missing; fix: sudo apt-get install -y qemu-system-x86")
                : new Check("qemu-system-x86_64", true, qemu + " — " + version(qemu)));
        Path img = Host.which("qemu-img");
        out.add(img == null ? new Check("qemu-img", false, "missing; fix: sudo apt-get install -y qemu-utils")
                : new Check("qemu-img", true, img.toString()));
        Path riscv = Host.which("qemu-system-riscv64");
        out.add(new Check("qemu-system-riscv64 (optional)", riscv != null, riscv != null ? riscv.toString()
                : "missing (only for arch 'riscv64'); fix: sudo apt-get install -y qemu-system-misc"));
        if (qemu != null) {
            Path kernel = null;
            try {
                kernel = guestKit().kernel();
            } catch (JvtException e) {
                // reported below as the built-in guest's check; KVM is then probed without a kernel
                LOG.debug("no guest kernel for the KVM probe", e);
            }
            KvmProbe.Result kvm = KvmProbe.probe(qemu, kernel);
            out.add(new Check("KVM", kvm.works(), kvm.detail() + (kvm.works() ? "" : "; accel 'auto' uses TCG (software emulation)")));
        }
        Path mmdebstrap = Host.which("mmdebstrap");
        out.add(new Check("mmdebstrap (optional)", mmdebstrap != null, mmdebstrap != null ? mmdebstrap + " (debian(...) images)"
                : "missing (only to build debian(...) images; installed on first use as root); fix: sudo apt-get install -y mmdebstrap"));
        out.add(new Check("death signal (setpriv)", ProcessLauncher.hasDeathSignal(),
                ProcessLauncher.hasDeathSignal() ? "QEMU dies with jvt even on SIGKILL"
                        : "setpriv missing: QEMU may outlive a killed jvt; fix: sudo apt-get install -y util-linux"));
        out.add(new Check("user", true, Apt.isRoot() ? "root: jvt installs what is missing with apt-get"
                : System.getProperty("user.name") + " (not root): everything but installing packages works; what is missing is reported with the sudo command that installs it"));
        try {
            GuestKit k = guestKit();
            out.add(new Check("guest kernel", true, k.kernel() + " (" + k.kernelVersion() + ")"));
            out.add(new Check("guest modules", k.modules() != null, k.modules() == null ? "none (JVT_MODULES unset)" : k.modules().toString()));
            out.add(new Check("busybox (static)", true, k.busybox().toString()));
        } catch (JvtException e) {
            out.add(new Check("built-in guest", false, e.getMessage()));
        }
        return out;
    }

    /** "QEMU 7.2.22 (...)" of qemu-system-x86_64, or "unknown". */
    public static String qemuVersion() {
        Path q = Host.which("qemu-system-x86_64");
        return q == null ? "unknown" : version(q);
    }

    static String version(Path qemu) {
        try {
            Process p = new ProcessBuilder(qemu.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("?").replace("QEMU emulator version ", "QEMU ");
        } catch (Exception e) {
            LOG.debug("cannot run {} --version", qemu, e);
            return "version unknown: " + e.getMessage();
        }
    }

    private static String tail(String s, int n) {
        List<String> l = s.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }
}
