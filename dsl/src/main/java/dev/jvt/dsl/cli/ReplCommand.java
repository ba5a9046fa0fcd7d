package dev.jvt.dsl.cli;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.ScenarioLoader;
import dev.jvt.dsl.repl.Repl;
import dev.jvt.dsl.repl.ReplSession;
import dev.jvt.dsl.runtime.RunDirectory;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.host.Prerequisites;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jvt repl}: boot a scenario's machines, run setup (and a test), and open a Groovy shell on them, paused. */
@Command(name = "repl", description = "Boot the scenario's machines, run setup (and --test), pause them and open a Groovy shell on them.")
public final class ReplCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SCENARIO", description = "The scenario file.")
    Path file;

    @Option(names = "--test", paramLabel = "NAME", description = "Also run this test (to its end or its failure) before the prompt.")
    String test;

    @Option(names = "--scenario", paramLabel = "NAME", description = "Which scenario, when the file declares several (default: the first).")
    String scenarioName;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the machines' files (default: build/jvt/repl/<time>).")
    Path out;

    @Option(names = "--deterministic", description = "Instruction-counted virtual time and a fixed clock, as jvt run --deterministic.")
    boolean deterministic;

    @Option(names = "--no-reuse", description = "Boot the machines, even when the boot cache holds their boot.")
    boolean noReuse;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            throw JvtException.badInput("jvt repl: no such scenario file: " + file);
        }
        List<ScenarioDefinition> defs = new ScenarioLoader().load(file, file.isAbsolute() ? file.toString() : file.normalize().toString());
        if (defs.isEmpty()) {
            throw JvtException.badInput("jvt repl: " + file + " declares no scenario");
        }
        ScenarioDefinition def = scenarioName == null ? defs.get(0)
                : defs.stream().filter(d -> d.name().equals(scenarioName)).findFirst().orElseThrow(() -> JvtException.badInput(
                "jvt repl: " + file + " has no scenario '" + scenarioName + "'; it has " + defs.stream().map(ScenarioDefinition::name).toList()));
        if (test != null && def.tests().stream().noneMatch(t -> t.name().equals(test))) {
            throw JvtException.badInput("jvt repl: scenario '" + def.name() + "' has no test '" + test
                    + "'; its tests: " + def.tests().stream().map(t -> "'" + t.name() + "'").toList());
        }
        Prerequisites.ensure(true);
        Path dir = out != null ? out : RunDirectory.create(Path.of("build", "jvt", "repl"));

        Terminal terminal = System.console() == null ? null : TerminalBuilder.builder().system(true).build();
        if (terminal != null && Terminal.TYPE_DUMB.equals(terminal.getType())) {
            terminal.close();
            terminal = null;
        }
        PrintWriter o = terminal != null ? terminal.writer() : spec.commandLine().getOut();
        try (ReplSession session = new ReplSession(def, dir, new RunOptions(deterministic, false, false, null, !noReuse))) {
            session.start(test, o);
            session.pauseAll();
            Repl repl = new Repl(session, o);
            try {
                if (terminal != null) {
                    repl.runInteractive(terminal);
                } else {
                    repl.runPlain(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
                }
            } finally {
                repl.shutdown();
            }
        } finally {
            o.println("jvt repl: stopped every machine");
            o.flush();
            if (terminal != null) {
                terminal.close();
            }
        }
        return 0;
    }
}
