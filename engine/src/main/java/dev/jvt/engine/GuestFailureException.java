package dev.jvt.engine;

/**
 * A {@code failOn} pattern appeared on a machine's console. It fails the running test and stops
 * the rest of its scenario at once.
 */
public final class GuestFailureException extends JvtException {
    private final String machine;
    private final String line;

    public GuestFailureException(String machine, String pattern, String line, String lastLines) {
        super(Kind.TEST_FAILURE, machine + ": console matched failOn /" + pattern + "/: " + line
                + "\nlast console lines of " + machine + ":\n" + lastLines);
        this.machine = machine;
        this.line = line;
    }

    public String machine() {
        return machine;
    }

    public String line() {
        return line;
    }
}
