package dev.jvt.dsl.cli;

import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.replay.Replayer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jvt replay}: re-execute a recorded run and report whether it reproduced. */
@Command(name = "replay", description = "Re-execute a recorded run (a run folder, its replay/ bundle, or a .tar.gz of it) "
        + "and report whether every console transcript reproduced byte for byte; exit 0 when it did, 1 when not.")
public final class ReplayCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_OR_BUNDLE", description = "A run folder recorded with --record, its replay/ folder, or an archive of it.")
    Path target;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Prerequisites.qemu("x86_64");
        Path bundle = Replayer.locate(target);
        out.println("jvt: replaying " + bundle.toAbsolutePath());
        out.flush();
        List<Replayer.Outcome> outcomes = new Replayer(out).replay(bundle);
        boolean all = outcomes.stream().allMatch(Replayer.Outcome::reproduced);
        out.println(all ? "REPRODUCED: " + outcomes.size() + " recording(s) replayed byte for byte"
                : "NOT REPRODUCED: " + outcomes.stream().filter(o -> !o.reproduced()).count() + " of " + outcomes.size() + " recording(s) diverged");
        out.flush();
        return all ? 0 : 1;
    }
}
