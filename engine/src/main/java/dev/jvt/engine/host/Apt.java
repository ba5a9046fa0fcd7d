package dev.jvt.engine.host;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The host's Debian package tools, used to install what jvt needs when it runs as root. */
public final class Apt {
    private static final Logger LOG = LoggerFactory.getLogger(Apt.class);

    private Apt() {
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name")) || "0".equals(run(List.of("id", "-u"), null).output().trim());
    }

    public static boolean available() {
        return Host.which("apt-get") != null;
    }

    /** What a command printed and how it exited. */
    public record Outcome(int status, String output) {
        public boolean ok() {
            return status == 0;
        }
    }

    public static Outcome run(List<String> cmd, Path dir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new Outcome(-1, "timed out: " + String.join(" ", cmd));
            }
            return new Outcome(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.debug("cannot run {}", String.join(" ", cmd), e);
            return new Outcome(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        }
    }

    /** {@code apt-get install -y PKGS}, running {@code apt-get update} first when the lists are stale. */
    public static Outcome install(List<String> packages) {
        List<String> cmd = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
        cmd.addAll(packages);
        Outcome first = run(cmd, null);
        if (first.ok()) {
            return first;
        }
        run(List.of("apt-get", "update", "-q"), null);
        return run(cmd, null);
    }

    /** {@code apt-get download PKG} into {@code dir}; updates the lists once when the package is unknown. */
    public static Outcome download(String pkg, Path dir) {
        Outcome o = run(List.of("apt-get", "download", pkg), dir);
        if (!o.ok() && isRoot()) {
            run(List.of("apt-get", "update", "-q"), null);
            o = run(List.of("apt-get", "download", pkg), dir);
        }
        return o;
    }

    /** The packages {@code pkg} depends on directly (apt-cache depends). */
    public static List<String> depends(String pkg) {
        Outcome o = run(List.of("apt-cache", "depends", pkg), null);
        if ((!o.ok() || !o.output().contains("Depends:")) && isRoot()) {
            run(List.of("apt-get", "update", "-q"), null);
            o = run(List.of("apt-cache", "depends", pkg), null);
        }
        List<String> deps = new ArrayList<>();
        if (!o.ok()) {
            return deps;
        }
        for (String line : o.output().split("\n")) {
            String t = line.trim();
            if (t.startsWith("Depends:")) {
                deps.add(t.substring("Depends:".length()).trim().replaceAll("[<>]", ""));
            }
        }
        return deps;
    }
}
