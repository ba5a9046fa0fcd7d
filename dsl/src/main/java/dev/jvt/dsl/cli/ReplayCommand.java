package dev.jvt.dsl.cli;

import dev.jvt.dsl.repl.ReplayRepl;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.replay.Replayer;
import dev.jvt.engine.replay.TimeTravel;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code jvt replay}: re-execute a recorded run and report whether it reproduced; with
 * {@code --repl}, stand inside it at a point ({@code --at}); with {@code --when}, find where a
 * console line was written.
 */
@Command(name = "replay", description = "Re-execute a recorded run (a run folder, its replay/ bundle, or a .tar.gz of it) "
        + "and report whether every console transcript reproduced byte for byte; exit 0 when it did, 1 when not. "
        + "With --repl: open a read-only REPL inside the replay, paused at --at. With --when: print where a console line was written.")
public final class ReplayCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_OR_BUNDLE", description = "A run folder recorded with --record, its replay/ folder, or an archive of it.")
    Path target;

    @Option(names = "--repl", description = "Open a read-only REPL on the replayed machines, paused at --at (back, forward, goto, where, ...).")
    boolean repl;

    @Option(names = "--at", paramLabel = "WHERE", description = "Where the REPL opens: failure (default when the run failed), failure-2s, "
            + "step:N, step:N+500ms, icount:N, start or end.")
    String at;

    @Option(names = "--when", paramLabel = "REGEX", description = "Print the instruction count and step at which the first console line "
            + "matching REGEX was written (usable as --at icount:N).")
    String when;

    @Option(names = "--scenario", paramLabel = "NAME", description = "Which recorded scenario (default: the one that failed, else the first).")
    String scenario;

    @Option(names = "--machine", paramLabel = "NAME", description = "The machine icount:N refers to and the REPL starts on (default: the first).")
    String machine;

    @Option(names = "--gdb", description = "With --repl: also open QEMU's gdb stub on a private socket (the REPL's 'gdb' prints the command).")
    boolean gdb;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if ((at != null || gdb) && !repl) {
            throw JvtException.badInput("jvt replay: --at and --gdb go with --repl");
        }
        Pattern regex = null;
        if (when != null) {
            try {
                regex = Pattern.compile(when);
            } catch (PatternSyntaxException e) {
                throw JvtException.badInput("jvt replay: --when: not a regular expression: " + e.getMessage());
            }
        }
        Path bundle = Replayer.locate(target);
        Prerequisites.qemu("x86_64");
        if (!repl && regex == null) {
            out.println("jvt: replaying " + bundle.toAbsolutePath());
            out.flush();
            List<Replayer.Outcome> outcomes = new Replayer(out).replay(bundle);
            boolean all = outcomes.stream().allMatch(Replayer.Outcome::reproduced);
            out.println(all ? "REPRODUCED: " + outcomes.size() + " recording(s) replayed byte for byte"
                    : "NOT REPRODUCED: " + outcomes.stream().filter(o -> !o.reproduced()).count() + " of " + outcomes.size() + " recording(s) diverged");
            out.flush();
            return all ? 0 : 1;
        }
        try (TimeTravel travel = TimeTravel.open(bundle, scenario, machine, gdb)) {
            if (regex != null) {
                out.println("jvt replay: looking for /" + when + "/ in the consoles of " + travel.machines().keySet() + " ...");
                out.flush();
                long t0 = System.nanoTime();
                Optional<TimeTravel.Found> f = travel.when(regex);
                if (f.isEmpty()) {
                    out.println("jvt replay: no console line of scenario '" + travel.scenario() + "' matches /" + when + "/");
                    return 1;
                }
                TimeTravel.Found x = f.get();
                out.printf(Locale.ROOT, "%s: line %d \"%s\" was written at icount %d, %s (found in %.1f s)%n", x.machine(), x.line(),
                        dev.jvt.dsl.repl.ReplayHandle.visible(x.text()), x.icount(), x.where(), (System.nanoTime() - t0) / 1e9);
                out.println("stand there with: jvt replay " + target + " --repl --machine " + x.machine() + " --at icount:" + x.icount());
                if (!repl) {
                    return 0;
                }
                at = "icount:" + x.icount();
                machine = x.machine();
            }
            return openRepl(travel, out);
        }
    }

    private int openRepl(TimeTravel travel, PrintWriter plainOut) throws Exception {
        String where = at != null ? at : travel.machines().values().iterator().next().timeline().failure().isPresent() ? "failure" : "end";
        TimeTravel.Target t = travel.resolve(where);
        plainOut.println("jvt replay: replaying " + travel.machines().keySet() + " to " + t.label() + " ...");
        plainOut.flush();
        long t0 = System.nanoTime();
        List<TimeTravel.Moved> moved = travel.go(t);
        plainOut.printf(Locale.ROOT, "jvt replay: there in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        plainOut.println(travel.where());
        for (TimeTravel.Moved m : moved) {
            plainOut.println(m.position().diverged() == null
                    ? m.machine() + ": the console so far is the recording's (" + m.position().console() + " bytes)"
                    : "WARNING: " + m.machine() + " diverged from the recording: " + m.position().diverged());
        }
        plainOut.flush();
        Terminal terminal = System.console() == null ? null : TerminalBuilder.builder().system(true).build();
        if (terminal != null && Terminal.TYPE_DUMB.equals(terminal.getType())) {
            terminal.close();
            terminal = null;
        }
        try {
            ReplayRepl r = new ReplayRepl(travel, terminal != null ? terminal.writer() : plainOut);
            if (terminal != null) {
                r.runInteractive(terminal);
            } else {
                r.runPlain(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
            }
        } finally {
            if (terminal != null) {
                terminal.close();
            }
        }
        return 0;
    }
}
