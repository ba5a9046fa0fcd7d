package dev.jvt.dsl;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;

import java.time.Duration;
import java.util.List;

/**
 * Groovy conveniences on the machine handle: a timeout given as a number of seconds
 * ({@code box.succeed 'make', 600}, {@code box.waitForConsole ~/login:/, 30}). The engine takes a
 * {@link Duration}; this Groovy extension module (META-INF/groovy) adds the number forms wherever
 * the dsl artifact is on the class path: scenarios, the REPL and Spock specs.
 */
public final class MachineExtensions {
    private MachineExtensions() {
    }

    public static List<Object> execute(Machine self, String cmd, Number timeoutSeconds) {
        return self.execute(cmd, seconds(timeoutSeconds));
    }

    public static String succeed(Machine self, String cmd, Number timeoutSeconds) {
        return self.succeed(cmd, seconds(timeoutSeconds));
    }

    public static String fail(Machine self, String cmd, Number timeoutSeconds) {
        return self.fail(cmd, seconds(timeoutSeconds));
    }

    public static String waitUntilSucceeds(Machine self, String cmd, Number timeoutSeconds) {
        return self.waitUntilSucceeds(cmd, seconds(timeoutSeconds));
    }

    public static String waitUntilFails(Machine self, String cmd, Number timeoutSeconds) {
        return self.waitUntilFails(cmd, seconds(timeoutSeconds));
    }

    public static String waitForConsole(Machine self, Object pattern, Number timeoutSeconds) {
        return self.waitForConsole(pattern, seconds(timeoutSeconds));
    }

    public static void waitForUnit(Machine self, String unit, Number timeoutSeconds) {
        self.waitForUnit(unit, seconds(timeoutSeconds));
    }

    public static void waitForOpenPort(Machine self, int port, Number timeoutSeconds) {
        self.waitForOpenPort(port, seconds(timeoutSeconds));
    }

    public static void waitForClosedPort(Machine self, int port, Number timeoutSeconds) {
        self.waitForClosedPort(port, seconds(timeoutSeconds));
    }

    /** Seconds (fractions allowed) as a Duration. */
    public static Duration seconds(Number n) {
        if (n == null) {
            throw JvtException.badInput("timeout must be a number of seconds or a Duration");
        }
        return Duration.ofMillis(Math.round(n.doubleValue() * 1000));
    }
}
