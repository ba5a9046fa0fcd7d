package dev.jvt.engine.image;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Shell;
import dev.jvt.engine.WorkFolder;
import dev.jvt.engine.host.Apt;
import dev.jvt.engine.host.Host;
import dev.jvt.engine.host.Prerequisites;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds a Debian image from a recipe with mmdebstrap and the host's apt sources: a minimal system
 * with systemd, a kernel, openssh-server and qemu-guest-agent, the jvt agent (a systemd service on
 * the virtio-serial port {@code jvt.cmd}) and a unit that sets up the NICs from the kernel command
 * line; then the recipe's packages, files and commands. The root file system becomes an ext4
 * image ({@code mkfs.ext4 -d}, no loop device), then a qcow2; kernel and initrd are copied out for
 * direct kernel boot.
 */
final class DebianImageBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(DebianImageBuilder.class);
    /** What every image has, besides the recipe's packages. */
    static final List<String> BASE = List.of("systemd-sysv", "udev", "linux-image-amd64", "openssh-server", "qemu-guest-agent",
            "iproute2", "procps");
    private static final String RESOURCES = "/dev/jvt/engine/image/";

    private DebianImageBuilder() {
    }

    /** Builds {@code recipe} into {@code out} (disk.qcow2, vmlinuz, initrd.img, ssh_host_ed25519_key.pub, packages.txt). */
    static void build(ImageRecipe recipe, Path out, Consumer<String> progress) throws IOException {
        requireRoot();
        Path work = Files.createDirectories(out.resolve("work"));
        Path root = work.resolve("root");
        Path staging = Files.createDirectories(work.resolve("staging"));
        stage(recipe, staging);
        Path sources = work.resolve("sources.list");
        Files.writeString(sources, HostSources.forSuite(recipe.suite()));
        List<String> cmd = new ArrayList<>(List.of("mmdebstrap", "--mode=root", "--variant=minbase", "--format=directory",
                "--include=" + String.join(",", packages(recipe)),
                "--customize-hook=sync-in " + staging + " /",
                "--customize-hook=chroot \"$1\" sh /usr/local/lib/jvt/setup-image"));
        for (String run : recipe.runs()) {
            cmd.add("--customize-hook=chroot \"$1\" sh -ec " + Shell.quote(run));
        }
        cmd.addAll(List.of(recipe.suite(), root.toString(), sources.toString()));
        progress.accept("mmdebstrap " + recipe.suite() + " with " + String.join(", ", packages(recipe)));
        run(cmd, progress, 45);
        copyBootFiles(root, out);
        Path pub = root.resolve("etc/ssh/ssh_host_ed25519_key.pub");
        if (Files.isRegularFile(pub)) {
            Files.copy(pub, out.resolve("ssh_host_ed25519_key.pub"));
        }
        Path raw = work.resolve("disk.raw");
        progress.accept("mkfs.ext4 -d (" + recipe.size() + ")");
        run(List.of("mkfs.ext4", "-q", "-F", "-L", "jvt-root", "-O", "^orphan_file", "-d", root.toString(), raw.toString(), recipe.size()), progress, 10);
        progress.accept("qemu-img convert to qcow2");
        run(List.of(Prerequisites.qemuImg().toString(), "convert", "-O", "qcow2", raw.toString(), out.resolve("disk.qcow2").toString()), progress, 10);
        WorkFolder.deleteTree(work);
    }

    /** The recipe's packages and what every image has. */
    static List<String> packages(ImageRecipe recipe) {
        Set<String> all = new LinkedHashSet<>(BASE);
        all.addAll(recipe.packages());
        return List.copyOf(all);
    }

    /** Root: mmdebstrap's root mode, and mkfs.ext4 -d keeps owners only when run as root. */
    private static void requireRoot() {
        if (!Apt.isRoot()) {
            throw JvtException.prerequisite("building a Debian image needs root (mmdebstrap --mode=root, and mkfs.ext4 -d keeps file owners"
                    + " only as root); fix: run jvt as root, e.g. sudo ./jvt run …");
        }
        if (Host.which("mmdebstrap") == null || Host.which("mkfs.ext4") == null) {
            Apt.Outcome o = Apt.install(List.of("mmdebstrap", "e2fsprogs"));
            if (!o.ok()) {
                throw JvtException.prerequisite("building a Debian image needs mmdebstrap and e2fsprogs: apt-get failed: "
                        + o.output().strip().lines().reduce((a, b) -> b).orElse("") + "; fix: sudo apt-get install -y mmdebstrap e2fsprogs");
            }
        }
    }

    /** The files jvt adds to every image, then the recipe's, into {@code staging} (copied over the root). */
    private static void stage(ImageRecipe recipe, Path staging) throws IOException {
        write(staging, "/usr/local/lib/jvt/jvt-agent", resource("jvt-agent.pl"), 0755);
        for (String f : List.of("jvt-net", "setup-image")) {
            write(staging, "/usr/local/lib/jvt/" + f, resource(f), 0755);
        }
        write(staging, "/etc/systemd/system/jvt-agent.service", resource("jvt-agent.service"), 0644);
        write(staging, "/etc/systemd/system/jvt-net.service", resource("jvt-net.service"), 0644);
        write(staging, "/etc/udev/rules.d/60-jvt-agent.rules", resource("60-jvt-agent.rules"), 0644);
        write(staging, "/etc/ssh/sshd_config.d/jvt.conf", resource("sshd-jvt.conf"), 0644);
        // jvt's own key, so machine.ssh() logs in as root without a password
        write(staging, "/root/.ssh/authorized_keys", (dev.jvt.engine.ssh.SshKeys.publicKey() + "\n").getBytes(StandardCharsets.US_ASCII), 0600);
        Files.setPosixFilePermissions(staging.resolve("root/.ssh"), permissions(0700));
        Files.setPosixFilePermissions(staging.resolve("root"), permissions(0700));
        for (ImageRecipe.FileEntry f : recipe.files()) {
            write(staging, f.path(), f.content(), f.mode());
        }
    }

    private static byte[] resource(String name) throws IOException {
        String path = name.startsWith("/") ? name : RESOURCES + name;
        try (InputStream in = DebianImageBuilder.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("missing resource " + path);
            }
            return in.readAllBytes();
        }
    }

    private static void write(Path staging, String path, byte[] content, int mode) throws IOException {
        Path target = staging.resolve(path.substring(1)).normalize();
        if (!target.startsWith(staging)) {
            throw JvtException.badInput("file '" + path + "' is outside the image");
        }
        Files.createDirectories(target.getParent());
        Files.write(target, content);
        Files.setPosixFilePermissions(target, permissions(mode));
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder sb = new StringBuilder();
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(sb.toString());
    }

    private static void copyBootFiles(Path root, Path out) throws IOException {
        Path boot = root.resolve("boot");
        Path kernel;
        Path initrd;
        try (Stream<Path> s = Files.list(boot)) {
            List<Path> files = s.sorted().toList();
            kernel = files.stream().filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).reduce((a, b) -> b).orElse(null);
            initrd = files.stream().filter(p -> p.getFileName().toString().startsWith("initrd.img-")).reduce((a, b) -> b).orElse(null);
        }
        if (kernel == null || initrd == null) {
            throw JvtException.infrastructure("the image has no kernel or initrd in /boot (linux-image-amd64 and initramfs-tools should have put them there)");
        }
        Files.copy(kernel, out.resolve("vmlinuz"));
        Files.copy(initrd, out.resolve("initrd.img"));
    }

    /** Runs {@code cmd}, each line it prints handed to {@code progress}; fails with its last lines. */
    private static void run(List<String> cmd, Consumer<String> progress, int minutes) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                LOG.debug("{}: {}", cmd.get(0), line);
                if (line.startsWith("I: ") || line.startsWith("E: ") || line.startsWith("W: ")) {
                    progress.accept(line);
                }
                tail.add(line);
                if (tail.size() > 20) {
                    tail.remove(0);
                }
            }
        }
        try {
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw JvtException.infrastructure(cmd.get(0) + " did not finish within " + minutes + " minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw JvtException.infrastructure("interrupted while running " + cmd.get(0));
        }
        if (p.exitValue() != 0) {
            throw JvtException.infrastructure(cmd.get(0) + " failed with exit code " + p.exitValue() + ":\n  " + String.join("\n  ", tail));
        }
    }
}
