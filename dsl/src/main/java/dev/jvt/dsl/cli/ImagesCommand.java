package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.image.ImageCache;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jvt images}: the images jvt built (cached by recipe); {@code jvt images prune} deletes old ones. */
@Command(name = "images", description = "List the images jvt built (in ~/.cache/jvt/images), or prune them.")
public final class ImagesCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "prune", description = "prune: delete images not used for --unused (default 7d).")
    String action;

    @Option(names = "--unused", paramLabel = "AGE", defaultValue = "7d",
            description = "With prune: how long unused, e.g. 7d, 12h, 0 (all). Default: ${DEFAULT-VALUE}.")
    String unused;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (action == null) {
            List<ImageCache.Entry> all = ImageCache.list();
            if (all.isEmpty()) {
                out.println("no images in " + ImageCache.dir());
            }
            for (ImageCache.Entry e : all) {
                String what = e.recipe().lines().filter(l -> l.startsWith("package ")).map(l -> l.substring(8)).reduce((a, b) -> a + ", " + b).orElse("");
                out.printf(Locale.ROOT, "%-34s %7.0f MB  last used %s  %s%n", e.name(), e.bytes() / 1e6, e.lastUsed().toString().substring(0, 19), what);
            }
            out.flush();
            return 0;
        }
        if (!action.equals("prune")) {
            throw JvtException.badInput("jvt images: unknown action '" + action + "' (known: prune)");
        }
        List<ImageCache.Entry> gone = ImageCache.prune(age(unused));
        gone.forEach(e -> out.printf(Locale.ROOT, "deleted %s (%.0f MB)%n", e.name(), e.bytes() / 1e6));
        out.printf(Locale.ROOT, "%d image(s) deleted, %d kept%n", gone.size(), ImageCache.list().size());
        out.flush();
        return 0;
    }

    static Duration age(String s) {
        try {
            if (s.equals("0")) {
                return Duration.ZERO;
            }
            char unit = s.charAt(s.length() - 1);
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (unit) {
                case 'd' -> Duration.ofDays(n);
                case 'h' -> Duration.ofHours(n);
                case 'm' -> Duration.ofMinutes(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw JvtException.badInput("jvt images prune --unused " + s + ": give an age such as 7d, 12h, 30m or 0");
        }
    }
}
