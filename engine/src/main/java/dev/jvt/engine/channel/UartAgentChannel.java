package dev.jvt.engine.channel;

import dev.jvt.engine.JvtException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The built-in agent on a second UART ({@code ttyS1}), used under {@code --record}: QEMU 7.2
 * records only chardevs attached through {@code -serial}. A recorded UART's 16-byte FIFO has no
 * flow control, so a request goes in short lines ("C part"), each acknowledged by the agent ("A")
 * before the next is sent, then "E id seconds" runs it. Replies come back as on virtio-serial.
 */
public final class UartAgentChannel extends AgentChannel {
    /** Part of a request per acknowledged line: "C " + part + "\n" stays under the 16-byte FIFO. */
    static final int PART = 10;

    public UartAgentChannel(String machine) {
        super(machine);
    }

    @Override
    public String describe() {
        return "the built-in agent (second UART ttyS1, recorded)";
    }

    @Override
    protected void request(String id, long guestSeconds, String b64, long t0, Duration timeout, String script) {
        acks.drainPermits();
        for (int off = 0; off < b64.length(); off += PART) {
            write("C " + b64.substring(off, Math.min(b64.length(), off + PART)) + "\n");
            long left = timeout.toMillis() - (System.nanoTime() - t0) / 1_000_000;
            try {
                if (!acks.tryAcquire(Math.max(1, left), TimeUnit.MILLISECONDS)) {
                    throw new CommandTimeout(machine, script, timeout, " (the guest did not take the request)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.testFailure(machine + ": interrupted while sending: " + script);
            }
            if (fatal != null) {
                throw asRuntime(fatal);
            }
        }
        write("E " + id + " " + guestSeconds + "\n");
    }
}
