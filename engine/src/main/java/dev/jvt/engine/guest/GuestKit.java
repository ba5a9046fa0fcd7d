package dev.jvt.engine.guest;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.host.Apt;
import dev.jvt.engine.host.Host;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the built-in guest is made of: a kernel of the host distribution with its modules, and a
 * static busybox. The kernel comes from (in this order) {@code $JVT_KERNEL} (+ {@code $JVT_MODULES}),
 * jvt's cache, {@code /boot} with {@code /lib/modules} of the running kernel, or a
 * {@code apt-get download} of the distribution's kernel package unpacked into the cache (no root
 * needed, nothing written to /boot).
 */
public record GuestKit(Path kernel, Path modules, String kernelVersion, Path busybox) {
    private static final Logger LOG = LoggerFactory.getLogger(GuestKit.class);

    /** Debian/Ubuntu meta packages naming the current kernel, most specific first. */
    private static final List<String> KERNEL_META = List.of("linux-image-amd64", "linux-image-generic", "linux-image-virtual");

    /** Finds the kit, fetching the kernel package when {@code mayFetch}; throws a prerequisite error naming the fix. */
    public static GuestKit locate(boolean mayFetch) {
        Path busybox = findBusybox().orElseThrow(() -> JvtException.prerequisite(
                "no static busybox for the built-in guest (looked for $JVT_BUSYBOX, /bin/busybox, /usr/bin/busybox); fix: "
                        + "sudo apt-get install -y busybox-static"));
        Optional<Kernel> found = findKernel();
        if (found.isEmpty() && mayFetch) {
            try {
                found = fetchKernel();
            } catch (JvtException e) {
                throw JvtException.prerequisite(e.getMessage() + rootOnlyBootKernel());
            }
        }
        Kernel k = found.orElseThrow(() -> JvtException.prerequisite(
                "no Linux kernel for the built-in guest (looked at $JVT_KERNEL, " + kernelCache()
                        + ", /boot/vmlinuz-$(uname -r))" + rootOnlyBootKernel() + "; fix: run `sudo apt-get update` and then `./jvt doctor`, which downloads "
                        + String.join(" or ", KERNEL_META) + " into the cache (no root needed), or set JVT_KERNEL=/path/to/vmlinuz and JVT_MODULES=/path/to/lib/modules/VERSION"));
        return new GuestKit(k.kernel, k.modules, k.version, busybox);
    }

    private record Kernel(Path kernel, Path modules, String version) {
    }

    /**
     * When the running kernel's image in /boot exists but only root may read it (Ubuntu installs
     * it 0600): a sentence saying so and how to lift it; else "".
     */
    static String rootOnlyBootKernel() {
        return rootOnly(Path.of("/boot/vmlinuz-" + System.getProperty("os.version")));
    }

    static String rootOnly(Path boot) {
        if (!Files.exists(boot) || Files.isReadable(boot)) {
            return "";
        }
        return "\n" + boot + " exists but only root may read it (as Ubuntu installs it), so this user cannot boot it;"
                + " either let jvt download the kernel package into its cache (apt-get download, no root needed), or run"
                + " `sudo chmod 0644 " + boot + "` (or `sudo dpkg-statoverride --update --add root root 0644 " + boot + "` to keep it across kernel updates)";
    }

    public static Path kernelCache() {
        return Host.cacheDir().resolve("kernel");
    }

    public static Optional<Path> findBusybox() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("JVT_BUSYBOX");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("/bin/busybox"));
        candidates.add(Path.of("/usr/bin/busybox"));
        return candidates.stream().filter(p -> Files.isRegularFile(p) && isStatic(p)).findFirst();
    }

    /** True for an ELF executable without a program interpreter (statically linked). */
    public static boolean isStatic(Path elf) {
        try (RandomAccessFile f = new RandomAccessFile(elf.toFile(), "r")) {
            byte[] ident = new byte[16];
            f.readFully(ident);
            if (ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F' || ident[4] != 2 || ident[5] != 1) {
                return false;
            }
            f.seek(0x20);
            long phoff = Long.reverseBytes(f.readLong());
            f.seek(0x36);
            int phentsize = Short.toUnsignedInt(Short.reverseBytes(f.readShort()));
            int phnum = Short.toUnsignedInt(Short.reverseBytes(f.readShort()));
            for (int i = 0; i < phnum; i++) {
                f.seek(phoff + (long) i * phentsize);
                if (Integer.reverseBytes(f.readInt()) == 3) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            LOG.debug("cannot read {} as an ELF file; not a static executable", elf, e);
            return false;
        }
    }

    private static Optional<Kernel> findKernel() {
        String env = System.getenv("JVT_KERNEL");
        if (env != null && !env.isBlank()) {
            Path k = Path.of(env);
            if (!Files.isReadable(k)) {
                throw JvtException.prerequisite("JVT_KERNEL=" + env + " is not a readable file");
            }
            String mods = System.getenv("JVT_MODULES");
            Path m = mods != null && !mods.isBlank() ? Path.of(mods) : null;
            return Optional.of(new Kernel(k, m, m == null ? "unknown" : m.getFileName().toString()));
        }
        Optional<Kernel> cached = fromTree(kernelCache());
        if (cached.isPresent()) {
            return cached;
        }
        String release = System.getProperty("os.version");
        Path boot = Path.of("/boot/vmlinuz-" + release);
        Path mods = Path.of("/lib/modules/" + release);
        if (Files.isReadable(boot) && Files.isDirectory(mods.resolve("kernel"))) {
            return Optional.of(new Kernel(boot, mods, release));
        }
        return Optional.empty();
    }

    /** Looks for {@code <dir>/<pkg>/boot/vmlinuz-V} with {@code lib/modules/V}; the newest wins. */
    private static Optional<Kernel> fromTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> pkgs = Files.list(dir)) {
            return pkgs.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).flatMap(pkg -> {
                try (Stream<Path> boot = Files.list(pkg.resolve("boot"))) {
                    return boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).map(p -> {
                        String v = p.getFileName().toString().substring("vmlinuz-".length());
                        Path m = pkg.resolve("lib/modules").resolve(v);
                        if (!Files.isDirectory(m)) {
                            m = pkg.resolve("usr/lib/modules").resolve(v);
                        }
                        return Files.isDirectory(m) ? new Kernel(p, m, v) : null;
                    }).filter(java.util.Objects::nonNull).toList().stream();
                } catch (IOException e) {
                    LOG.debug("cannot list {}", pkg.resolve("boot"), e);
                    return Stream.empty();
                }
            }).findFirst();
        } catch (IOException e) {
            LOG.debug("cannot list {}", dir, e);
            return Optional.empty();
        }
    }

    /** apt-get download of the distribution's kernel (image and module packages), unpacked into the cache. */
    private static Optional<Kernel> fetchKernel() {
        if (!Apt.available()) {
            return Optional.empty();
        }
        for (String meta : KERNEL_META) {
            List<String> pkgs = Apt.depends(meta).stream()
                    .filter(p -> p.startsWith("linux-image-") || p.startsWith("linux-modules-")).toList();
            if (pkgs.isEmpty()) {
                continue;
            }
            try {
                Path cache = kernelCache();
                Files.createDirectories(cache);
                Path tmp = Files.createTempDirectory(cache, ".fetch-");
                Path tree = tmp.resolve("tree");
                Files.createDirectories(tree);
                for (String pkg : pkgs) {
                    Apt.Outcome o = Apt.download(pkg, tmp);
                    if (!o.ok()) {
                        throw JvtException.prerequisite("apt-get download " + pkg + " failed:\n" + o.output().strip()
                                + "\nfix: sudo apt-get update (the download needs the distribution's package mirror), then run ./jvt doctor again;"
                                + " or set JVT_KERNEL=/path/to/vmlinuz and JVT_MODULES=/path/to/lib/modules/VERSION to a kernel this user can read");
                    }
                }
                try (Stream<Path> debs = Files.list(tmp)) {
                    for (Path deb : debs.filter(p -> p.toString().endsWith(".deb")).toList()) {
                        Apt.Outcome x = Apt.run(List.of("dpkg-deb", "-x", deb.toString(), tree.toString()), null);
                        if (!x.ok()) {
                            throw JvtException.prerequisite("dpkg-deb -x " + deb + " failed: " + x.output());
                        }
                        Files.delete(deb);
                    }
                }
                Path target = cache.resolve(pkgs.get(0));
                if (Files.exists(target)) {
                    dev.jvt.engine.WorkFolder.deleteTree(target);
                }
                Files.move(tree, target);
                dev.jvt.engine.WorkFolder.deleteTree(tmp);
                return fromTree(cache);
            } catch (IOException e) {
                throw JvtException.prerequisite("cannot unpack the kernel package into " + kernelCache() + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }
}
