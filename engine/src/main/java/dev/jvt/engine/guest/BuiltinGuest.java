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
import java.util.HexFormat;
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BuiltinGuest.class);

    private BuiltinGuest() {
    }

    /** The initramfs for {@code kit} plus {@code additions}; the same inputs give the same file. */
    public static Path image(GuestKit kit, GuestAdditions additions) {
        // Assembling (busybox --list, modules, 3 MB read) and hashing the archive take ~0.1 s each
        // time; a digest of the inputs (names, sizes, times, the small texts) finds the file built before.
        String recipe = recipe(kit, additions);
        Path dir = Host.cacheDir().resolve("guest");
        Path index = dir.resolve("recipe-" + recipe);
        Path known = RECIPES.get(recipe);
        if (known == null) {
            try {
                if (Files.isRegularFile(index)) {
                    Path p = dir.resolve(Files.readString(index).trim());
                    known = p.getParent().equals(dir) ? p : null;
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("cannot read {}; assembling the guest", index, e);
            }
        }
        if (known != null && Files.isRegularFile(known)) {
            RECIPES.put(recipe, known);
            return known;
        }
        Initramfs fs = assemble(kit, additions);
        String hash = fs.sha256();
        Path built = BUILT.computeIfAbsent(hash, h -> write(fs, h));
        RECIPES.put(recipe, built);
        try {
            Path tmp = Files.createTempFile(dir, ".recipe-", ".tmp");
            Files.writeString(tmp, built.getFileName() + "\n");
            Files.move(tmp, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.debug("cannot write {}; the next run assembles the guest again", index, e);
        }
        return built;
    }

    private static final Map<String, Path> RECIPES = new ConcurrentHashMap<>();

    /**
     * A digest of everything {@link #assemble} reads: the layout and module list, the texts it
     * adds, busybox and the module tree by path, size, time and inode, jvt's own jar the same way
     * (its code decides the layout), and the scenario's additions by content.
     */
    static String recipe(GuestKit kit, GuestAdditions additions) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            java.util.function.Consumer<String> put = t -> {
                md.update(t.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            };
            put.accept(LAYOUT);
            put.accept(String.join(",", MODULES));
            for (String r : List.of("inittab", "rcS", "udhcpc.script", "jvt-agent")) {
                put.accept(resource(r));
            }
            put.accept(stat(kit.busybox()));
            put.accept(String.valueOf(kit.kernelVersion()));
            if (kit.modules() != null) {
                put.accept(stat(kit.modules()));
                put.accept(stat(kit.modules().resolve("modules.dep")));
            }
            try {
                put.accept(stat(Path.of(BuiltinGuest.class.getProtectionDomain().getCodeSource().getLocation().toURI())));
            } catch (java.net.URISyntaxException | RuntimeException e) {
                put.accept("no code source");
            }
            for (GuestAdditions.GuestFile f : additions.files()) {
                put.accept("file " + f.path() + " " + f.mode() + " " + f.data().length);
                md.update(f.data());
            }
            additions.modules().forEach(m -> put.accept("module " + m));
            additions.initScripts().forEach(i -> put.accept("init " + i));
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String stat(Path p) {
        try {
            return Host.fileStamp(p);
        } catch (IOException e) {
            return p + " missing";
        }
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
