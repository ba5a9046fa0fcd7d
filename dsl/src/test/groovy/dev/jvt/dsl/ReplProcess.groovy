package dev.jvt.dsl

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** `jvt repl SCENARIO` in a separate JVM, its stdin a pipe (no terminal): lines typed once the prompt shows. */
class ReplProcess {
    String out
    int code
    List<Long> qemuSeen = []
    List<Long> qemuLeft

    /** Starts the REPL on {@code scenario} (files in {@code dir}), waits for {@code prompt}, types {@code lines}, waits for the end. */
    static ReplProcess run(Path dir, String scenario, String prompt, List<String> lines) {
        def r = new ReplProcess()
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def cmd = [java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main', 'repl',
                   '--out', dir.resolve('run').toString(), scenario]
        def log = dir.resolve('repl.out')
        def p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start()
        // wait for the prompt (the guests booted and are paused) while noting their QEMUs
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180)
        while (p.alive && !Files.readString(log).contains(prompt) && System.nanoTime() < deadline) {
            r.qemuSeen.addAll(KillSpec.qemuChildrenOf(p.pid()) - r.qemuSeen)
            sleep 100
        }
        r.qemuSeen.addAll(KillSpec.qemuChildrenOf(p.pid()) - r.qemuSeen)
        p.outputStream.withWriter('UTF-8') { w -> lines.each { w.write(it + '\n') } }
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly()
        }
        r.code = p.exitValue()
        r.out = Files.readString(log)
        def gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (r.qemuSeen.any { Files.exists(Path.of("/proc/$it")) } && System.nanoTime() < gone) {
            sleep 100
        }
        r.qemuLeft = r.qemuSeen.findAll { Files.exists(Path.of("/proc/$it")) }
        r
    }
}
