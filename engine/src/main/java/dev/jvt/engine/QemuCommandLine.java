package dev.jvt.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a machine's configuration into a QEMU command line. QEMU connects as a client to the
 * UNIX sockets jvt listens on (monitor, serial, command port), so no byte of output is lost
 * before jvt attaches, and nothing waits on anything.
 */
final class QemuCommandLine {
    private QemuCommandLine() {
    }

    /** What the machine resolved before starting: binary, accelerator, boot files, sockets. */
    record Resolved(Path qemu, String accel, Path kernel, Path initrd, String append, Path sockets,
                    List<String> extraArgs) {
    }

    static List<String> build(MachineConfig c, Resolved r) {
        List<String> a = new ArrayList<>();
        a.add(r.qemu().toString());
        a.addAll(List.of("-name", "jvt-" + c.name() + ",debug-threads=on", "-nodefaults", "-no-user-config"));
        String accel = r.accel();
        a.addAll(List.of("-machine", c.machineType() + ",accel=" + accel));
        a.addAll(List.of("-m", Integer.toString(c.memoryMiB())));
        a.addAll(List.of("-smp", Integer.toString(c.cpus())));
        a.addAll(List.of("-display", "none"));
        if (c.arch().equals("x86_64") || c.arch().equals("i386")) {
            a.addAll(List.of("-vga", "std"));
        }
        Path s = r.sockets();
        a.addAll(List.of("-chardev", "socket,id=jvt-qmp,path=" + s.resolve("qmp.sock"),
                "-mon", "chardev=jvt-qmp,mode=control"));
        a.addAll(List.of("-chardev", "socket,id=jvt-serial,path=" + s.resolve("serial.sock"),
                "-serial", "chardev:jvt-serial"));
        if (c.builtinGuest()) {
            a.addAll(List.of("-device", "virtio-serial-pci,id=jvt-vser",
                    "-chardev", "socket,id=jvt-cmd,path=" + s.resolve("cmd.sock"),
                    "-device", "virtserialport,bus=jvt-vser.0,chardev=jvt-cmd,name=jvt.cmd"));
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
