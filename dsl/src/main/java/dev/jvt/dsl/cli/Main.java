package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code jvt}: run scenarios, check the host, measure, replay, report, explore. */
@Command(name = "jvt", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "jvt 0.1.0",
        description = "Test automation for virtual machines on QEMU.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every test passed", "1:a test failed", "2:bad usage or a broken scenario script",
                "3:a host prerequisite is missing", "4:infrastructure failure (QEMU died, disk full)"})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** The command line's own logging configuration (the dsl artifact imposes none on Spock users). */
    static final String LOGBACK_CONFIG = "jvt-cli-logback.xml";

    public static void main(String[] args) {
        dev.jvt.engine.host.StartTrace.mark("JVM in main");
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, java.nio.charset.StandardCharsets.UTF_8), true);
        standalone = true;
        System.exit(execute(args, out, err));
    }

    /** Whether this JVM is jvt itself (main), not a test or a user's JVM calling {@link #execute}. */
    static volatile boolean standalone;

    /** The subcommands, in the order {@code jvt --help} lists them. */
    private static final java.util.Map<String, java.util.function.Supplier<Object>> COMMANDS = new java.util.LinkedHashMap<>();

    static {
        COMMANDS.put("run", RunCommand::new);
        COMMANDS.put("replay", ReplayCommand::new);
        COMMANDS.put("report", ReportCommand::new);
        COMMANDS.put("repl", ReplCommand::new);
        COMMANDS.put("doctor", DoctorCommand::new);
        COMMANDS.put("bench", BenchCommand::new);
        COMMANDS.put("images", ImagesCommand::new);
        COMMANDS.put("cache", CacheCommand::new);
        COMMANDS.put("completion", CompletionCommand::new);
        COMMANDS.put("init", InitCommand::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    /**
     * The command line for {@code args}: when the first word names a subcommand, only that one
     * is built (picocli reflects over every option of every command it is given, ~0.15 s for all
     * of them); anything else (help, a typo, --version) gets them all.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        if (COMMANDS.containsKey(first) && !first.equals("help")) {
            cl.addSubcommand(first, COMMANDS.get(first).get());
        } else {
            COMMANDS.forEach((name, make) -> cl.addSubcommand(name, make.get()));
        }
        return cl;
    }

    /** Runs {@code jvt ARGS}; returns the exit code. Errors print as one message, no stack trace. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine(args);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            JvtException.Kind kind = JvtException.kindOf(ex);
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            if (!(ex instanceof JvtException)) {
                msg = ex.getClass().getSimpleName() + ": " + msg;
                if (Boolean.getBoolean("jvt.debug")) {
                    ex.printStackTrace(commandLine.getErr());
                }
            }
            commandLine.getErr().println(kind == JvtException.Kind.BAD_INPUT ? msg : "jvt: " + msg);
            commandLine.getErr().flush();
            return kind.exitCode;
        });
        return cl.execute(args);
    }
}
