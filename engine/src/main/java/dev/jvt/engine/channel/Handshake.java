package dev.jvt.engine.channel;

import dev.jvt.engine.JvtException;

import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/** The first contact of a channel with its guest (a login, a sync), run under the channel's lock. */
final class Handshake {
    private Handshake() {
    }

    /** The guest never answered: the machine reports it as a boot timeout, with the last console lines. */
    static final class Silent extends JvtException {
        Silent(String message) {
            super(Kind.TEST_FAILURE, message);
        }
    }

    /** Runs {@code handshake} holding {@code lock}; a {@link Silent} guest becomes a {@link TimeoutException}. */
    static void run(ReentrantLock lock, Runnable handshake) throws TimeoutException {
        lock.lock();
        try {
            handshake.run();
        } catch (Silent e) {
            throw new TimeoutException(e.getMessage());
        } finally {
            lock.unlock();
        }
    }
}
