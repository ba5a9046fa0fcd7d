package dev.jvt.dsl.bench;

import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.image.ImageCache;
import dev.jvt.engine.image.ImageRecipe;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jvt bench guest}: a systemd Debian guest jvt built, from QEMU start to the first command's
 * answer (systemd finished booting) against a rewind to a snapshot up to the first answer; and
 * building the image from Debian's archive against finding it in the cache. The image is made
 * unique to this run (a file with the time), so the cold build is really cold; it is deleted after.
 */
public final class GuestBenchmark implements Benchmark {
    private final int rounds;

    public GuestBenchmark(int rounds) {
        this.rounds = rounds;
    }

    @Override
    public String name() {
        return "guest";
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        ImageRecipe recipe = new ImageRecipe("bookworm")
                .addFile("/etc/jvt-bench", Long.toString(System.nanoTime()).getBytes(StandardCharsets.US_ASCII), 0644);
        long t0 = System.nanoTime();
        ImageCache.ensure(recipe, line -> log.println("  build: " + line));
        double cold = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        ImageCache.ensure(recipe, line -> { });
        double cached = (System.nanoTime() - t1) / 1e9;
        log.printf("  image: built in %.1f s, found in the cache in %.3f s%n", cold, cached);
        log.flush();
        List<Double> boots = new ArrayList<>();
        List<Double> rewinds = new ArrayList<>();
        try (BenchEnvironment env = new BenchEnvironment("guest")) {
            for (int i = 0; i < rounds; i++) {
                try (Machine m = env.machine(new MachineConfig("debian").image(recipe).memory("512M"), "m" + i)) {
                    long b0 = System.nanoTime();
                    m.launch();
                    m.waitBooted();
                    m.succeed("true");
                    double boot = (System.nanoTime() - b0) / 1e9;
                    m.snapshot("bench");
                    double best = Double.MAX_VALUE;
                    for (int k = 0; k < 3; k++) {
                        m.succeed("touch /root/dirty");
                        long r0 = System.nanoTime();
                        m.rewind("bench");
                        m.succeed("true");
                        best = Math.min(best, (System.nanoTime() - r0) / 1e9);
                    }
                    if (m.execute("test -e /root/dirty").get(0).equals(0)) {
                        throw new IllegalStateException("rewind did not restore the guest");
                    }
                    boots.add(boot);
                    rewinds.add(best);
                    log.printf("  round %d: boot to first command %.2f s, rewind to first command %.3f s%n", i + 1, boot, best);
                    log.flush();
                }
            }
        } finally {
            ImageCache.prune(Duration.ZERO, recipe.name());
        }
        double boot = Stats.median(boots);
        double rewind = Stats.median(rewinds);
        return List.of(
                new Figure("guest", "systemd guest: boot / rewind (to first command answer)", rewind, boot, "s", boot / rewind, "higher"),
                new Figure("image-cache", "Debian image: build / found in cache", cached, cold, "s", cold / cached, "higher"));
    }
}
