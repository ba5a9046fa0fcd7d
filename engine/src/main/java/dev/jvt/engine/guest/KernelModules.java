package dev.jvt.engine.guest;

import dev.jvt.engine.JvtException;
import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The modules of a kernel tree ({@code lib/modules/VERSION}), found by name, with their
 * dependencies read from each module's {@code .modinfo} ({@code depends=}), so no modules.dep
 * (which package extraction does not create) is needed. Handles .ko, .ko.xz and .ko.zst.
 */
public final class KernelModules {
    private final Path root;
    private final Map<String, Path> byName = new HashMap<>();

    public KernelModules(Path root) {
        this.root = root;
        try (Stream<Path> s = Files.walk(root.resolve("kernel"))) {
            s.filter(Files::isRegularFile).forEach(p -> {
                String n = p.getFileName().toString();
                int i = n.indexOf(".ko");
                if (i > 0) {
                    byName.putIfAbsent(canonical(n.substring(0, i)), p);
                }
            });
        } catch (IOException e) {
            throw JvtException.prerequisite("cannot read kernel modules under " + root + ": " + e.getMessage());
        }
    }

    static String canonical(String name) {
        return name.replace('-', '_');
    }

    public boolean has(String name) {
        return byName.containsKey(canonical(name));
    }

    /** A module with everything it depends on, dependencies first, each once; file name → bytes. */
    public LinkedHashMap<String, byte[]> withDependencies(List<String> names, boolean required) {
        LinkedHashMap<String, byte[]> out = new LinkedHashMap<>();
        for (String n : names) {
            add(canonical(n), out, required, new ArrayList<>());
        }
        return out;
    }

    private void add(String name, LinkedHashMap<String, byte[]> out, boolean required, List<String> path) {
        if (out.containsKey(name + ".ko") || path.contains(name)) {
            return;
        }
        Path file = byName.get(name);
        if (file == null) {
            if (required) {
                throw JvtException.badInput("kernel module '" + name + "' is not in " + root
                        + " (built into this kernel, or misspelt?)");
            }
            return;
        }
        byte[] data = read(file);
        path.add(name);
        for (String dep : depends(data)) {
            add(canonical(dep), out, true, path);
        }
        path.remove(name);
        out.put(name + ".ko", data);
    }

    static List<String> depends(byte[] ko) {
        byte[] key = "depends=".getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + key.length < ko.length; i++) {
            if (i > 0 && ko[i - 1] != 0) {
                continue;
            }
            for (int j = 0; j < key.length; j++) {
                if (ko[i + j] != key[j]) {
                    continue outer;
                }
            }
            int s = i + key.length;
            int e = s;
            while (e < ko.length && ko[e] != 0) {
                e++;
            }
            String v = new String(ko, s, e - s, StandardCharsets.US_ASCII).trim();
            return v.isEmpty() ? List.of() : List.of(v.split(","));
        }
        return List.of();
    }

    private static byte[] read(Path file) {
        try {
            byte[] raw = Files.readAllBytes(file);
            String n = file.getFileName().toString();
            if (n.endsWith(".xz")) {
                try (XZInputStream in = new XZInputStream(new ByteArrayInputStream(raw))) {
                    return in.readAllBytes();
                }
            }
            if (n.endsWith(".zst")) {
                Process p = new ProcessBuilder("zstd", "-dc", file.toString()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw JvtException.prerequisite("cannot decompress " + file + " (fix: sudo apt-get install -y zstd)");
                }
                return out;
            }
            return raw;
        } catch (IOException e) {
            if (file.getFileName().toString().endsWith(".zst")) {
                throw JvtException.prerequisite("cannot decompress " + file + ": " + e.getMessage() + " (fix: sudo apt-get install -y zstd)");
            }
            throw JvtException.prerequisite("cannot read kernel module " + file + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.infrastructure("interrupted while reading " + file);
        }
    }
}
