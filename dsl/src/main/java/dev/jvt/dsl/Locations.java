package dev.jvt.dsl;

import java.nio.file.Path;

/** Finds the line of a scenario file that a call or an error came from, from the stack. */
public final class Locations {
    private Locations() {
    }

    /** The innermost stack frame in {@code file}, or -1. */
    public static int lineIn(Throwable t, Path file) {
        if (file == null) {
            return -1;
        }
        String name = sourceName(file);
        for (Throwable c = t; c != null; c = c.getCause()) {
            for (StackTraceElement e : c.getStackTrace()) {
                if (name.equals(e.getFileName()) && e.getLineNumber() > 0) {
                    return e.getLineNumber();
                }
            }
        }
        return -1;
    }

    /**
     * The name a scenario file is compiled under. Not the file's own name: "hello.groovy" would
     * compile to a class {@code hello}, and then {@code hello.succeed} in the script would mean a
     * static call on that class instead of the machine named hello.
     */
    public static String sourceName(Path file) {
        String base = file.getFileName().toString().replaceAll("\\.groovy$", "").replaceAll("[^A-Za-z0-9_]", "_");
        return "JvtScenario_" + base + ".groovy";
    }

    /** The line of the scenario file that is calling right now. */
    static int callerLine(Path file) {
        return lineIn(new Throwable(), file);
    }
}
