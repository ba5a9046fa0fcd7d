package dev.jvt.engine;

import java.time.Duration;
import java.util.function.Function;

/**
 * The one way jvt waits for something that has to be asked again and again (a socket, a
 * command that must succeed, a migration, a QEMU status): attempts with a pause between them
 * until one gives an answer or the time is up. The last attempt is told it is the last, and the
 * error then says what it saw (as the NixOS driver's {@code retry(fn(last_try))} does). The
 * defaults for {@code timeout} come from {@link Timeouts}.
 */
public final class Retry {
    private Retry() {
    }

    /** One try. Returns the answer, or null to be asked again. */
    @FunctionalInterface
    public interface Attempt<T> {
        T tryOnce(boolean lastTry) throws Exception;
    }

    /** How a wait ended without an answer: for the error message. */
    public record Exhausted(int attempts, Duration waited, Duration timeout) {
        /** "after 12 attempts in 3.1 s". */
        public String summary() {
            return attempts + (attempts == 1 ? " attempt" : " attempts") + " in " + Timeouts.human(waited);
        }
    }

    /**
     * Asks {@code attempt} until it answers (non-null), at least once, pausing {@code pause}
     * between tries; when {@code timeout} has passed without an answer, throws what
     * {@code timedOut} makes of it. An exception from an attempt ends the wait at once.
     *
     * @param what what is awaited, for the message when the thread is interrupted
     */
    public static <T> T until(String what, Duration timeout, Duration pause, Attempt<T> attempt,
                              Function<Exhausted, RuntimeException> timedOut) {
        return loop(what, timeout, pause, attempt, timedOut);
    }

    /**
     * As {@link #until}, for waits whose end is not a failure (an echo that may not come, a guest
     * that may start by itself): returns null when {@code timeout} passed without an answer.
     */
    public static <T> T poll(String what, Duration timeout, Duration pause, Attempt<T> attempt) {
        return loop(what, timeout, pause, attempt, null);
    }

    private static <T> T loop(String what, Duration timeout, Duration pause, Attempt<T> attempt,
                              Function<Exhausted, RuntimeException> timedOut) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        int attempts = 0;
        while (true) {
            long now = System.nanoTime();
            boolean last = attempts > 0 && now + pause.toNanos() >= deadline;
            T answer;
            try {
                answer = attempt.tryOnce(last);
            } catch (RuntimeException e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.testFailure("interrupted while " + what);
            } catch (Exception e) {
                throw JvtException.infrastructure(what + ": " + e.getMessage(), e);
            }
            attempts++;
            if (answer != null) {
                return answer;
            }
            long left = deadline - System.nanoTime();
            if (last || left <= 0) {
                if (timedOut == null) {
                    return null;
                }
                throw timedOut.apply(new Exhausted(attempts, Duration.ofNanos(System.nanoTime() - t0), timeout));
            }
            sleep(Math.min(pause.toNanos(), left), what);
        }
    }

    /** Time left until {@code total} has passed since {@code t0} (nanoTime), at least a nanosecond. */
    public static Duration remaining(long t0, Duration total) {
        return Duration.ofNanos(Math.max(1, total.toNanos() - (System.nanoTime() - t0)));
    }

    private static void sleep(long nanos, String what) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.testFailure("interrupted while " + what);
        }
    }
}
