package dev.jvt.engine;

import java.time.Duration;

/**
 * Named defaults for every blocking call. Each can be overridden per call; the whole set can be
 * scaled with the system property {@code jvt.timeoutScale} (or env {@code JVT_TIMEOUT_SCALE}),
 * e.g. 3 on a slow or heavily loaded host.
 */
public final class Timeouts {
    private Timeouts() {
    }

    /** From QEMU start until every expectConsole pattern appeared and the command channel answered. */
    public static final Duration BOOT = scaled(Duration.ofSeconds(180));
    /** One command run by succeed/fail/execute. */
    public static final Duration COMMAND = scaled(Duration.ofSeconds(120));
    /** waitUntilSucceeds / waitUntilFails, all attempts together. */
    public static final Duration WAIT_UNTIL = scaled(Duration.ofSeconds(120));
    /** waitForConsole. */
    public static final Duration CONSOLE = scaled(Duration.ofSeconds(60));
    /** One QMP or monitor command. */
    public static final Duration MONITOR = scaled(Duration.ofSeconds(60));
    /** A clean power-off until QEMU exits. */
    public static final Duration SHUTDOWN = scaled(Duration.ofSeconds(60));

    public static double scale() {
        String s = System.getProperty("jvt.timeoutScale", System.getenv("JVT_TIMEOUT_SCALE"));
        if (s == null || s.isBlank()) {
            return 1.0;
        }
        try {
            return Math.max(0.01, Double.parseDouble(s.trim()));
        } catch (NumberFormatException e) {
            return 1.0;
        }
    }

    public static Duration scaled(Duration d) {
        return Duration.ofMillis((long) (d.toMillis() * scale()));
    }

    /** "3.2 s", "120 ms": how long a wait lasted, for messages. */
    public static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
