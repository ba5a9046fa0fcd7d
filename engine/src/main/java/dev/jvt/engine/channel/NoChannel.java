package dev.jvt.engine.channel;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.qemu.QemuSession;

import java.time.Duration;

/** A machine that boots its own kernel or disk: no command channel; every command says so. */
public final class NoChannel implements CommandChannel {
    private final String machine;

    public NoChannel(String machine) {
        this.machine = machine;
    }

    @Override
    public void attach(QemuSession session, boolean fresh) {
    }

    @Override
    public boolean isReady() {
        return false;
    }

    @Override
    public void awaitReady(Duration timeout) {
    }

    @Override
    public Result run(String command, Duration timeout) {
        throw JvtException.testFailure(machine + ": has no command channel (it boots its own kernel/disk); "
                + "use sendConsole/waitForConsole or SSH");
    }

    @Override
    public void send(String command) {
        run(command, Duration.ZERO);
    }

    @Override
    public void resync() {
    }

    @Override
    public void abort(Throwable cause) {
    }

    @Override
    public String describe() {
        return "no command channel";
    }
}
