package dev.jvt.engine;

import dev.jvt.engine.channel.CommandChannel;

/** A command's output, indented, for failure messages. */
final class CommandOutput {
    private static final int MAX = 4000;

    private CommandOutput() {
    }

    /** "\nstdout:\n  …\nstderr:\n  …", each part only when not empty, the last 4000 characters of each. */
    static String describe(CommandChannel.Result r) {
        StringBuilder sb = new StringBuilder();
        if (!r.stdout().isEmpty()) {
            sb.append("\nstdout:\n").append(indent(r.stdout()));
        }
        if (!r.stderr().isEmpty()) {
            sb.append("\nstderr:\n").append(indent(r.stderr()));
        }
        return sb.toString();
    }

    private static String indent(String s) {
        String t = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        if (t.length() > MAX) {
            t = "…" + t.substring(t.length() - MAX);
        }
        return "  " + t.replace("\n", "\n  ");
    }
}
