package dev.jvt.dsl.repl;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.replay.PausedReplay;
import dev.jvt.engine.replay.TimeTravel;
import groovy.lang.Binding;
import groovy.lang.GroovyShell;
import org.jline.reader.Candidate;
import org.jline.terminal.Terminal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The REPL of {@code jvt replay --repl}: standing inside a recorded run. The machines are replays
 * paused at one point; the shell moves them ({@code back}, {@code forward}, {@code goto},
 * {@code next-step}) and reads them ({@code where}, {@code info}, {@code x}, {@code regs},
 * {@code backtrace}, {@code console}); Groovy lines see each machine as a {@link ReplayHandle}.
 * Whatever would change a guest is refused with the reason.
 */
public final class ReplayRepl {
    static final List<String> SHORTCUTS = List.of("where", "back", "forward", "goto", "next-step", "prev-step", "marks", "info", "x", "xp",
            "regs", "backtrace", "bt", "console", "use", "machines", "gdb", "help", "exit", "quit");
    /** Shortcuts of jvt repl that would change a guest. */
    private static final Set<String> REFUSED = Set.of("stop", "cont", "change", "eject", "snapshot", "rewind", "sendkey", "system_reset");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?");

    private final TimeTravel travel;
    private final PrintWriter out;
    private final Binding binding = new Binding();
    private final GroovyShell shell;
    private final Map<String, ReplayHandle> handles = new LinkedHashMap<>();
    private String current;

    public ReplayRepl(TimeTravel travel, PrintWriter out) {
        this.travel = travel;
        this.out = out;
        travel.machines().forEach((n, m) -> handles.put(n, new ReplayHandle(m)));
        handles.forEach(binding::setVariable);
        binding.setVariable("machines", handles);
        org.codehaus.groovy.control.CompilerConfiguration cc = new org.codehaus.groovy.control.CompilerConfiguration();
        cc.setScriptBaseClass(ReplScript.class.getName());
        this.shell = new GroovyShell(ReplayRepl.class.getClassLoader(), binding, cc);
        use(travel.primary());
    }

    public void runPlain(BufferedReader in) throws IOException {
        banner();
        ReplLoop.plain(in, out, this::prompt, this::handle);
    }

    public void runInteractive(Terminal term) {
        banner();
        ReplLoop.interactive(term, out, (reader, line, candidates) -> {
            if (line.wordIndex() == 0) {
                SHORTCUTS.forEach(s -> candidates.add(new Candidate(s)));
            }
            handles.keySet().forEach(s -> candidates.add(new Candidate(s)));
        }, () -> { }, this::prompt, this::handle);
    }

    private void banner() {
        out.println("jvt replay: scenario '" + travel.scenario() + "', machines " + handles.keySet() + " paused inside the recording, read-only. "
                + "'help' lists the commands; exit or Ctrl-D leaves.");
        out.flush();
    }

    private String prompt() {
        return current + "@replay> ";
    }

    private void use(String name) {
        if (!handles.containsKey(name)) {
            throw JvtException.badInput("no machine '" + name + "'; machines: " + handles.keySet());
        }
        current = name;
        binding.setVariable(Repl.CURRENT, handles.get(name));
    }

    private PausedReplay machine() {
        return travel.machines().get(current);
    }

    /** Handles one line; false when the REPL should end. */
    boolean handle(String raw) {
        String line = raw.strip();
        if (line.isEmpty()) {
            return true;
        }
        if (line.equals("exit") || line.equals("quit")) {
            return false;
        }
        try {
            if (!shortcut(line)) {
                Object result = shell.evaluate(line.replaceFirst("^def\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*=(?!=)", "$1 ="));
                if (result != null) {
                    out.println("=> " + Repl.show(result));
                }
            }
        } catch (RuntimeException e) {
            out.println("error: " + Repl.message(e));
        }
        out.flush();
        return true;
    }

    private boolean shortcut(String line) {
        String[] w = line.split("\\s+", 2);
        String arg = w.length > 1 ? w[1].strip() : "";
        switch (w[0]) {
            case "help" -> help();
            case "where" -> out.println(travel.where());
            case "marks" -> out.println(travel.marks());
            case "machines" -> handles.keySet().forEach(n -> out.println("  " + n + (n.equals(current) ? " (current)" : "")));
            case "use" -> use(arg);
            case "back" -> move(travel.back(duration(arg)));
            case "forward" -> move(arg.isEmpty() ? travel.forward() : travel.forward(duration(arg)));
            case "goto" -> {
                if (arg.isEmpty()) {
                    throw JvtException.badInput("goto WHERE: failure, failure-2s, step:N, icount:N, start or end");
                }
                move(travel.resolve(arg));
            }
            case "next-step" -> move(travel.step(1));
            case "prev-step" -> move(travel.step(-1));
            case "info", "x", "xp", "print", "p" -> {
                if (arg.isEmpty() && w[0].equals("info")) {
                    return false;
                }
                String text = machine().monitor(line);
                out.print(text.replace("\r", "").endsWith("\n") ? text.replace("\r", "") : text.replace("\r", "") + "\n");
            }
            case "regs" -> out.println(Repl.show(machine().registers()));
            case "backtrace", "bt" -> out.println(machine().backtrace());
            case "console" -> {
                int n = arg.isEmpty() ? 20 : Integer.parseInt(arg);
                out.println("(the console of " + current + " up to this point, last " + n + " lines)");
                out.println(ReplayHandle.visible(handles.get(current).consoleTail(n)));
            }
            case "gdb" -> {
                if (machine().gdbSocket() == null) {
                    throw JvtException.badInput("start with jvt replay ... --repl --gdb to get QEMU's gdb stub");
                }
                out.println("gdb -ex 'target remote " + machine().gdbSocket() + "'   (reverse-stepi/reverse-continue work; gdb's continue moves "
                        + "the replay, so type 'where' here after it)");
            }
            default -> {
                if (REFUSED.contains(w[0])) {
                    throw ReplayHandle.refusal(w[0]);
                }
                if (w[0].matches("(x|xp|p|print)/\\S+")) {
                    out.print(machine().monitor(line).replace("\r", ""));
                    return true;
                }
                return false;
            }
        }
        return true;
    }

    /** Moves every machine; prints where they are and any divergence. */
    void move(TimeTravel.Target target) {
        long t0 = System.nanoTime();
        List<TimeTravel.Moved> moved = travel.go(target);
        out.printf(Locale.ROOT, "-> %s (%.2f s)%n", target.label(), (System.nanoTime() - t0) / 1e9);
        out.println(travel.where());
        for (TimeTravel.Moved m : moved) {
            if (m.position().diverged() != null) {
                out.println("WARNING: " + m.machine() + " diverged from the recording here; its state is not the recorded run's");
            }
        }
    }

    static Duration duration(String arg) {
        if (arg.isEmpty()) {
            return Duration.ofSeconds(1);
        }
        Matcher m = DURATION.matcher(arg.replace("_", ""));
        if (!m.matches()) {
            throw JvtException.badInput("cannot read the duration '" + arg + "': write e.g. 500ms, 2s or 1.5s");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return Duration.ofNanos((long) (v * 1e9 * switch (unit) {
            case "ms" -> 0.001;
            case "m" -> 60;
            default -> 1;
        }));
    }

    private void help() {
        out.println("""
                Inside the recording (read-only; every machine moves together):
                  where                  each machine's instruction count, recorded time, step, console position
                  back [DUR]             go back in recorded time (default 1s; 500ms, 2s, ...)
                  forward                return to where the last 'back' started (exactly);  forward DUR  go forward in time
                  goto WHERE             failure, failure-2s, step:N, step:N+500ms, icount:N, start, end
                  next-step | prev-step  the start of the next / previous step;  marks  lists the steps and failures
                  info WHAT | x/FMT ADDR | xp/FMT ADDR   monitor reads on the current machine
                  regs                   registers;  backtrace (bt)  the guest kernel's symbolized stack
                  console [N]            the last N lines the console had written up to here
                  use MACHINE            switch the current machine;  machines  lists them
                  gdb                    the gdb command for QEMU's gdb stub (with --gdb)
                Groovy sees each machine as a read-only handle: box.registers().RIP, box.console, box.backtrace()
                Typing, commands (succeed, ...), media and snapshots are refused: the recording fixes the future.""");
    }
}
