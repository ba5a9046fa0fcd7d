package dev.jvt.dsl.cli;

import dev.jvt.engine.BootCache;
import dev.jvt.engine.JvtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jvt cache}: the boot cache's entries; {@code jvt cache prune} deletes them down to a size. */
@Command(name = "cache", description = "List the boot cache (booted machines kept across runs), or prune it.")
public final class CacheCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "prune", description = "prune: delete the least recently used entries down to --max (default: all).")
    String action;

    @Option(names = "--max", paramLabel = "SIZE", defaultValue = "0",
            description = "With prune: the size to keep, e.g. 1G, 500M; 0 deletes every entry. Default: ${DEFAULT-VALUE}.")
    String max;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (action == null) {
            List<Path> all = BootCache.entries();
            long total = 0;
            for (Path p : all) {
                long s = BootCache.size(p);
                total += s;
                String created = BootCache.lookup(p.getFileName().toString()).map(e -> e.created().toString().substring(0, 19)).orElse("?");
                out.printf(Locale.ROOT, "%s %7.1f MB  stored %s  last used %s%n", p.getFileName(), s / 1e6, created,
                        java.time.Instant.ofEpochMilli(p.resolve("entry.json").toFile().lastModified()).toString().substring(0, 19));
            }
            out.printf(Locale.ROOT, "%d boot(s), %.1f MB in %s (bound %.0f MB: JVT_BOOT_CACHE_MAX)%n", all.size(), total / 1e6, BootCache.root(),
                    BootCache.maxBytes() / 1e6);
            out.flush();
            return 0;
        }
        if (!action.equals("prune")) {
            throw JvtException.badInput("jvt cache: unknown action '" + action + "' (known: prune)");
        }
        int before = BootCache.entries().size();
        int gone = BootCache.prune(BootCache.parseSize(max));
        out.printf(Locale.ROOT, "%d boot(s) deleted, %d kept%n", gone, before - gone);
        out.flush();
        return 0;
    }
}
