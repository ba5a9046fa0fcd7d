package dev.jvt.engine;

import java.util.List;

/**
 * Tearing down several parts where each must be tried even when another fails (the NixOS
 * driver's guarded release, Spock's {@code AutoCleanupInterceptor}): collect every error, then
 * throw the first with the others suppressed.
 */
public final class Cleanup {
    private Cleanup() {
    }

    /** A step of a tear-down. */
    @FunctionalInterface
    public interface Part {
        void close() throws Exception;
    }

    /** Runs {@code part}; what it throws is added to {@code errors} instead of propagating. */
    public static void guard(List<Throwable> errors, Part part) {
        try {
            part.close();
        } catch (Exception | Error e) {
            errors.add(e);
        }
    }

    /** Throws the first of {@code errors} with the others suppressed; nothing when there are none. */
    public static void throwFirst(List<Throwable> errors) {
        if (errors.isEmpty()) {
            return;
        }
        Throwable first = errors.get(0);
        for (Throwable t : errors.subList(1, errors.size())) {
            if (t != first) {
                first.addSuppressed(t);
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        throw JvtException.infrastructure(String.valueOf(first.getMessage()), first);
    }
}
