package dev.jvt.engine.image;

import dev.jvt.engine.host.Prerequisites;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code qemu-img}: disk overlays, scratch disks, snapshot stores. */
public final class QemuImg {
    private QemuImg() {
    }

    /** An empty qcow2 of {@code size} (qemu-img's notation: 1M, 2G) at {@code file}. */
    public static void create(Path file, String size) throws IOException {
        run(List.of("create", "-q", "-f", "qcow2", file.toString(), size));
    }

    /** Runs qemu-img with {@code args}; returns its output, or throws with it when it fails. */
    public static String run(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Prerequisites.qemuImg().toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("qemu-img " + String.join(" ", args) + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("qemu-img " + String.join(" ", args) + " failed: " + out.strip());
        }
        return out;
    }

    /**
     * The backing file a qcow2 names in its header (an overlay's base image), resolved against the
     * overlay's folder; empty when it has none or is not a qcow2.
     */
    public static java.util.Optional<Path> backingFile(Path qcow2) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(qcow2)) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(20);
            if (ch.read(h, 0) < 20 || h.getInt(0) != 0x514649fb) {
                return java.util.Optional.empty();
            }
            long offset = h.getLong(8);
            int length = h.getInt(16);
            if (offset == 0 || length <= 0 || length > 4096) {
                return java.util.Optional.empty();
            }
            java.nio.ByteBuffer name = java.nio.ByteBuffer.allocate(length);
            ch.read(name, offset);
            return java.util.Optional.of(qcow2.toAbsolutePath().getParent().resolve(new String(name.array(), 0, name.position(), StandardCharsets.UTF_8)));
        }
    }
}
