package dev.jvt.engine.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether KVM really works here. {@code /dev/kvm} existing is not enough (a VM without nested
 * virtualisation opens it, yet guests hang), so the probe boots a 512-byte boot sector under
 * {@code -accel kvm} that writes "KVMOK" to the serial port, with a short deadline. The answer is
 * cached per host boot and QEMU binary.
 */
public final class KvmProbe {
    /** The outcome, with a sentence a person can read. */
    public record Result(boolean works, String detail) {
    }

    private static volatile Result cached;

    private KvmProbe() {
    }

    public static synchronized Result probe(Path qemu) {
        if (cached != null) {
            return cached;
        }
        Path kvm = Path.of("/dev/kvm");
        if (!Files.exists(kvm)) {
            return cached = new Result(false, "/dev/kvm does not exist");
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return cached = new Result(false, "/dev/kvm is not accessible to this user (add it to group kvm)");
        }
        Path cacheFile = Host.cacheDir().resolve("kvm-probe-" + Host.bootId() + "-" + Integer.toHexString(qemu.toString().hashCode()));
        try {
            if (Files.isRegularFile(cacheFile)) {
                String s = Files.readString(cacheFile);
                return cached = new Result(s.startsWith("yes"), s.substring(s.indexOf(' ') + 1).trim() + " (cached)");
            }
        } catch (IOException ignored) {
            // probe again
        }
        Result r = run(qemu);
        try {
            Files.writeString(cacheFile, (r.works ? "yes " : "no ") + r.detail, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException ignored) {
            // not cached, probed again next time
        }
        return cached = r;
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
            Process p = new ProcessBuilder(List.of(qemu.toString(), "-nodefaults", "-no-user-config", "-display", "none",
                    "-accel", "kvm", "-m", "16", "-serial", "stdio",
                    "-drive", "file=" + img + ",format=raw,if=floppy", "-boot", "a"))
                    .redirectErrorStream(true).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            StringBuilder out = new StringBuilder();
            InputStream in = p.getInputStream();
            boolean ok = false;
            while (System.nanoTime() < deadline && (p.isAlive() || in.available() > 0)) {
                while (in.available() > 0) {
                    out.append((char) in.read());
                }
                if (out.indexOf("KVMOK") >= 0) {
                    ok = true;
                    break;
                }
                Thread.sleep(20);
            }
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            if (ok) {
                return new Result(true, "a guest ran under KVM");
            }
            String why = out.toString().strip();
            return new Result(false, "/dev/kvm opens but a guest under KVM did not run within 5 s"
                    + (why.isEmpty() ? " (nested virtualisation not working?)" : ": " + why.lines().findFirst().orElse("")));
        } catch (IOException e) {
            return new Result(false, "probe failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "probe interrupted");
        } finally {
            if (img != null) {
                try {
                    Files.deleteIfExists(img);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        }
    }
}
