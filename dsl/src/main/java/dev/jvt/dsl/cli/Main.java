package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code jvt}: run scenarios, check the host, measure, replay, report, explore. */
@Command(name = "jvt", mixinStandardHelpOptions = true, version = "jvt 0.1.0",
        description = "Test automation for virtual machines on QEMU.",
        subcommands = {RunCommand.class, ReplayCommand.class, ReportCommand.class, ReplCommand.class, DoctorCommand.class, BenchCommand.class, ImagesCommand.class, CacheCommand.class, CommandLine.HelpCommand.class},
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
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, java.nio.charset.StandardCharsets.UTF_8), true);
        System.exit(execute(args, out, err));
    }

    /** Runs {@code jvt ARGS}; returns the exit code. Errors print as one message, no stack trace. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
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
