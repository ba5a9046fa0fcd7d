package dev.jvt.engine.qemu;

import dev.jvt.engine.host.Host;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * QEMU's seccomp sandbox: every QEMU jvt starts for a machine, a replay or a time travel runs
 * with {@code -sandbox }{@value #OPTIONS} when its binary supports it: no obsolete system calls,
 * no setuid/setgid/capabilities, no fork/exec, no scheduler or affinity changes. So nothing QEMU
 * does may spawn a process: migrations go over UNIX sockets (never {@code exec:}), no netdev
 * scripts.
 *
 * <p>Support is probed once per binary (path, size, mtime, inode): a QEMU with no machine
 * ({@code -M none}) started with the sandbox and told to quit over QMP on stdin. It exits 0 only
 * when it knows the option, accepts every one of its settings and the kernel took the filter
 * (QEMU exits when {@code seccomp_load} fails); ~25 ms. {@code JVT_SANDBOX=off} turns it off.
 */
public final class Sandbox {
    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    /** What {@code -sandbox} is given (QEMU 7.2's names: "obsolete", not "obtain"). */
    public static final String OPTIONS = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
    private static final Map<String, Support> PROBED = new ConcurrentHashMap<>();

    /** Whether a QEMU binary runs sandboxed, and why not when it does not. */
    public record Support(boolean supported, String detail) {
    }

    private Sandbox() {
    }

    /** False when {@code JVT_SANDBOX} is {@code off} (or {@code 0}, {@code no}, {@code false}). */
    public static boolean wanted() {
        String v = System.getenv("JVT_SANDBOX");
        return v == null || !v.strip().toLowerCase(java.util.Locale.ROOT).matches("off|0|no|false");
    }

    /** Whether {@code qemu} takes the sandbox, probed once per binary. */
    public static Support support(Path qemu) {
        String id;
        try {
            id = Host.fileStamp(qemu);
        } catch (IOException e) {
            return new Support(false, "cannot read " + qemu + ": " + e.getMessage());
        }
        return PROBED.computeIfAbsent(id, k -> probe(qemu));
    }

    /** The arguments that sandbox {@code qemu}: {@code -sandbox OPTIONS}, or none (turned off, or not supported). */
    public static List<String> args(Path qemu) {
        if (!wanted()) {
            return List.of();
        }
        Support s = support(qemu);
        if (!s.supported()) {
            LOG.debug("{}: no sandbox: {}", qemu, s.detail());
            return List.of();
        }
        return List.of("-sandbox", OPTIONS);
    }

    /**
     * {@code argv} with whatever {@code -sandbox} it had (a recorded command line from another
     * host) replaced by this host's: the sandbox changes nothing the guest sees, so a replay runs
     * with or without it.
     */
    public static List<String> reapply(List<String> argv) {
        List<String> out = new ArrayList<>(argv.size() + 2);
        for (int i = 0; i < argv.size(); i++) {
            if (i > 0 && argv.get(i).equals("-sandbox") && i + 1 < argv.size()) {
                i++;
                continue;
            }
            out.add(argv.get(i));
        }
        out.addAll(1, args(Path.of(argv.get(0))));
        return out;
    }

    /** One line for {@code jvt doctor}. */
    public static String describe(Path qemu) {
        Support s = support(qemu);
        if (!s.supported()) {
            return "not supported by this QEMU (" + s.detail() + ") — QEMU runs unconfined";
        }
        if (!wanted()) {
            return "off (JVT_SANDBOX=off; this QEMU supports it) — QEMU runs unconfined";
        }
        return "on (seccomp: obsolete, elevateprivileges, spawn, resourcecontrol denied)";
    }

    private static Support probe(Path qemu) {
        List<String> cmd = List.of(qemu.toString(), "-sandbox", OPTIONS, "-M", "none", "-nodefaults", "-no-user-config",
                "-display", "none", "-S", "-qmp", "stdio");
        Process p = null;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // it exited before reading: its output says why
            }
            Process proc = p;
            java.util.concurrent.CompletableFuture<byte[]> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return proc.getInputStream().readNBytes(64 * 1024);
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                return new Support(false, "the probe did not exit within 10 s");
            }
            byte[] said = output.get(5, TimeUnit.SECONDS);
            if (p.exitValue() == 0) {
                return new Support(true, "seccomp filter installed");
            }
            String why = new String(said, StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("{")).map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("exit code " + p.exitValue());
            return new Support(false, why.contains("not enabled") || why.contains("no option group") ? "built without seccomp" : why);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Support(false, "the probe's output could not be read: " + e);
        } catch (IOException e) {
            return new Support(false, "cannot run " + qemu + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Support(false, "interrupted while probing");
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }
}
