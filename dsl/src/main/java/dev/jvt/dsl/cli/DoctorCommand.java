package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.host.Prerequisites;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jvt doctor}: what this host can run; installs what is missing when root. */
@Command(name = "doctor", description = "What this host can run: QEMU, KVM (probed), the built-in guest's kernel and busybox.")
public final class DoctorCommand implements Callable<Integer> {
    @CommandLine.Option(names = "--no-install", description = "Only report; do not install missing packages even as root.")
    boolean noInstall;

    @CommandLine.Option(names = "--test-tools", description = "Also install what jvt's own test suite needs (genisoimage, ...).")
    boolean testTools;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        JvtException problem = null;
        try {
            Prerequisites.ensure(!noInstall);
            if (testTools) {
                Prerequisites.ensureTestTools(!noInstall);
            }
        } catch (JvtException e) {
            problem = e;
        }
        List<Prerequisites.Check> checks = Prerequisites.checks();
        int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(10);
        for (Prerequisites.Check c : checks) {
            out.printf("%s %-" + width + "s  %s%n", c.ok() ? "ok  " : (c.name().contains("optional") || c.name().equals("KVM") ? "--  " : "MISS"), c.name(), c.detail());
        }
        printSandbox(out);
        out.flush();
        if (problem != null) {
            throw problem;
        }
        return 0;
    }

    /** Whether QEMU's seccomp sandbox is supported and used (see {@link dev.jvt.engine.qemu.Sandbox}). */
    private static void printSandbox(PrintWriter out) {
        java.nio.file.Path qemu = dev.jvt.engine.host.Host.which("qemu-system-x86_64");
        if (qemu != null) {
            out.println("sandbox: " + dev.jvt.engine.qemu.Sandbox.describe(qemu));
        }
    }
}
