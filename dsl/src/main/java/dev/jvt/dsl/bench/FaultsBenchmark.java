package dev.jvt.dsl.bench;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jvt bench faults}: every fault of {@link InjectedFaults} injected into a real run, and
 * the bad-input corpus; prints faults injected / survived, bad inputs tried / clearly reported,
 * QEMU processes left after the faults (must be 0) and bytes of user images changed (must be 0).
 * {@code --rounds} does not apply: each fault is injected once.
 */
public final class FaultsBenchmark implements Benchmark {

    public FaultsBenchmark(int rounds) {
        // one injection per fault: what is counted is survival, not time
    }

    @Override
    public String name() {
        return "faults";
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        Path home = Path.of(System.getProperty("jvt.home", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("jvt-bench-faults-");
        int injected = 0;
        int survived = 0;
        int left = 0;
        long changed = 0;
        for (InjectedFaults.Fault f : InjectedFaults.all()) {
            if (!InjectedFaults.injectable(f)) {
                log.println("  " + f.name() + ": not injected on this host (needs root for a tmpfs)");
                continue;
            }
            long t0 = System.nanoTime();
            InjectedFaults.Outcome o = InjectedFaults.inject(f, home, work);
            injected++;
            survived += o.survived() ? 1 : 0;
            left += o.qemuLeft();
            changed += o.imageBytesChanged();
            log.printf(java.util.Locale.ROOT, "  %-42s %s (exit %d, %.1f s)%n", f.name(), o.survived() ? "survived" : "NOT SURVIVED: " + o.detail(),
                    o.exitCode(), (System.nanoTime() - t0) / 1e9);
            log.flush();
        }
        dev.jvt.engine.WorkFolder.deleteTree(work);
        long t0 = System.nanoTime();
        String cache = System.getProperty("jvt.scriptCache");
        System.setProperty("jvt.scriptCache", "off");   // one-off scripts would evict the stored ones
        BadInputCorpus.Result corpus;
        try {
            corpus = BadInputCorpus.run(BadInputCorpus.folder(home));
        } finally {
            if (cache == null) {
                System.clearProperty("jvt.scriptCache");
            } else {
                System.setProperty("jvt.scriptCache", cache);
            }
        }
        int corpusLeft = dev.jvt.engine.qemu.ProcessLauncher.liveCount();
        log.printf(java.util.Locale.ROOT, "  bad-input corpus: %s (%.1f s)%n", corpus.summary(),
                (System.nanoTime() - t0) / 1e9);
        for (BadInputCorpus.Outcome o : corpus.unclear()) {
            log.println("    " + o);
        }
        List<Figure> out = new ArrayList<>();
        out.add(new Figure("faults", "faults survived / injected", survived, injected, "n", injected == 0 ? 0 : (double) survived / injected, "higher"));
        out.add(new Figure("bad-inputs", "bad inputs clearly reported / tried", corpus.clearlyReported(), corpus.tried(), "n",
                corpus.tried() == 0 ? 0 : (double) corpus.clearlyReported() / corpus.tried(), "higher"));
        out.add(new Figure("qemu-left", "QEMU processes left (faults, bad inputs) / faults", left + corpusLeft, injected, "n", injected == 0 ? 0 : (double) (left + corpusLeft) / injected, "lower"));
        out.add(new Figure("image-bytes", "user-image bytes changed / bytes at risk", changed, 8L << 20, "B", changed / (double) (8L << 20), "lower"));
        return out;
    }
}
