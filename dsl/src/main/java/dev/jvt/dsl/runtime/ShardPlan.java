package dev.jvt.dsl.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * How {@code --shard I/N} splits scenario files: a pure function of the files' keys, their
 * weights and N. Longest first (ties by key), each file to the shard with the least weight so far
 * (ties to the lowest index). A file without a recorded duration weighs the mean of those with
 * one; with no durations at all every file weighs 1. Every file lands in exactly one shard; N may
 * exceed the number of files (the rest are empty).
 */
public final class ShardPlan {
    /** A scenario file, its weight in seconds, and whether that weight was measured or assumed. */
    public record Entry(String key, double weight, boolean measured) {
    }

    /** One shard: its files in run order (by key) and their total weight. */
    public record Shard(int index, int total, List<Entry> entries) {
        public double weight() {
            return entries.stream().mapToDouble(Entry::weight).sum();
        }
    }

    private final List<Shard> shards;

    private ShardPlan(List<Shard> shards) {
        this.shards = shards;
    }

    /** The weight of each key from {@code d}, unknown ones the mean of the known. */
    public static List<Entry> weigh(List<String> keys, Durations d) {
        double sum = 0;
        int known = 0;
        for (String k : keys) {
            double m = d.median(k);
            if (!Double.isNaN(m)) {
                sum += m;
                known++;
            }
        }
        double mean = known == 0 ? 1.0 : sum / known;
        List<Entry> out = new ArrayList<>();
        for (String k : keys.stream().distinct().sorted().toList()) {
            double m = d.median(k);
            out.add(Double.isNaN(m) ? new Entry(k, mean, false) : new Entry(k, m, true));
        }
        return out;
    }

    /** Longest-processing-time-first over {@code n} shards. */
    public static ShardPlan balanced(List<Entry> entries, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1");
        }
        List<Entry> order = new ArrayList<>(entries);
        order.sort(Comparator.comparingDouble(Entry::weight).reversed().thenComparing(Entry::key));
        List<List<Entry>> bins = new ArrayList<>();
        double[] load = new double[n];
        for (int i = 0; i < n; i++) {
            bins.add(new ArrayList<>());
        }
        for (Entry e : order) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (load[i] < load[best]) {
                    best = i;
                }
            }
            bins.get(best).add(e);
            load[best] += e.weight();
        }
        return of(bins, entries);
    }

    /** Round robin by key order: the split {@code --shard} made before durations (kept for comparison). */
    public static ShardPlan roundRobin(List<Entry> entries, int n) {
        List<Entry> order = new ArrayList<>(entries);
        order.sort(Comparator.comparing(Entry::key));
        List<List<Entry>> bins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bins.add(new ArrayList<>());
        }
        for (int k = 0; k < order.size(); k++) {
            bins.get(k % n).add(order.get(k));
        }
        return of(bins, entries);
    }

    private static ShardPlan of(List<List<Entry>> bins, List<Entry> entries) {
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < bins.size(); i++) {
            List<Entry> l = new ArrayList<>(bins.get(i));
            l.sort(Comparator.comparing(Entry::key));
            shards.add(new Shard(i + 1, bins.size(), List.copyOf(l)));
        }
        return new ShardPlan(List.copyOf(shards));
    }

    public List<Shard> shards() {
        return shards;
    }

    /** Shard {@code i} (1-based). */
    public Shard shard(int i) {
        return shards.get(i - 1);
    }

    /** The slowest shard's weight over the mean shard weight (1 is perfect balance). */
    public double imbalance() {
        double max = shards.stream().mapToDouble(Shard::weight).max().orElse(0);
        double mean = shards.stream().mapToDouble(Shard::weight).sum() / shards.size();
        return mean == 0 ? 1 : max / mean;
    }

    /** The plan as {@code jvt run --list} prints it; {@code mine} (1-based, 0 for none) is marked. */
    public String describe(String source, int mine) {
        List<Entry> entries = shards.stream().flatMap(s -> s.entries().stream()).toList();
        int files = entries.size();
        int measured = (int) entries.stream().filter(Entry::measured).count();
        double assumed = entries.stream().filter(e -> !e.measured()).mapToDouble(Entry::weight).findFirst().orElse(Double.NaN);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "jvt: %d file(s) in %d shard(s); weights from %s: %d measured", files, shards.size(), source, measured));
        if (measured < files) {
            sb.append(measured == 0 ? ", none recorded: equal weights"
                    : String.format(Locale.ROOT, ", %d given the mean %.1f s", files - measured, assumed));
        }
        sb.append(String.format(Locale.ROOT, "; slowest shard / mean %.2f%n", imbalance()));
        String unit = measured == 0 ? "  " : " s";   // equal weights are no seconds
        for (Shard s : shards) {
            sb.append(String.format(Locale.ROOT, "shard %d/%d  %8.1f%s  %d file(s)%s%n", s.index(), s.total(), s.weight(), unit, s.entries().size(),
                    s.index() == mine ? "   <- this shard" : ""));
            for (Entry e : s.entries()) {
                sb.append(String.format(Locale.ROOT, "  %-60s %8.1f%s%s%n", e.key(), e.weight(), unit,
                        e.measured() ? "" : measured == 0 ? "" : " (mean)"));
            }
        }
        return sb.toString();
    }
}
