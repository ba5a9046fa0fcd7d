package dev.jvt.engine.replay;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.Testbed;
import dev.jvt.engine.WorkFolder;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.guest.GuestKit;
import dev.jvt.engine.host.Prerequisites;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The symbol table of the built-in guest's kernel, taken from the kernel itself: Debian's kernel
 * package ships a stub System.map (the real one is in the 860 MB -dbg package), so jvt boots the
 * built-in guest once, reads its {@code /proc/kallsyms} and keeps it next to the kernel as
 * {@link KernelSymbols#cached}. The addresses carry that boot's KASLR shift;
 * {@link KernelSymbols#kaslrDelta} relates them to any later boot.
 */
public final class KallsymsCapture {
    private static final Logger LOG = LoggerFactory.getLogger(KallsymsCapture.class);
    /** A line of kallsyms whose address is not all zeros (kptr_restrict hides them as zeros). */
    private static final Pattern REAL_ADDRESS = Pattern.compile("(?m)^0*[1-9a-fA-F][0-9a-fA-F]*\\s+[tT]\\s");
    private static final Duration READ = Duration.ofSeconds(300);

    private KallsymsCapture() {
    }

    /**
     * The symbols of {@code kernel}, which must be the built-in guest's kernel: the cached capture,
     * or (first time) one boot of the built-in guest whose {@code /proc/kallsyms} is written
     * atomically to {@link KernelSymbols#cached} and parsed.
     */
    public static synchronized KernelSymbols capture(Path kernel) {
        Path file = KernelSymbols.cached(kernel);
        if (Files.isRegularFile(file)) {
            return KernelSymbols.load(file);
        }
        GuestKit kit = Prerequisites.guestKit();
        if (!sameFile(kernel, kit.kernel())) {
            throw JvtException.badInput("kallsyms can be captured only from the built-in guest's kernel " + kit.kernel()
                    + ", not " + kernel + " (put the kernel's System.map or kallsyms at " + file + ")");
        }
        String text = boot();
        KernelSymbols syms = KernelSymbols.parse(text.lines().toList());
        write(file, text);
        LOG.info("kernel symbols of {}: {} text symbols captured into {}", kernel, syms.size(), file);
        return KernelSymbols.load(file);
    }

    /** Boots one built-in guest, returns its /proc/kallsyms (with kptr_restrict lifted if it hides the addresses). */
    private static String boot() {
        Path dir;
        try {
            dir = WorkFolder.create("jvt-kallsyms-");
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot create a folder to boot a guest in: " + e.getMessage(), e);
        }
        Events events = new Events(new ScenarioRun("kallsyms", null, dir), List.of());
        try (Testbed bed = new Testbed(dir, events, RunOptions.DEFAULT)) {
            Machine m = bed.machine(new MachineConfig("kallsyms"));
            m.launch();
            m.waitBooted();
            String text = m.succeed("cat /proc/kallsyms", READ);
            if (!REAL_ADDRESS.matcher(text).find()) {
                text = m.succeed("echo 0 > /proc/sys/kernel/kptr_restrict && cat /proc/kallsyms", READ);
                if (!REAL_ADDRESS.matcher(text).find()) {
                    throw JvtException.infrastructure("the built-in guest's /proc/kallsyms shows only zero addresses, even with kptr_restrict 0");
                }
            }
            return text;
        } finally {
            WorkFolder.delete(dir);
        }
    }

    private static void write(Path file, String text) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + "-", ".tmp");
            Files.writeString(tmp, text);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--")); // like the kernel beside it
            } catch (UnsupportedOperationException e) {
                LOG.debug("no POSIX permissions on {}", tmp);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot write the kernel symbols to " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.debug("cannot remove {}", tmp, e);
                }
            }
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }
}
