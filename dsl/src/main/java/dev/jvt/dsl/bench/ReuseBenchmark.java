package dev.jvt.dsl.bench;

import dev.jvt.engine.BootCache;
import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code jvt bench reuse}: whole {@code ./jvt run scenarios/hello.groovy} runs as a user types
 * them, each with an empty boot cache (cold: it boots and stores the boot) and then again (warm:
 * it restores); the boot step against the restore step inside them; and the time from typing the
 * command to QEMU's start against a bare JVM's start, in the same run.
 */
public final class ReuseBenchmark implements Benchmark {
    private static final Pattern BOOT = Pattern.compile(": waiting for boot \\(([0-9.]+) s\\)");
    private static final Pattern RESTORE = Pattern.compile(": restored from boot cache \\(([0-9.]+) s\\)");
    private final int rounds;

    public ReuseBenchmark(int rounds) {
        this.rounds = Math.max(1, rounds);
    }

    @Override
    public String name() {
        return "reuse";
    }

    /** One {@code jvt run}: its wall time, start to QEMU's exec, and the boot or restore step. */
    record Timing(double wall, double toExec, double step) {
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        Path home = Path.of(System.getProperty("jvt.home", ".")).toAbsolutePath();
        Path launcher = home.resolve("jvt");
        if (!Files.isExecutable(launcher)) {
            throw JvtException.badInput("jvt bench reuse times the ./jvt launcher; start it through " + launcher + " (jvt.home is " + home + ")");
        }
        Path dir = Files.createDirectories(Path.of("build", "jvt", "bench", "reuse-" + System.currentTimeMillis()).toAbsolutePath());
        Path cache = dir.resolve("boot-cache");
        List<Double> cold = new ArrayList<>(), warm = new ArrayList<>(), boots = new ArrayList<>(), restores = new ArrayList<>();
        List<Double> toExec = new ArrayList<>(), jvm = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            if (Files.isDirectory(cache)) {
                BootCache.remove(cache);
            }
            Timing c = runJvt(launcher, home, dir.resolve("cold-" + i), cache, BOOT);
            Timing w = runJvt(launcher, home, dir.resolve("warm-" + i), cache, RESTORE);
            double j = bareJvm();
            cold.add(c.wall());
            warm.add(w.wall());
            boots.add(c.step());
            restores.add(w.step());
            toExec.add(w.toExec());
            jvm.add(j);
            log.printf(java.util.Locale.ROOT, "  round %d: cold run %.2f s (boot %.2f s), warm run %.2f s (restore %.2f s), typed to QEMU exec %.2f s, bare JVM %.2f s%n",
                    i + 1, c.wall(), c.step(), w.wall(), w.step(), w.toExec(), j);
            log.flush();
        }
        // memory: two scenarios at -j 2, booted (no reuse) and restored, peak QEMU RSS summed
        List<String> pair = List.of(home.resolve("scenarios/hello.groovy").toString(), home.resolve("scenarios/snapshots.groovy").toString(), "-j", "2");
        double[] bootedRss = peakRss(launcher, dir.resolve("rss-booted"), cache, pair, true);
        double[] restoredRss = peakRss(launcher, dir.resolve("rss-restored"), cache, pair, false);
        double booted = bootedRss[1], restored = restoredRss[1];
        log.printf(java.util.Locale.ROOT, "  -j 2 (hello + snapshots), peak over all QEMUs: booted RSS %.0f MB (of it anonymous+shmem %.0f MB), restored RSS %.0f MB (anonymous+shmem %.0f MB; the rest is page cache of the stored memory file, which the kernel can drop)%n",
                bootedRss[0], bootedRss[1], restoredRss[0], restoredRss[1]);
        double mc = Stats.median(cold), mw = Stats.median(warm), mb = Stats.median(boots), mr = Stats.median(restores);
        double me = Stats.median(toExec), mj = Stats.median(jvm);
        return List.of(
                new Figure("reuse", "jvt run hello: cold (boots) / warm (restores)", mw, mc, "s", mc / mw, "higher"),
                new Figure("restore", "boot step / restore from the boot cache", mr, mb, "s", mb / mr, "higher"),
                new Figure("start", "typed to QEMU exec / a bare JVM's start", me, mj, "s", me / mj, "lower"),
                new Figure("rss", "QEMU memory at -j 2 (peak anonymous+shmem RSS, all QEMUs): booted / restored", restored, booted, "MB", booted / restored, "higher"));
    }

    private static Timing runJvt(Path launcher, Path home, Path out, Path cache, Pattern step) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "run", home.resolve("scenarios/hello.groovy").toString(), "--out", out.toString())
                .redirectErrorStream(true);
        pb.environment().put("JVT_BOOT_CACHE", cache.toString());
        Instant typed = Instant.now();
        long t0 = System.nanoTime();
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw JvtException.infrastructure("jvt bench reuse: ./jvt run hello failed:\n" + text);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        Matcher m = step.matcher(text);
        if (!m.find()) {
            throw JvtException.infrastructure("jvt bench reuse: the run shows no '" + step.pattern() + "' step:\n" + text);
        }
        Path cmdline;
        try (var s = Files.walk(out)) {
            cmdline = s.filter(f -> f.getFileName().toString().equals("qemu-cmdline.txt")).findFirst()
                    .orElseThrow(() -> JvtException.infrastructure("jvt bench reuse: no qemu-cmdline.txt in " + out));
        }
        // written just before QEMU is started
        double exec = Duration.between(typed, Files.getLastModifiedTime(cmdline).toInstant()).toNanos() / 1e9;
        return new Timing(wall, exec, Double.parseDouble(m.group(1)));
    }

    /**
     * Runs {@code ./jvt run ARGS} (with {@code --no-reuse} when {@code noReuse}; else once first so
     * that the cache holds the boots) and samples the RSS of its QEMU processes every 50 ms; the
     * peaks of their sums in MB: all of it, and the part that is anonymous or shared memory (what
     * the kernel cannot drop; file pages it can).
     */
    private static double[] peakRss(Path launcher, Path out, Path cache, List<String> args, boolean noReuse) throws IOException, InterruptedException {
        if (!noReuse) {
            List<String> prime = new ArrayList<>(List.of(launcher.toString(), "run", "--out", out + "-prime"));
            prime.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(prime).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("JVT_BOOT_CACHE", cache.toString());
            pb.start().waitFor(5, TimeUnit.MINUTES);
        }
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "run", "--out", out.toString()));
        if (noReuse) {
            cmd.add("--no-reuse");
        }
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile());
        pb.environment().put("JVT_BOOT_CACHE", cache.toString());
        Process p = pb.start();
        long peak = 0, peakAnon = 0;
        while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
            long[] kb = qemuRssKb(p);
            peak = Math.max(peak, kb[0]);
            peakAnon = Math.max(peakAnon, kb[1]);
        }
        if (p.exitValue() != 0) {
            throw JvtException.infrastructure("jvt bench reuse: " + String.join(" ", cmd) + " failed; see " + out + ".log");
        }
        return new double[] {peak / 1024.0, peakAnon / 1024.0};
    }

    /** The summed VmRSS and RssAnon+RssShmem (kB) of the QEMU processes below {@code jvt}. */
    static long[] qemuRssKb(Process jvt) {
        long sum = 0, anon = 0;
        for (ProcessHandle h : jvt.descendants().toList()) {
            if (!h.info().command().map(c -> c.contains("qemu-system")).orElse(false)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(h.pid()), "status"), StandardCharsets.ISO_8859_1)) {
                    if (line.startsWith("VmRSS:")) {
                        sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    } else if (line.startsWith("RssAnon:") || line.startsWith("RssShmem:")) {
                        anon += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        return new long[] {sum, anon};
    }

    /** A JVM that starts and exits ({@code java -version}, the launcher's flags): the floor of any start. */
    private static double bareJvm() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(java.toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor(1, TimeUnit.MINUTES);
        return (System.nanoTime() - t0) / 1e9;
    }
}
