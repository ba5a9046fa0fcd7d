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

    public static Path create(Path base) throws IOException {
        Files.createDirectories(base);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
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
