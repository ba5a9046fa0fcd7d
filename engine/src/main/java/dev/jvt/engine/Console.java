package dev.jvt.engine;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A machine's serial console: the byte-exact transcript, the same decoded as text (carriage
 * returns dropped), listeners for whole lines, and expect-style waits that match only output after
 * the previous match. Fed by the thread that reads QEMU's serial socket.
 */
public final class Console {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[A-Za-z]|\u001B[()][A-Z0-9]|[\u0000-\u0008\u000B-\u001F\u007F]");

    /** A line is cut after this many characters, so a flood without newlines costs no quadratic scans. */
    static final int MAX_LINE = 64 * 1024;

    private final String machine;
    private final long limit;
    private long received;
    private long dropped;
    private JvtException flood;
    private volatile Consumer<JvtException> floodListener = e -> { };
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private final StringBuilder text = new StringBuilder();
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pendingBytes = ByteBuffer.allocate(0);
    private int lineStart;
    private int cursor;
    private volatile Throwable fatal;
    private final List<Consumer<String>> lineListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<byte[]>> byteListeners = new CopyOnWriteArrayList<>();

    public Console(String machine) {
        this(machine, limit());
    }

    Console(String machine, long limit) {
        this.machine = machine;
        this.limit = limit;
    }

    /**
     * Most bytes a machine may write between two starts or rewinds ({@code JVT_CONSOLE_LIMIT} or
     * system property {@code jvt.consoleLimit}, in MiB; default 64): past it, the console is
     * flooded, waits fail, and the rest is dropped.
     */
    static long limit() {
        String v = System.getProperty("jvt.consoleLimit", System.getenv("JVT_CONSOLE_LIMIT"));
        try {
            return v == null || v.isBlank() ? 64L << 20 : Math.max(1, Long.parseLong(v.strip())) << 20;
        } catch (NumberFormatException e) {
            return 64L << 20;
        }
    }

    /** Called once when the guest floods the console (to fail the command channel's waits too). */
    public void onFlood(Consumer<JvtException> listener) {
        floodListener = listener;
    }

    /** Whether the guest wrote more than the limit since it started or was rewound. */
    public synchronized boolean flooded() {
        return flood != null;
    }

    /** Bytes dropped since the flood began. */
    public synchronized long dropped() {
        return dropped;
    }

    public void onLine(Consumer<String> listener) {
        lineListeners.add(listener);
    }

    public void onBytes(Consumer<byte[]> listener) {
        byteListeners.add(listener);
    }

    /** Appends output from the guest. */
    public void feed(byte[] data, int off, int len) {
        byte[] copy = java.util.Arrays.copyOfRange(data, off, off + len);
        List<String> lines = new ArrayList<>();
        JvtException flooded = null;
        synchronized (this) {
            if (flood != null) {
                dropped += len;
                return;
            }
            received += len;
            if (received > limit) {
                flood = JvtException.testFailure(machine + ": the guest flooded its console: more than " + (limit >> 20)
                        + " MiB since it started or was last rewound; the rest is dropped until it is rewound or restarted"
                        + " (JVT_CONSOLE_LIMIT=MiB raises the limit)\nlast console lines of " + machine + ":\n" + lastLines(5));
                flooded = flood;
                dropped += len;
                copy = ("\n[jvt: " + machine + " flooded its console (over " + (limit >> 20) + " MiB): the rest of its output is dropped]\n")
                        .getBytes(StandardCharsets.UTF_8);
                len = copy.length;
                if (fatal == null) {
                    fatal = flooded;
                }
            }
            raw.write(copy, 0, copy.length);
            ByteBuffer in = ByteBuffer.allocate(pendingBytes.remaining() + len);
            in.put(pendingBytes).put(copy).flip();
            CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, out, false);
            pendingBytes = in.slice();
            out.flip();
            for (int i = 0; i < out.length(); i++) {
                char c = out.charAt(i);
                if (c == '\r') {
                    continue;
                }
                if (c != '\n' && text.length() - lineStart >= MAX_LINE) {
                    text.append('\n');  // cut an overlong line; the byte transcript keeps it whole
                    lines.add(clean(text.substring(lineStart, text.length() - 1)));
                    lineStart = text.length();
                }
                text.append(c);
                if (c == '\n') {
                    lines.add(clean(text.substring(lineStart, text.length() - 1)));
                    lineStart = text.length();
                }
            }
            notifyAll();
        }
        if (flooded != null) {
            floodListener.accept(flooded);
        }
        for (Consumer<byte[]> l : byteListeners) {
            l.accept(copy);
        }
        for (String line : lines) {
            for (Consumer<String> l : lineListeners) {
                l.accept(line);
            }
        }
    }

    /** A line without terminal control sequences. */
    public static String clean(String line) {
        return ANSI.matcher(line).replaceAll("");
    }

    /** Every wait fails from now on with {@code cause} (failOn matched, QEMU died). */
    public void abort(Throwable cause) {
        synchronized (this) {
            if (fatal == null) {
                fatal = cause;
            }
            notifyAll();
        }
    }

    /** Waits may be made again (after the machine started anew). */
    public synchronized void clearAbort() {
        fatal = null;
        flood = null;
        received = 0;
        dropped = 0;
    }

    public Throwable fatal() {
        return fatal;
    }

    /** The whole transcript as text, carriage returns removed. */
    public synchronized String text() {
        return text.toString();
    }

    /** The transcript exactly as the guest sent it. */
    public synchronized byte[] bytes() {
        return raw.toByteArray();
    }

    /** How many bytes the guest sent (the length of {@link #bytes()}). */
    public synchronized int byteCount() {
        return raw.size();
    }

    public synchronized int length() {
        return text.length();
    }

    /** The last {@code n} lines, cleaned, for error messages. */
    public synchronized String lastLines(int n) {
        String[] all = text.toString().split("\n", -1);
        int from = Math.max(0, all.length - n);
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < all.length; i++) {
            String l = clean(all[i]);
            if (i == all.length - 1 && l.isEmpty()) {
                break;
            }
            sb.append("  ").append(machine).append(" # ").append(l).append('\n');
        }
        return sb.length() == 0 ? "  (" + machine + " printed nothing)\n" : sb.toString();
    }

    /**
     * Ends the line in progress, if any: its listeners hear it now, and later output starts a new
     * line. A rewind cuts the guest's output wherever it was (a command's output whose newline never
     * came); without this, that text would never reach the reports.
     */
    public void endLine() {
        String partial;
        synchronized (this) {
            if (lineStart >= text.length()) {
                return;
            }
            partial = clean(text.substring(lineStart));
            lineStart = text.length();
        }
        for (Consumer<String> l : lineListeners) {
            l.accept(partial);
        }
    }

    /** Moves the expect cursor to the end of what has arrived: later waits see only newer output. */
    public synchronized void skipToEnd() {
        cursor = text.length();
    }

    /**
     * Waits until {@code pattern} matches a line of output after the previous match (the line may
     * still be incomplete, as a prompt is); returns that whole line without control sequences.
     * Lines are matched one by one, so {@code ^} and {@code $} mean the start and end of a line;
     * a line is tried as the guest sent it and with terminal control sequences removed.
     *
     * @param what how the wait is described in a timeout message
     */
    public String waitFor(Pattern pattern, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            int lineStart = cursor == 0 ? 0 : text.lastIndexOf("\n", cursor - 1) + 1;
            int from = cursor;
            while (true) {
                while (true) {
                    int end = text.indexOf("\n", lineStart);
                    boolean complete = end >= 0;
                    if (!complete) {
                        end = text.length();
                    }
                    String line = text.substring(lineStart, end);
                    Matcher m = pattern.matcher(line);
                    m.useAnchoringBounds(false);
                    m.region(from - lineStart, line.length());
                    boolean found = m.find();
                    int matchEnd = found ? lineStart + m.end() : -1;
                    if (!found && from == lineStart) {
                        String cleaned = clean(line);
                        if (!cleaned.equals(line) && pattern.matcher(cleaned).find()) {
                            found = true;
                            matchEnd = end;
                        }
                    }
                    if (found) {
                        cursor = Math.min(text.length(), Math.max(matchEnd, from + (matchEnd == from ? 1 : 0)));
                        return clean(line);
                    }
                    if (!complete) {
                        break;
                    }
                    lineStart = end + 1;
                    from = lineStart;
                }
                if (fatal != null) {
                    throw rethrow(fatal, what);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw JvtException.testFailure(machine + ": timed out after " + Timeouts.human(timeout)
                            + " waiting for " + what + "\nlast console lines of " + machine + ":\n" + lastLines(15));
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw JvtException.testFailure(machine + ": interrupted while waiting for " + what);
                }
            }
        }
    }

    private RuntimeException rethrow(Throwable cause, String what) {
        if (cause instanceof GuestFailureException g) {
            return g;
        }
        if (cause instanceof JvtException j) {
            return new JvtException(j.kind(), j.getMessage() + "\n(while waiting for " + what + ")", j);
        }
        return JvtException.infrastructure(machine + ": " + cause.getMessage() + " (while waiting for " + what + ")", cause);
    }
}
