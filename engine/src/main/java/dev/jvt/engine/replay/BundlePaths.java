package dev.jvt.engine.replay;

import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A bundle comes from elsewhere (a colleague's archive, a CI artifact): nothing its manifest says
 * is used as a host path unchecked. Every file a manifest field names must resolve inside the
 * bundle folder, after normalising and after following symbolic links; every path on a recorded
 * command line must lie in the bundle or in the replay's private work folder; a command line that
 * would make QEMU run a program ({@code exec:}, netdev scripts) is refused. A refusal is bad input
 * (exit 2) naming the manifest and the field.
 */
public final class BundlePaths {
    /** Options whose next argument is a file QEMU opens. */
    private static final Set<String> FILE_OPTIONS = Set.of("-kernel", "-initrd", "-bios", "-dtb", "-pflash", "-hda", "-hdb", "-hdc", "-hdd",
            "-cdrom", "-fda", "-fdb", "-mtdblock", "-sd", "-option-rom", "-pidfile", "-D", "-L", "-mem-path");
    /** Option keys ({@code key=value}) whose value is a file or socket QEMU opens. */
    private static final Set<String> FILE_KEYS = Set.of("file", "path", "rrfile", "mem-path", "addr.path", "filename", "logfile",
            "script", "downscript", "helper", "smb", "tftp", "bootfile", "romfile", "x509-dir", "dir", "socket", "fd");
    /** Options a recording never has, that would run host code, change who QEMU runs as, or read more options from a file. */
    private static final Set<String> REFUSED_OPTIONS = Set.of("-plugin", "-readconfig", "-writeconfig", "-daemonize", "-runas", "-chroot", "-add-fd");
    private static final Pattern BINARY = Pattern.compile("qemu-system-[a-z0-9_]{1,20}");

    private BundlePaths() {
    }

    /**
     * The file that field {@code field} of {@code manifest} names ({@code relative} to the bundle
     * folder {@code bundle}), or a bad-input error when it is absolute or leads outside the bundle,
     * literally or through a symbolic link.
     */
    public static Path inside(Path bundle, String relative, Path manifest, String field) {
        if (relative == null || relative.isBlank()) {
            throw refuse(manifest, field, "is empty");
        }
        Path rel = Path.of(relative);
        if (rel.isAbsolute()) {
            throw refuse(manifest, field, "names the absolute path '" + relative + "' (a bundle names its files relative to itself)");
        }
        Path base = bundle.toAbsolutePath().normalize();
        Path f = base.resolve(rel).normalize();
        if (!f.startsWith(base) || f.equals(base)) {
            throw refuse(manifest, field, "names '" + relative + "', which is outside the bundle " + base);
        }
        return checkReal(base, f, manifest, field, relative);
    }

    /** {@code f} (inside {@code base} by name) still inside once links are followed (a file that does not exist yet: its folder). */
    private static Path checkReal(Path base, Path f, Path manifest, String field, String named) {
        try {
            Path realBase = base.toRealPath();
            Path existing = f;
            while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return f;
            }
            if (Files.isSymbolicLink(existing) && !Files.exists(existing)) {
                throw refuse(manifest, field, "names '" + named + "', a symbolic link that leads nowhere");
            }
            Path real = existing.toRealPath();
            if (!real.startsWith(realBase)) {
                throw refuse(manifest, field, "names '" + named + "', which leads outside the bundle through a symbolic link (to " + real + ")");
            }
            return f;
        } catch (IOException e) {
            throw refuse(manifest, field, "names '" + named + "', which cannot be resolved: " + e.getMessage());
        }
    }

    /**
     * Checks a recorded command line after {@code ${BUNDLE}} and {@code ${WORK}} were put in:
     * the binary is a {@code qemu-system-ARCH}, every file or socket it names lies in {@code bundle}
     * or {@code work}, and nothing on it runs a program.
     */
    public static void checkArgv(Path bundle, Path work, List<String> argv, Path manifest, String field) {
        if (argv.isEmpty() || !BINARY.matcher(Path.of(argv.get(0)).getFileName().toString()).matches()
                || (argv.get(0).contains("/") && !argv.get(0).startsWith("/"))) {
            throw refuse(manifest, field, "does not start with a qemu-system-ARCH binary: '" + (argv.isEmpty() ? "" : argv.get(0)) + "'");
        }
        Path b = bundle.toAbsolutePath().normalize();
        Path w = work.toAbsolutePath().normalize();
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.contains("exec:")) {
                throw refuse(manifest, field, "has '" + a + "': QEMU would run a program (exec:)");
            }
            if (REFUSED_OPTIONS.contains(a.replaceFirst("^--", "-"))) {
                throw refuse(manifest, field, "has '" + a + "', which a recording never has");
            }
            String option = argv.get(i - 1);
            if (option.equals("-append") || option.equals("-name")) {
                // the kernel's command line and the process name: text for the guest, not files of the host
                continue;
            }
            if (FILE_OPTIONS.contains(option)) {
                checkArgPath(b, w, a, manifest, field);
            }
            for (String part : a.split("(?<!,),(?!,)")) {
                int eq = part.indexOf('=');
                String key = eq > 0 ? part.substring(0, eq) : "";
                String value = (eq > 0 ? part.substring(eq + 1) : part).replace(",,", ",");
                if ((key.equals("script") || key.equals("downscript")) && value.equals("no")) {
                    continue;
                }
                if (key.equals("fd") || key.equals("helper") || key.equals("smb")) {
                    throw refuse(manifest, field, "has '" + a + "': " + key + "= is not something a recording needs");
                }
                String unprefixed = value.matches("(unix|file):.*") ? value.substring(value.indexOf(':') + 1) : value;
                if (FILE_KEYS.contains(key) && !unprefixed.isEmpty()) {
                    checkArgPath(b, w, unprefixed, manifest, field);
                } else if (unprefixed.startsWith("/") || value.startsWith("unix:") || value.startsWith("file:")) {
                    checkArgPath(b, w, unprefixed, manifest, field);
                }
            }
        }
    }

    private static void checkArgPath(Path bundle, Path work, String value, Path manifest, String field) {
        if (!value.startsWith("/")) {
            throw refuse(manifest, field, "names the file '" + value + "' relative to wherever jvt runs (a bundle names ${BUNDLE}/... or ${WORK}/...)");
        }
        Path p = Path.of(value).normalize();
        if (p.startsWith(bundle) && !p.equals(bundle)) {
            checkReal(bundle, p, manifest, field, value);
        } else if (p.startsWith(work) && !p.equals(work)) {
            checkReal(work, p, manifest, field, value);
        } else {
            throw refuse(manifest, field, "names '" + value + "', which is neither in the bundle nor in the replay's private folder");
        }
    }

    private static JvtException refuse(Path manifest, String field, String why) {
        return JvtException.badInput("jvt replay: " + manifest + ": " + field + " " + why + ": refused");
    }
}
