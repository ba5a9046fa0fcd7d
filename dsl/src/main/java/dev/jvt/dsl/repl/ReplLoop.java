package dev.jvt.dsl.repl;

import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** The two read loops of jvt's shells: plain lines from a pipe, or JLine on a terminal. */
final class ReplLoop {
    private ReplLoop() {
    }

    /** Reads plain lines (no terminal): each is echoed after the prompt, then handled; ends at EOF or when {@code handle} says so. */
    static void plain(BufferedReader in, PrintWriter out, Supplier<String> prompt, Predicate<String> handle) throws IOException {
        while (true) {
            out.print(prompt.get());
            out.flush();
            String line = in.readLine();
            if (line == null) {
                out.println();
                break;
            }
            out.println(line);
            if (!handle.test(line)) {
                break;
            }
        }
        out.flush();
    }

    /** The interactive loop on a real terminal (history, line editing, completion); Ctrl-C at the prompt clears the line. */
    static void interactive(Terminal term, PrintWriter out, Completer completer, Runnable interrupt, Supplier<String> prompt,
                            Predicate<String> handle) {
        LineReader reader = LineReaderBuilder.builder()
                .terminal(term)
                .appName("jvt")
                .parser(new DefaultParser())
                .completer(completer)
                .variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".jvt_history"))
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .build();
        term.handle(Terminal.Signal.INT, s -> interrupt.run());
        while (true) {
            String line;
            try {
                line = reader.readLine(prompt.get());
            } catch (UserInterruptException e) {
                continue;
            } catch (EndOfFileException e) {
                out.println();
                break;
            }
            if (!handle.test(line)) {
                break;
            }
        }
        out.flush();
    }
}
