package dev.jvt.engine.channel;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Timeouts;

import java.time.Duration;

/** A command that did not finish in time; the machine adds the console lines. */
public final class CommandTimeout extends JvtException {
    public CommandTimeout(String machine, String script, Duration timeout) {
        this(machine, script, timeout, "");
    }

    public CommandTimeout(String machine, String script, Duration timeout, String detail) {
        super(Kind.TEST_FAILURE, machine + ": command did not finish within " + Timeouts.human(timeout) + ": " + script + detail);
    }
}
