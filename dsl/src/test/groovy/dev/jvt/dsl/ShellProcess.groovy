package dev.jvt.dsl

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** jvt in a separate JVM with its stdin a pipe (no terminal): lines are typed into it while it runs. */
class ShellProcess {
    final Process process
    final Path log
    private final Writer stdin

    private ShellProcess(Process p, Path log) {
        this.process = p
        this.log = log
        this.stdin = new OutputStreamWriter(p.outputStream, 'UTF-8')
    }

    /** Starts {@code jvt ARGS...}, its output (both streams) going to {@code log}. */
    static ShellProcess start(Path log, String... args) {
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def cmd = [java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main'] + (args as List)
        new ShellProcess(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start(), log)
    }

    String getOut() {
        Files.readString(log)
    }

    /** Types one line. */
    ShellProcess type(String line) {
        stdin.write(line + '\n')
        stdin.flush()
        this
    }

    /** Waits until the output contains {@code text} (at most {@code seconds}); returns the output so far. */
    String waitFor(String text, int seconds = 240) {
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds)
        while (!out.contains(text) && process.alive && System.nanoTime() < deadline) {
            sleep 100
        }
        out
    }

    /** Closes stdin and waits for the exit code (killing it after {@code seconds}). */
    int finish(int seconds = 300) {
        stdin.close()
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            process.waitFor()
        }
        process.exitValue()
    }

    /** What was printed between the {@code nth} (1-based) echo of the line {@code command} and the next prompt. */
    String answer(String prompt, String command, int nth = 1) {
        def text = out
        int i = -1
        for (int k = 0; k < nth; k++) {
            i = text.indexOf(prompt + command + '\n', i + 1)
            if (i < 0) {
                return null
            }
        }
        int from = i + prompt.length() + command.length() + 1
        int to = text.indexOf(prompt, from)
        text.substring(from, to < 0 ? text.length() : to)
    }
}
