package dev.jvt.dsl;

import dev.jvt.engine.JvtException;

/**
 * A mistake in a scenario script; the loader prefixes it with {@code file.groovy:LINE:}, the line
 * being {@link #line()} when the error knows it (a check made after the block ran, about a keyword
 * further up), else the line of the script that was running.
 */
public class DslException extends JvtException {
    private final int line;

    public DslException(String message) {
        this(-1, message);
    }

    /** An error about what the script says at {@code line} (-1: unknown). */
    public DslException(int line, String message) {
        super(Kind.BAD_INPUT, message);
        this.line = line;
    }

    /** The line of the scenario file the error is about, or -1 when the stack tells. */
    public int line() {
        return line;
    }
}
