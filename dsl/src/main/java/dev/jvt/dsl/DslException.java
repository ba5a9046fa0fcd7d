package dev.jvt.dsl;

import dev.jvt.engine.JvtException;

/** A mistake in a scenario script; the loader prefixes it with {@code file.groovy:LINE:}. */
public class DslException extends JvtException {
    public DslException(String message) {
        super(Kind.BAD_INPUT, message);
    }
}
