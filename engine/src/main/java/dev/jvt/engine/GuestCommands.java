package dev.jvt.engine;

import dev.jvt.engine.channel.CommandChannel;
import dev.jvt.engine.channel.CommandTimeout;
import dev.jvt.engine.channel.NoChannel;
import dev.jvt.engine.events.Action;
import dev.jvt.engine.events.Events;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The command verbs of a machine ({@code execute}, {@code succeed}, {@code fail},
 * {@code waitUntilSucceeds}, {@code waitUntilFails}) over whichever {@link CommandChannel} it has:
 * each a step with its command as an attribute, each failure with the command's output and the
 * last console lines.
 */
final class GuestCommands {
    private final String machine;
    private final Events events;
    private final CommandChannel channel;
    private final BooleanSupplier started;
    private final Supplier<String> consoleTail;
    private final UnaryOperator<RuntimeException> explain;
    private volatile boolean setClock;
    private volatile boolean wholeSeconds;

    /**
     * @param started     whether the machine has a QEMU (else: "is not started")
     * @param consoleTail the last console lines, for timeouts
     * @param explain     turns a channel error into the QEMU exit behind it, when there is one
     */
    GuestCommands(String machine, Events events, CommandChannel channel, BooleanSupplier started, Supplier<String> consoleTail,
                  UnaryOperator<RuntimeException> explain) {
        this.machine = machine;
        this.events = events;
        this.channel = channel;
        this.started = started;
        this.consoleTail = consoleTail;
        this.explain = explain;
    }

    /** [status, stdout], like the NixOS driver. */
    List<Object> execute(String cmd, Duration timeout) {
        return events.step(action("execute", cmd), () -> {
            CommandChannel.Result r = run(cmd, timeout);
            return List.<Object>of(r.status(), r.stdout());
        });
    }

    /** Runs {@code cmd} once; fails unless its exit status is 0 ({@code success}) or not 0; returns stdout. */
    String expect(String verb, String cmd, Duration timeout, boolean success) {
        return events.step(action(verb, cmd), () -> {
            CommandChannel.Result r = run(cmd, timeout);
            if ((r.status() == 0) != success) {
                throw JvtException.testFailure(machine + (success ? ": command failed with exit code " + r.status() + ": "
                        : ": command succeeded but was expected to fail: ") + cmd + CommandOutput.describe(r));
            }
            return r.stdout();
        });
    }

    /** Retries {@code cmd} until its exit status is 0 ({@code success}) or not 0; returns its stdout. */
    String waitUntil(String verb, String cmd, Duration timeout, boolean success) {
        return events.step(action(verb, cmd), () -> {
            long t0 = System.nanoTime();
            CommandChannel.Result[] last = new CommandChannel.Result[1];
            int[] attempts = {0};
            return Retry.until("waiting for `" + cmd + "`", timeout, Duration.ofMillis(500), lastTry -> {
                attempts[0]++;
                try {
                    last[0] = run(cmd, Retry.remaining(t0, timeout));
                } catch (CommandTimeout e) {
                    throw timedOut(cmd, timeout, success, attempts[0], last[0]);
                }
                return (last[0].status() == 0) == success ? last[0].stdout() : null;
            }, gave -> timedOut(cmd, timeout, success, attempts[0], last[0]));
        });
    }

    private JvtException timedOut(String cmd, Duration timeout, boolean success, int attempts, CommandChannel.Result last) {
        return JvtException.testFailure(machine + ": timed out after " + Timeouts.human(timeout) + " waiting for `" + cmd
                + "` to " + (success ? "succeed" : "fail") + " (" + attempts + " attempts"
                + (last == null ? ")" : ", last exit code " + last.status() + ")" + CommandOutput.describe(last)));
    }

    private Action action(String verb, String cmd) {
        return Action.of(machine, verb).with("command", cmd);
    }

    /**
     * The guest's clock is wrong (a rewind, a restore): the next command sets it to the host's time
     * before it runs; {@code busybox}: with busybox's date, which takes whole seconds only.
     */
    void setClockBeforeNextCommand(boolean busybox) {
        wholeSeconds = busybox;
        setClock = true;
    }

    /**
     * The guest command that sets its clock to {@code millis} since the epoch, quietly: coreutils'
     * date takes the milliseconds, busybox's only whole seconds.
     */
    static String clockCommand(long millis, boolean busybox) {
        if (busybox) {
            return "date -u -s @" + millis / 1000 + " >/dev/null 2>&1";
        }
        return String.format(java.util.Locale.ROOT, "date -u -s @%d.%03d >/dev/null 2>&1 || date -u -s @%d >/dev/null 2>&1",
                millis / 1000, millis % 1000, millis / 1000);
    }

    /** Runs {@code cmd} without a step of its own (for verbs built on commands), the errors as for every command. */
    CommandChannel.Result run(String cmd, Duration timeout) {
        if (!started.getAsBoolean() && !(channel instanceof NoChannel)) {
            throw JvtException.testFailure(machine + ": is not started");
        }
        try {
            if (setClock) {
                // at the moment it is sent, not at the rewind: no round trip of its own
                setClock = false;
                long now = System.currentTimeMillis();
                return channel.run(clockCommand(now, wholeSeconds) + "\n" + cmd, timeout);
            }
            return channel.run(cmd, timeout);
        } catch (CommandTimeout e) {
            throw new CommandTimeout(machine, cmd, timeout, consoleTail.get());
        } catch (GuestFailureException e) {
            throw e;
        } catch (JvtException e) {
            throw explain.apply(e);
        }
    }
}
