package dev.jvt.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a machine's configuration into a QEMU command line. QEMU connects as a client to the
 * UNIX sockets jvt listens on (monitor, serial, command port), so no byte of output is lost
 * before jvt attaches, and nothing waits on anything.
 */
public final class QemuCommandLine {
    private QemuCommandLine() {
    }

    /**
     * How guest time runs. DETERMINISTIC: instruction-counted virtual time and a fixed clock.
     * RECORD: QEMU record/replay; then only chardevs attached through {@code -serial} and the
     * legacy {@code -qmp} option are recorded (QEMU 7.2), so the command channel is a second UART
     * and the monitor is {@code -qmp unix:…,server=on} (jvt connects to it).
     */
    public enum Mode { NORMAL, DETERMINISTIC, RECORD }

    /** The guest clock in deterministic mode. */
    public static final String FIXED_CLOCK = "2020-01-01T00:00:00";

    /** What the machine resolved before starting: binary, accelerator, boot files, sockets. */
    record Resolved(Path qemu, String accel, Path kernel, Path initrd, String append, Path sockets,
                    List<String> extraArgs, Mode mode, Path replayLog) {
    }

    /** TCG's translation buffer in MiB: {@code JVT_TB_SIZE}, default {@value #TB_SIZE_MIB}. */
    static final int TB_SIZE_MIB = 256;

    static int tbSizeMiB() {
        String v = System.getenv("JVT_TB_SIZE");
        if (v != null && v.matches("[1-9][0-9]{0,5}")) {
            return Integer.parseInt(v);
        }
        return TB_SIZE_MIB;
    }

    /**
     * The -icount settings of a recording (before rr=record): {@code JVT_RECORD_ICOUNT}, default
     * {@value #RECORD_ICOUNT}. A fixed 16 ns per instruction, not {@code shift=auto}: auto's clock
     * adjustment writes a warp-account checkpoint per pass of the vCPU loop (millions per boot), and
     * replaying them made replays 3-5x slower than their recordings; with shift=4 1.6x (README).
     */
    static final String RECORD_ICOUNT = "shift=4";

    static String recordIcount() {
        String v = System.getenv("JVT_RECORD_ICOUNT");
        return v != null && v.matches("[a-z0-9=,]+") && !v.contains("rr") ? v : RECORD_ICOUNT;
    }

    static List<String> build(MachineConfig c, Resolved r) {
        List<String> a = new ArrayList<>();
        a.add(r.qemu().toString());
        a.addAll(List.of("-name", "jvt-" + c.name() + ",debug-threads=on", "-nodefaults", "-no-user-config"));
        // seccomp: no fork/exec, no privilege or scheduler changes (when this QEMU supports it; JVT_SANDBOX=off)
        a.addAll(dev.jvt.engine.qemu.Sandbox.args(r.qemu()));
        String accel = r.accel();
        a.addAll(List.of("-machine", c.machineType()));
        // TCG's translation buffer is 1 GiB by default in 7.2, touched as code is translated; a
        // busybox boot translates ~50 MB: capped, parallel machines cannot grow to a GiB each
        a.addAll(List.of("-accel", accel.equals("tcg") ? "tcg,tb-size=" + tbSizeMiB() : accel));
        a.addAll(List.of("-m", Integer.toString(c.memoryMiB())));
        a.addAll(List.of("-smp", Integer.toString(c.cpus())));
        a.addAll(List.of("-display", "none"));
        if ((c.arch().equals("x86_64") || c.arch().equals("i386")) && r.mode() != Mode.RECORD) {
            // no display while recording: with a VGA device QEMU 7.2's replay diverges within the first kilobyte
            a.addAll(List.of("-vga", "std"));
        }
        Path s = r.sockets();
        boolean record = r.mode() == Mode.RECORD;
        if (record) {
            a.addAll(List.of("-qmp", "unix:" + s.resolve("qmp.sock") + ",server=on,wait=off"));
        } else {
            a.addAll(List.of("-chardev", "socket,id=jvt-qmp,path=" + s.resolve("qmp.sock"),
                    "-mon", "chardev=jvt-qmp,mode=control"));
        }
        if (r.mode() == Mode.NORMAL) {
            a.addAll(List.of("-chardev", "socket,id=jvt-serial,path=" + s.resolve("serial.sock"), "-serial", "chardev:jvt-serial"));
        } else {
            // FIFOs, not a socket: see SerialPipe for why guest timing would otherwise depend on the host
            a.addAll(List.of("-chardev", "pipe,id=jvt-serial,path=" + s.resolve("serial"), "-serial", "chardev:jvt-serial"));
        }
        if (r.mode() == Mode.DETERMINISTIC) {
            a.addAll(List.of("-icount", "shift=5,sleep=off,align=off", "-rtc", "base=" + FIXED_CLOCK + ",clock=vm"));
        } else if (record) {
            a.addAll(List.of("-icount", recordIcount() + ",rr=record,rrfile=" + r.replayLog()));
            if (c.arch().equals("x86_64") || c.arch().equals("i386")) {
                // the TPR-patching option ROM of old Windows guests: loading its state in a replay
                // (time travel's snapshots) makes QEMU 7.2 run work on the vCPU thread while the
                // main loop holds the replay lock, and both wait for ever
                a.addAll(List.of("-global", "apic-common.vapic=off"));
            }
        }
        if (c.hasAgent() && record) {
            // FIFOs, as for the console: the UART writes a byte per write(), and on a socket a few
            // hundred unread bytes (one skb each) fill the buffer; the write then fails, QEMU retries
            // it when the host says the socket is writable, and that moment is not in the log (a
            // replay then says "Missing character write event")
            a.addAll(List.of("-chardev", "pipe,id=jvt-cmd,path=" + s.resolve("cmd"), "-serial", "chardev:jvt-cmd"));
        } else if (c.hasAgent()) {
            // ioeventfd hands guest kicks to the host's main loop, whose timing icount cannot order
            a.addAll(List.of("-device", "virtio-serial-pci,id=jvt-vser" + (r.mode() == Mode.DETERMINISTIC ? ",ioeventfd=off" : ""),
                    "-chardev", r.mode() == Mode.NORMAL ? "socket,id=jvt-cmd,path=" + s.resolve("cmd.sock") : "pipe,id=jvt-cmd,path=" + s.resolve("cmd"),
                    "-device", "virtserialport,bus=jvt-vser.0,chardev=jvt-cmd,name=jvt.cmd"));
        }
        if (c.channel().equals("qga")) {
            if (!(c.hasAgent() && !record)) {
                a.addAll(List.of("-device", "virtio-serial-pci,id=jvt-vser"));
            }
            a.addAll(List.of("-chardev", "socket,id=jvt-qga,path=" + s.resolve("qga.sock"),
                    "-device", "virtserialport,bus=jvt-vser.0,chardev=jvt-qga,name=org.qemu.guest_agent.0"));
        }
        if (c.bios() != null) {
            a.addAll(List.of("-bios", c.bios().toString()));
        }
        if (r.kernel() != null) {
            a.addAll(List.of("-kernel", r.kernel().toString()));
            if (r.initrd() != null) {
                a.addAll(List.of("-initrd", r.initrd().toString()));
            }
            if (!r.append().isBlank()) {
                a.addAll(List.of("-append", r.append().trim()));
            }
        }
        if (c.balloon()) {
            a.addAll(List.of("-device", "virtio-balloon-pci,id=jvt-balloon"));
        }
        a.add("-no-reboot");
        a.addAll(r.extraArgs());
        a.addAll(c.qemuArgs());
        return a;
    }
}
