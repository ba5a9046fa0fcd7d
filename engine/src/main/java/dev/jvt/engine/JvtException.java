package dev.jvt.engine;

/**
 * Base of every error jvt reports to a user. Each kind maps to one exit code of {@code jvt run}
 * (see SPEC §3), so callers never guess from message text what went wrong.
 */
public class JvtException extends RuntimeException {

    /** What kind of failure this is; decides the exit code and how reports show it. */
    public enum Kind {
        /** The test's own expectation did not hold (a command failed, a wait timed out): exit 1. */
        TEST_FAILURE(1),
        /** The scenario or its configuration is wrong (bad keyword, missing file): exit 2. */
        BAD_INPUT(2),
        /** The host lacks something (QEMU, busybox, a kernel): exit 3. */
        PREREQUISITE(3),
        /** The machinery broke (QEMU died, disk full): exit 4. */
        INFRASTRUCTURE(4);

        public final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    private final Kind kind;

    public JvtException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public JvtException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static JvtException testFailure(String message) {
        return new JvtException(Kind.TEST_FAILURE, message);
    }

    public static JvtException badInput(String message) {
        return new JvtException(Kind.BAD_INPUT, message);
    }

    public static JvtException prerequisite(String message) {
        return new JvtException(Kind.PREREQUISITE, message);
    }

    public static JvtException infrastructure(String message) {
        return new JvtException(Kind.INFRASTRUCTURE, message);
    }

    public static JvtException infrastructure(String message, Throwable cause) {
        return new JvtException(Kind.INFRASTRUCTURE, message, cause);
    }

    /**
     * Writing {@code path} failed: "disk full: cannot write PATH (No space left on device)" when the
     * file system is full, else "cannot write PATH: why"; exit code 4 either way.
     */
    public static JvtException cannotWrite(String prefix, java.nio.file.Path path, Exception e) {
        String why = String.valueOf(e.getMessage());
        if (isDiskFull(e)) {
            return infrastructure(prefix + "disk full: cannot write " + path + " (No space left on device)", e);
        }
        return infrastructure(prefix + "cannot write " + path + ": " + why, e);
    }

    /** Whether {@code t} or one of its causes says the file system is full (ENOSPC, EDQUOT). */
    public static boolean isDiskFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** The kind of any throwable: ours carry one, an {@link AssertionError} is a test failure, the rest broke. */
    public static Kind kindOf(Throwable t) {
        if (t instanceof JvtException j) {
            return j.kind();
        }
        if (t instanceof AssertionError) {
            return Kind.TEST_FAILURE;
        }
        return Kind.INFRASTRUCTURE;
    }
}
