package dev.jvt.dsl.repl;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.replay.PausedReplay;

import java.lang.reflect.Method;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A machine as the time-travel REPL shows it: the reads of the machine handle (registers, the
 * monitor's info and memory reads, the console so far) work; everything else the handle has
 * ({@code succeed}, {@code sendConsole}, {@code change}, ...) is refused with the reason, since a
 * replay cannot be changed: the recording fixes the future.
 */
public final class ReplayHandle {
    private final PausedReplay replay;

    ReplayHandle(PausedReplay replay) {
        this.replay = replay;
    }

    public String getName() {
        return replay.machine();
    }

    public Map<String, BigInteger> registers() {
        return replay.registers();
    }

    /** A read-only monitor command: info …, x …, xp …, print …. */
    public String monitor(String command) {
        return replay.monitor(command);
    }

    /** The console the guest had written up to this point. */
    public String getConsole() {
        return replay.consoleText();
    }

    /** The last {@code n} lines of the console so far. */
    public String consoleTail(int n) {
        String[] lines = replay.consoleText().split("\n", -1);
        int from = Math.max(0, lines.length - n);
        return String.join("\n", Arrays.copyOfRange(lines, from, lines.length));
    }

    public long icount() {
        return replay.icount();
    }

    public String backtrace() {
        return replay.backtrace();
    }

    /** Every other method of the machine handle: refused, never sent to the guest. */
    public Object methodMissing(String name, Object args) {
        if (MACHINE_METHODS.contains(name)) {
            throw refusal(name);
        }
        throw new groovy.lang.MissingMethodException(name, ReplayHandle.class, args instanceof Object[] a ? a : new Object[]{args});
    }

    static JvtException refusal(String what) {
        return JvtException.badInput("'" + what + "' is refused in a replay: it would change the guest, and a replay can only show what "
                + "the recording holds (the recording fixes the future). To try things, open the scenario with jvt repl.");
    }

    static final Set<String> MACHINE_METHODS = machineMethods();

    private static Set<String> machineMethods() {
        Set<String> names = new TreeSet<>();
        for (Method m : Machine.class.getMethods()) {
            if (m.getDeclaringClass() != Object.class) {
                names.add(m.getName());
            }
        }
        return names;
    }

    @Override
    public String toString() {
        return replay.machine() + " (replay)";
    }

    /**
     * Console text as a terminal should show it: control characters other than newline and tab as
     * ^X (so a shell's escape sequence, such as busybox's cursor query {@code ESC[6n}, is shown, not
     * obeyed: a terminal would answer that one by typing into the REPL).
     */
    public static String visible(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
                b.append('^').append((char) (c ^ 0x40));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
