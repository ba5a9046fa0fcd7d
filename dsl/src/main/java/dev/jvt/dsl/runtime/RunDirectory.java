package dev.jvt.dsl.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** A new run directory {@code <base>/<yyyyMMdd-HHmmss>}, with {@code <base>/latest} pointing at it. */
public final class RunDirectory {
    private RunDirectory() {
    }

    /** A scenario's (or spec's) folder name in a run directory: its name as a lower-case slug of at most 60 characters. */
    public static String folderName(String name) {
        String s = name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return s.isEmpty() ? "scenario" : s.length() > 60 ? s.substring(0, 60) : s;
    }

    public static Path create(Path base) throws IOException {
        return create(base, "");
    }

    /** As {@link #create(Path)}, the folder named {@code <yyyyMMdd-HHmmss><suffix>} (a shard's {@code -shard-2-of-4}). */
    public static Path create(Path base, String suffix) throws IOException {
        Files.createDirectories(base);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + suffix;
        Path dir = base.resolve(stamp);
        for (int n = 2; Files.exists(dir); n++) {
            dir = base.resolve(stamp + "-" + n);
        }
        Files.createDirectories(dir);
        Path latest = base.resolve("latest");
        try {
            Files.deleteIfExists(latest);
            Files.createSymbolicLink(latest, dir.getFileName());
        } catch (IOException | UnsupportedOperationException ignored) {
            // a convenience only
        }
        return dir;
    }
}
