package dev.jvt.engine.image;

import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Debian archive this host's apt uses (its {@code sources.list} and {@code .sources} files),
 * as the sources an image of another suite is built from: images come from where the host's own
 * packages come from, nowhere else.
 */
final class HostSources {
    private HostSources() {
    }

    /** One-line sources for {@code suite}: the main archive (suite and suite-updates) and its security archive, component main. */
    static String forSuite(String suite) throws IOException {
        Set<String> uris = uris(Path.of("/etc/apt"));
        String main = uris.stream().filter(u -> !u.contains("security")).findFirst().orElse(null);
        if (main == null) {
            throw JvtException.prerequisite("building a Debian image needs the host's apt sources to name a Debian archive; "
                    + "none found in /etc/apt/sources.list or /etc/apt/sources.list.d/");
        }
        StringBuilder sb = new StringBuilder();
        sb.append("deb ").append(main).append(' ').append(suite).append(" main\n");
        sb.append("deb ").append(main).append(' ').append(suite).append("-updates main\n");
        uris.stream().filter(u -> u.contains("security")).findFirst()
                .ifPresent(sec -> sb.append("deb ").append(sec).append(' ').append(suite).append("-security main\n"));
        return sb.toString();
    }

    /** Every archive URI named in the apt configuration under {@code etc} (one-line and deb822 formats). */
    static Set<String> uris(Path etc) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isRegularFile(etc.resolve("sources.list"))) {
            files.add(etc.resolve("sources.list"));
        }
        Path d = etc.resolve("sources.list.d");
        if (Files.isDirectory(d)) {
            try (Stream<Path> s = Files.list(d)) {
                s.filter(p -> p.toString().endsWith(".list") || p.toString().endsWith(".sources")).sorted().forEach(files::add);
            }
        }
        Set<String> uris = new LinkedHashSet<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f)) {
                String t = line.strip();
                if (t.startsWith("deb ")) {
                    for (String w : t.substring(4).strip().split("\\s+")) {
                        if (w.contains("://")) {  // after any [options]
                            uris.add(strip(w));
                            break;
                        }
                    }
                } else if (t.startsWith("URIs:")) {
                    for (String w : t.substring(5).strip().split("\\s+")) {
                        if (w.contains("://")) {
                            uris.add(strip(w));
                        }
                    }
                }
            }
        }
        return uris;
    }

    private static String strip(String uri) {
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }
}
