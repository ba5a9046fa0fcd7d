package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code jvt completion bash|zsh}: the Tab-completion script picocli generates from jvt's own
 * commands and options (one script serves both shells; zsh loads it through bashcompinit).
 */
@Command(name = "completion", description = "Print the Tab-completion script for bash or zsh, e.g. source <(./jvt completion bash).")
public final class CompletionCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SHELL", description = "${COMPLETION-CANDIDATES}", completionCandidates = Shells.class)
    String shell;

    static final class Shells extends java.util.ArrayList<String> {
        Shells() {
            super(java.util.List.of("bash", "zsh"));
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw JvtException.badInput("jvt completion: '" + shell + "' is not a shell jvt completes; use bash or zsh");
        }
        CommandLine all = Main.commandLine(new String[0]);   // every subcommand, not only this one
        String script = AutoComplete.bash("jvt", all);
        if (shell.equals("zsh")) {
            script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
        }
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
