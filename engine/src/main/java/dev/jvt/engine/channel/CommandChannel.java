package dev.jvt.engine.channel;

import dev.jvt.engine.qemu.QemuSession;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * How commands reach a guest and their results come back: the seam behind {@code succeed},
 * {@code fail}, {@code execute} and {@code waitUntilSucceeds}. The built-in guest's agent is the
 * first implementation ({@link AgentChannel} on virtio-serial, {@link UartAgentChannel} on a
 * second UART under {@code --record}); SSH, qemu-guest-agent and console-login channels plug in
 * here without the machine handle changing.
 *
 * <p>A channel outlives QEMU processes: the machine {@link #attach}es it to each new one (a boot,
 * a restart from a snapshot, a migration target) and {@link #resync}s it after a rewind.
 */
public interface CommandChannel {
    /** What a command returned. */
    record Result(int status, String stdout, String stderr, Duration duration) {
    }

    /**
     * Binds the channel to a newly started QEMU process of its machine.
     *
     * @param fresh the guest boots (wait for the channel's first sign of life) rather than
     *              continuing from a saved state where the channel was already up
     */
    void attach(QemuSession session, boolean fresh);

    /** Whether a command can be run now. */
    boolean isReady();

    /** Waits until a command can be run (the agent said hello, the login finished, ...). */
    void awaitReady(Duration timeout) throws TimeoutException;

    /**
     * Runs {@code command} in the guest and returns status and output; throws a
     * {@link CommandTimeout} naming the command when it does not finish within {@code timeout}.
     */
    Result run(String command, Duration timeout);

    /** Sends a command and does not wait for its answer (power-off: the guest side dies with it). */
    void send(String command);

    /**
     * The guest went back to a saved state (a rewind): requests in flight belong to a past that no
     * longer exists; forget them and be ready for the state the snapshot holds.
     */
    void resync();

    /** Fails every pending and later call with {@code cause} (failOn matched, QEMU died) until the next attach. */
    void abort(Throwable cause);

    /** A phrase for messages: "the built-in agent (virtio-serial port jvt.cmd)". */
    String describe();
}
