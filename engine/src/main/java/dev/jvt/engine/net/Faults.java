package dev.jvt.engine.net;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The faults a test put on one network: cuts between groups of machines, machines whose link is
 * down, random loss and added delay. Immutable; what {@link Network#faults()} returns.
 *
 * @param cuts        each pair of groups that cannot reach each other
 * @param down        machines whose link is down (nothing goes to or from them)
 * @param lossPercent share of frames dropped at random, 0–100
 * @param delay       added to every frame's way through the switch
 */
public record Faults(List<Cut> cuts, Set<String> down, double lossPercent, Duration delay) {
    /** No faults: the network as declared. */
    public static final Faults NONE = new Faults(List.of(), Set.of(), 0, Duration.ZERO);

    /** Machines in {@code a} cannot reach machines in {@code b}, and the other way round. */
    public record Cut(Set<String> a, Set<String> b) {
        public Cut {
            a = Set.copyOf(new TreeSet<>(a));
            b = Set.copyOf(new TreeSet<>(b));
        }

        boolean separates(String x, String y) {
            return a.contains(x) && b.contains(y) || b.contains(x) && a.contains(y);
        }

        @Override
        public String toString() {
            return new TreeSet<>(a) + " | " + new TreeSet<>(b);
        }
    }

    public Faults {
        cuts = List.copyOf(cuts);
        down = Set.copyOf(down);
    }

    Faults withCut(Cut c) {
        List<Cut> l = new ArrayList<>(cuts);
        l.add(c);
        return new Faults(l, down, lossPercent, delay);
    }

    Faults withLink(String machine, boolean up) {
        Set<String> d = new TreeSet<>(down);
        if (up) {
            d.remove(machine);
        } else {
            d.add(machine);
        }
        return new Faults(cuts, d, lossPercent, delay);
    }

    Faults withLoss(double percent) {
        return new Faults(cuts, down, percent, delay);
    }

    Faults withDelay(Duration d) {
        return new Faults(cuts, down, lossPercent, d);
    }

    /** Whether a frame from machine {@code from} may reach machine {@code to}. */
    boolean allows(String from, String to) {
        if (down.contains(from) || down.contains(to)) {
            return false;
        }
        for (Cut c : cuts) {
            if (c.separates(from, to)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        if (equals(NONE)) {
            return "no faults";
        }
        List<String> parts = new ArrayList<>();
        cuts.forEach(c -> parts.add("partition " + c));
        if (!down.isEmpty()) {
            parts.add("link down " + new TreeSet<>(down));
        }
        if (lossPercent > 0) {
            parts.add("loss " + lossPercent + "%");
        }
        if (!delay.isZero()) {
            parts.add("delay " + delay.toMillis() + " ms");
        }
        return String.join(", ", parts);
    }
}
