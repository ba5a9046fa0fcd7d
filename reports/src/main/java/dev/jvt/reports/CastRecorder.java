package dev.jvt.reports;

import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.ScenarioRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records each machine's serial console as an asciinema v2 file, {@code <machine dir>/console.cast}:
 * a header line, then one {@code [seconds, "o", "text"]} line per chunk the guest wrote, timed
 * from the machine's first start. {@code asciinema play console.cast} replays it with its timing
 * and terminal control sequences. A machine started again keeps writing to the same cast.
 */
public final class CastRecorder implements RunListener {
    private static final Logger LOG = LoggerFactory.getLogger(CastRecorder.class);

    public static final String FILE_NAME = dev.jvt.engine.MachineFolder.CAST;
    static final int WIDTH = 80;
    static final int HEIGHT = 25;

    private record Key(ScenarioRun scenario, String machine) {
    }

    private static final class Cast {
        final Writer out;
        final long startNanos;
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        ByteBuffer pending = ByteBuffer.allocate(0);

        Cast(Writer out, long startNanos) {
            this.out = out;
            this.startNanos = startNanos;
        }
    }

    private final Map<Key, Cast> casts = new ConcurrentHashMap<>();

    private final java.util.List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public java.util.List<String> writeFailures() {
        return failures;
    }

    @Override
    public void machineStarted(ScenarioRun scenario, String machine, Path directory) {
        casts.computeIfAbsent(new Key(scenario, machine), k -> open(scenario, machine, directory));
    }

    private Cast open(ScenarioRun scenario, String machine, Path directory) {
        try {
            Files.createDirectories(directory);
            Writer w = new BufferedWriter(Files.newBufferedWriter(directory.resolve(FILE_NAME), StandardCharsets.UTF_8));
            w.write(header(scenario.name() + " › " + machine, System.currentTimeMillis() / 1000));
            w.write('\n');
            w.flush();
            return new Cast(w, System.nanoTime());
        } catch (IOException e) {
            failures.add(dev.jvt.engine.JvtException.cannotWrite("", directory.resolve(FILE_NAME), e).getMessage());
            LOG.debug("cannot record {}", directory.resolve(FILE_NAME), e);
            return null;
        }
    }

    static String header(String title, long epochSeconds) {
        return "{\"version\": 2, \"width\": " + WIDTH + ", \"height\": " + HEIGHT + ", \"timestamp\": " + epochSeconds
                + ", \"title\": " + json(title) + ", \"env\": {\"TERM\": \"vt100\", \"SHELL\": \"/bin/sh\"}}";
    }

    @Override
    public void consoleOutput(ScenarioRun scenario, String machine, byte[] data, long nanoTime) {
        Cast c = casts.get(new Key(scenario, machine));
        if (c == null) {
            return;
        }
        synchronized (c) {
            String text = decode(c, data);
            if (text.isEmpty()) {
                return;
            }
            double t = Math.max(0, nanoTime - c.startNanos) / 1e9;
            try {
                c.out.write(String.format(Locale.ROOT, "[%.6f, \"o\", %s]%n", t, json(text)));
                c.out.flush();
            } catch (IOException e) {
                // the transcript (console.log) still has every byte
                LOG.debug("cannot write to the cast of {}", machine, e);
            }
        }
    }

    /** Decodes UTF-8 across chunk boundaries: an incomplete sequence at the end waits for the next chunk. */
    private static String decode(Cast c, byte[] data) {
        ByteBuffer in = ByteBuffer.allocate(c.pending.remaining() + data.length);
        in.put(c.pending).put(data).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        c.decoder.decode(in, out, false);
        c.pending = in.slice();
        out.flip();
        return out.toString();
    }

    @Override
    public void scenarioFinished(ScenarioRun scenario) {
        for (Iterator<Map.Entry<Key, Cast>> it = casts.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Cast> e = it.next();
            if (e.getKey().scenario() == scenario) {
                it.remove();
                Cast c = e.getValue();
                if (c != null) {
                    synchronized (c) {
                        try {
                            c.out.close();
                        } catch (IOException ex) {
                            LOG.debug("cannot close the cast of {}", e.getKey().machine(), ex);
                        }
                    }
                }
            }
        }
    }

    /** A JSON string literal. */
    static String json(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (ch < 0x20 || ch == 0x7f || ch == 0x2028 || ch == 0x2029) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
