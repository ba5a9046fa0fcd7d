package dev.jvt.engine.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.jvt.engine.Retry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether KVM really works here. {@code /dev/kvm} existing is not enough (a VM without nested
 * virtualisation opens it, yet guests hang), so the probe boots a 512-byte boot sector under
 * {@code -accel kvm} that writes "KVMOK" to the serial port, with a short deadline. A boot sector
 * running is not enough either: on some nested hosts real mode runs but a Linux kernel hangs
 * right after decompression ("Physical KASLR disabled", then nothing, at 100% CPU). So when a
 * kernel is given, the probe also boots it under KVM and waits for its "Linux version" line. The
 * answer is cached per host boot, QEMU binary and kernel.
 */
public final class KvmProbe {
    /** The outcome, with a sentence a person can read. */
    public record Result(boolean works, String detail) {
    }

    private static final java.util.Map<String, Result> cached = new java.util.HashMap<>();

    private static final Logger LOG = LoggerFactory.getLogger(KvmProbe.class);

    private KvmProbe() {
    }

    /** Whether a boot sector runs under KVM (no kernel checked). */
    public static Result probe(Path qemu) {
        return probe(qemu, null);
    }

    /** Whether a boot sector and then {@code kernel} (when not null) run under KVM. */
    public static synchronized Result probe(Path qemu, Path kernel) {
        String key = Integer.toHexString(qemu.toString().hashCode()) + (kernel == null ? "" : "-" + Integer.toHexString(kernel.toString().hashCode()));
        Result known = cached.get(key);
        if (known != null) {
            return known;
        }
        Result r = probeUncached(qemu, kernel, key);
        cached.put(key, r);
        return r;
    }

    private static Result probeUncached(Path qemu, Path kernel, String key) {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.exists(kvm)) {
            return new Result(false, "/dev/kvm does not exist");
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return new Result(false, "/dev/kvm is not accessible to this user (add it to group kvm)");
        }
        Path cacheFile = Host.cacheDir().resolve("kvm-probe2-" + Host.bootId() + "-" + key);
        try {
            if (Files.isRegularFile(cacheFile)) {
                String s = Files.readString(cacheFile);
                return new Result(s.startsWith("yes"), s.substring(s.indexOf(' ') + 1).trim() + " (cached)");
            }
        } catch (IOException e) {
            LOG.debug("cannot read the KVM probe cache {}; probing again", cacheFile, e);
        }
        Result r = run(qemu);
        if (r.works() && kernel != null) {
            r = runKernel(qemu, kernel);
        }
        try {
            Files.writeString(cacheFile, (r.works ? "yes " : "no ") + r.detail, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            LOG.debug("cannot cache the KVM probe in {}; it runs again next time", cacheFile, e);
        }
        return r;
    }

    /** A boot sector: print "KVMOK" on COM1 and halt. */
    static byte[] bootSector() {
        byte[] s = new byte[512];
        byte[] code = {
                (byte) 0xBA, (byte) 0xF8, 0x03,               // mov dx, 0x3f8
                (byte) 0xBE, 0x14, 0x7C,                      // mov si, msg (0x7c14)
                (byte) 0xAC,                                  // lodsb
                0x08, (byte) 0xC0,                            // or al, al
                0x74, 0x03,                                   // jz done
                (byte) 0xEE,                                  // out dx, al
                (byte) 0xEB, (byte) 0xF8,                     // jmp lodsb
                (byte) 0xFA,                                  // done: cli
                (byte) 0xF4,                                  // hlt
                (byte) 0xEB, (byte) 0xFD,                     // jmp hlt
                0, 0,
                'K', 'V', 'M', 'O', 'K', '\n', 0};
        System.arraycopy(code, 0, s, 0, code.length);
        s[510] = 0x55;
        s[511] = (byte) 0xAA;
        return s;
    }

    private static Result run(Path qemu) {
        Path img = null;
        try {
            img = Files.createTempFile("jvt-kvm-probe", ".img");
            Files.write(img, bootSector());
            String out = serialOutput(List.of(qemu.toString(), "-nodefaults", "-no-user-config", "-display", "none",
                    "-accel", "kvm", "-m", "16", "-serial", "stdio",
                    "-drive", "file=" + img + ",format=raw,if=floppy", "-boot", "a"), "KVMOK", 5);
            if (out.contains("KVMOK")) {
                return new Result(true, "a guest ran under KVM");
            }
            String why = out.strip();
            return new Result(false, "/dev/kvm opens but a guest under KVM did not run within 5 s"
                    + (why.isEmpty() ? " (nested virtualisation not working?)" : ": " + why.lines().findFirst().orElse("")));
        } catch (IOException e) {
            return new Result(false, "probe failed: " + e.getMessage());
        } finally {
            if (img != null) {
                try {
                    Files.deleteIfExists(img);
                } catch (IOException e) {
                    LOG.debug("cannot delete the probe image {}", img, e);
                }
            }
        }
    }

    /** Boots {@code kernel} under KVM without a root file system: its banner is enough. */
    private static Result runKernel(Path qemu, Path kernel) {
        try {
            String out = serialOutput(List.of(qemu.toString(), "-nodefaults", "-no-user-config", "-display", "none",
                    "-accel", "kvm", "-m", "128", "-serial", "stdio", "-no-reboot",
                    "-kernel", kernel.toString(), "-append", "console=ttyS0 earlyprintk=ttyS0 panic=-1"), "Linux version", 10);
            if (out.contains("Linux version")) {
                return new Result(true, "a Linux kernel ran under KVM");
            }
            String last = out.strip().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
            return new Result(false, "a boot sector runs under KVM, but the kernel " + kernel.getFileName()
                    + " did not start within 10 s (nested virtualisation not working?)" + (last.isEmpty() ? "" : "; its last words: " + last));
        } catch (IOException e) {
            return new Result(false, "probe failed: " + e.getMessage());
        }
    }

    /** What the command writes until {@code marker} appears, it exits, or {@code seconds} pass; then it is killed. */
    private static String serialOutput(List<String> command, String marker, int seconds) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        InputStream in = p.getInputStream();
        try {
            Boolean ended = Retry.poll("probing KVM", Duration.ofSeconds(seconds), Duration.ofMillis(20), last -> {
                while (in.available() > 0) {
                    out.append((char) in.read());
                }
                return out.indexOf(marker) >= 0 || (!p.isAlive() && in.available() == 0) ? Boolean.TRUE : null;
            });
            if (ended == null) {
                LOG.debug("KVM probe: no '{}' within {} s", marker, seconds);
            }
        } finally {
            p.destroyForcibly();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return out.toString();
    }
}
