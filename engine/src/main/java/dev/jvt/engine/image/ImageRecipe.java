package dev.jvt.engine.image;

import dev.jvt.engine.JvtException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a disk image jvt builds is made of: a Debian suite, extra packages, files, commands run
 * inside it, its size. Two recipes with the same content have the same {@link #key()}, which names
 * the built image in the cache: the same recipe is never built twice.
 */
public final class ImageRecipe {
    /** Changes whenever what jvt puts into every image changes, so older cached images are not reused. */
    public static final int FORMAT = 2;
    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{1,30}");
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    private static final Pattern SIZE = Pattern.compile("(\\d+)([MG])");

    /** A file written into the image, with its mode. */
    public record FileEntry(String path, byte[] content, int mode) {
    }

    private final String suite;
    private final TreeSet<String> packages = new TreeSet<>();
    private final List<FileEntry> files = new ArrayList<>();
    private final List<String> runs = new ArrayList<>();
    private String size = "2G";

    public ImageRecipe(String suite) {
        if (suite == null || !SUITE.matcher(suite).matches()) {
            throw JvtException.badInput("debian('" + suite + "'): not a Debian suite name (e.g. 'bookworm')");
        }
        this.suite = suite;
    }

    public String suite() {
        return suite;
    }

    public List<String> packages() {
        return List.copyOf(packages);
    }

    public List<FileEntry> files() {
        return List.copyOf(files);
    }

    public List<String> runs() {
        return List.copyOf(runs);
    }

    /** The file system size: "2G", "1536M". */
    public String size() {
        return size;
    }

    public ImageRecipe addPackage(String name) {
        if (name == null || !PACKAGE.matcher(name).matches()) {
            throw JvtException.badInput("packages: '" + name + "' is not a Debian package name");
        }
        packages.add(name);
        return this;
    }

    public ImageRecipe addFile(String path, byte[] content, int mode) {
        if (path == null || !path.startsWith("/") || path.contains("/../") || path.endsWith("/..")) {
            throw JvtException.badInput("file: '" + path + "' must be an absolute path inside the image");
        }
        if (mode < 0 || mode > 07777) {
            throw JvtException.badInput("file '" + path + "': mode " + Integer.toOctalString(mode) + " is not a file mode (e.g. 0644)");
        }
        files.add(new FileEntry(path, content.clone(), mode));
        return this;
    }

    public ImageRecipe addRun(String command) {
        if (command == null || command.isBlank()) {
            throw JvtException.badInput("run: the command is empty");
        }
        runs.add(command);
        return this;
    }

    public ImageRecipe size(String s) {
        if (s == null || !SIZE.matcher(s.toUpperCase(Locale.ROOT)).matches()) {
            throw JvtException.badInput("size '" + s + "': give megabytes or gigabytes, e.g. '2G' or '1536M'");
        }
        long mib = sizeMiB(s);
        if (mib < 512 || mib > 64 * 1024) {
            throw JvtException.badInput("size '" + s + "': an image is 512M to 64G");
        }
        this.size = s.toUpperCase(Locale.ROOT);
        return this;
    }

    static long sizeMiB(String s) {
        var m = SIZE.matcher(s.toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(s);
        }
        long n = Long.parseLong(m.group(1));
        return m.group(2).equals("G") ? n * 1024 : n;
    }

    /** Everything that determines the image, one item a line (what {@link #key()} hashes). */
    public String canonical() {
        StringBuilder sb = new StringBuilder();
        sb.append("format ").append(FORMAT).append('\n');
        sb.append("debian ").append(suite).append('\n');
        sb.append("size ").append(size).append('\n');
        packages.forEach(p -> sb.append("package ").append(p).append('\n'));
        for (FileEntry f : files) {
            sb.append("file ").append(f.path()).append(' ').append(Integer.toOctalString(f.mode())).append(' ')
                    .append(Base64.getEncoder().encodeToString(f.content())).append('\n');
        }
        runs.forEach(r -> sb.append("run ").append(Base64.getEncoder().encodeToString(r.getBytes(StandardCharsets.UTF_8))).append('\n'));
        return sb.toString();
    }

    /** The first 16 hex digits of the SHA-256 of {@link #canonical()}. */
    public String key() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "debian-bookworm-0123456789abcdef". */
    public String name() {
        return "debian-" + suite + "-" + key();
    }

    @Override
    public String toString() {
        return "debian('" + suite + "')" + (packages.isEmpty() ? "" : " with " + String.join(", ", packages));
    }
}
