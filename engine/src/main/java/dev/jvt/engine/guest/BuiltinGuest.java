package dev.jvt.engine.guest;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.host.Host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the built-in guest's initramfs: static busybox with its applet links, busybox init, the
 * modules for virtio (console, net, blk, balloon), e1000, CD-ROM, ISO 9660 and ext4, the command
 * agent, and the scenario's additions. Cached in {@code ~/.cache/jvt/guest} by content hash.
 */
public final class BuiltinGuest {
    /** Modules every built-in guest loads, dependencies resolved from the kernel tree. */
    public static final List<String> MODULES = List.of(
            "virtio_pci", "virtio_console", "virtio_net", "virtio_blk", "virtio_balloon", "e1000",
            "ata_piix", "sr_mod", "isofs", "crc32c_generic", "ext4", "virtio_rng");

    /** The version of what jvt puts into the image; part of the cache key. */
    private static final String LAYOUT = "jvt-guest-1";

    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();

    private BuiltinGuest() {
    }

    /** The initramfs for {@code kit} plus {@code additions}; the same inputs give the same file. */
    public static Path image(GuestKit kit, GuestAdditions additions) {
        Initramfs fs = assemble(kit, additions);
        String hash = fs.sha256();
        return BUILT.computeIfAbsent(hash, h -> write(fs, h));
    }

    private static Path write(Initramfs fs, String hash) {
        Path dir = Host.cacheDir().resolve("guest");
        Path file = dir.resolve("initramfs-" + hash.substring(0, 16) + ".cpio");
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".initramfs-", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                fs.writeTo(new java.io.BufferedOutputStream(out, 1 << 16));
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot write the built-in guest to " + file + ": " + e.getMessage(), e);
        }
    }

    static Initramfs assemble(GuestKit kit, GuestAdditions additions) {
        Initramfs fs = new Initramfs();
        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "etc/jvt/init.d", "proc", "sys",
                "dev", "tmp", "run", "root", "mnt", "srv", "var/log", "lib/modules")) {
            fs.dir(d);
        }
        try {
            fs.file("bin/busybox", Files.readAllBytes(kit.busybox()), 0755);
        } catch (IOException e) {
            throw JvtException.prerequisite("cannot read busybox " + kit.busybox() + ": " + e.getMessage());
        }
        for (String applet : applets(kit.busybox())) {
            if (!applet.equals("busybox")) {
                fs.symlink("bin/" + applet, "busybox");
            }
        }
        fs.symlink("init", "bin/busybox");
        fs.file("etc/inittab", resource("inittab"), 0644);
        fs.file("etc/init.d/rcS", resource("rcS"), 0755);
        fs.file("etc/jvt/udhcpc.script", resource("udhcpc.script"), 0755);
        fs.file("sbin/jvt-agent", resource("jvt-agent"), 0755);
        fs.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
        fs.file("etc/group", "root:x:0:\n", 0644);
        fs.file("etc/hosts", "127.0.0.1 localhost\n", 0644);
        fs.file("etc/profile", "export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root\ncd /root\nPS1='\\h:\\w# '\n", 0644);
        fs.file("etc/jvt/layout", LAYOUT + "\n", 0644);

        List<String> wanted = new ArrayList<>();
        LinkedHashMap<String, byte[]> mods = new LinkedHashMap<>();
        if (kit.modules() != null) {
            KernelModules km = new KernelModules(kit.modules());
            for (String m : MODULES) {
                if (km.has(m)) {
                    wanted.add(m);
                }
            }
            mods.putAll(km.withDependencies(wanted, false));
            mods.putAll(km.withDependencies(additions.modules(), true));
        } else if (!additions.modules().isEmpty()) {
            throw JvtException.badInput("guest { module(...) } needs the kernel's modules: set JVT_MODULES");
        }
        StringBuilder order = new StringBuilder();
        for (Map.Entry<String, byte[]> e : mods.entrySet()) {
            fs.file("lib/modules/" + e.getKey(), e.getValue(), 0644);
            order.append(e.getKey()).append('\n');
        }
        fs.file("etc/jvt/modules", order.toString(), 0644);

        int n = 0;
        for (String script : additions.initScripts()) {
            fs.file(String.format("etc/jvt/init.d/%02d-scenario", n++), script, 0755);
        }
        for (GuestAdditions.GuestFile f : additions.files()) {
            fs.file(f.path(), f.data(), f.mode());
        }
        return fs;
    }

    private static final Map<Path, List<String>> APPLETS = new ConcurrentHashMap<>();

    static List<String> applets(Path busybox) {
        return APPLETS.computeIfAbsent(busybox, b -> {
            try {
                Process p = new ProcessBuilder(b.toString(), "--list").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                List<String> list = out.lines().map(String::trim).filter(s -> s.matches("[a-z0-9_.\\[\\]-]+")).sorted().toList();
                if (list.size() < 50) {
                    throw JvtException.prerequisite(b + " --list printed too few applets; is it busybox?");
                }
                return list;
            } catch (IOException e) {
                throw JvtException.prerequisite("cannot run " + b + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.infrastructure("interrupted");
            }
        });
    }

    static String resource(String name) {
        try (InputStream in = BuiltinGuest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
