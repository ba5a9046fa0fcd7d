package dev.jvt.engine.host;

import java.io.PrintStream;

/**
 * Milestones of jvt's start, printed to stderr when {@code JVT_TRACE_START} is set: milliseconds
 * since the launcher began ({@code ./jvt} exports its {@code $EPOCHREALTIME} as
 * {@code JVT_LAUNCHED}), or since the JVM began when started otherwise. It is how the start path
 * is measured; off, it costs one field read.
 */
public final class StartTrace {
    private static final boolean ON = System.getenv("JVT_TRACE_START") != null;
    private static final long BEGAN = ON ? began() : 0;

    private StartTrace() {
    }

    private static long began() {
        String launched = System.getenv("JVT_LAUNCHED");
        if (launched != null && launched.matches("[0-9]+[.,][0-9]+")) {
            return Math.round(Double.parseDouble(launched.replace(',', '.')) * 1000);
        }
        return System.currentTimeMillis() - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /** Prints "jvt-start: N ms WHAT" when tracing is on. */
    public static void mark(String what) {
        if (ON) {
            PrintStream err = System.err;
            err.println("jvt-start: " + (System.currentTimeMillis() - BEGAN) + " ms " + what);
        }
    }
}
