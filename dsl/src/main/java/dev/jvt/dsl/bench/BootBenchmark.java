package dev.jvt.dsl.bench;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.qemu.QemuSession;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jvt bench boot}: time from start to the first command's answer, under jvt and under a raw
 * QEMU started by hand with the very same command line (kernel, initramfs, flags), alternating.
 */
public final class BootBenchmark implements Benchmark {
    private final int rounds;

    public BootBenchmark(int rounds) {
        this.rounds = rounds;
    }

    @Override
    public String name() {
        return "boot";
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        List<Double> jvt = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        try (BenchEnvironment env = new BenchEnvironment("boot")) {
            // warm-up: builds/caches the guest image and probes KVM, outside the measurement
            try (Machine m = env.machine(new MachineConfig("warmup"), "warmup")) {
                m.launch();
                m.waitBooted();
            }
            for (int i = 0; i < rounds; i++) {
                double j = timeJvt(env, i);
                double r = timeRaw(env, i);
                jvt.add(j);
                raw.add(r);
                log.printf("  round %d: jvt %.2f s, raw QEMU %.2f s%n", i + 1, j, r);
                log.flush();
            }
        }
        double mj = Stats.median(jvt);
        double mr = Stats.median(raw);
        return List.of(new Figure("boot", "start to first command answer (median of " + rounds + ")", mj, mr, "s", mj / mr, "lower"));
    }

    private static double timeJvt(BenchEnvironment env, int i) {
        try (Machine m = env.machine(new MachineConfig("bench"), "jvt-" + i)) {
            long t0 = System.nanoTime();
            m.launch();
            m.succeed("true");
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** The same QEMU, started by hand: listen on its sockets, wait for the agent, run `true`. */
    private static double timeRaw(BenchEnvironment env, int i) throws Exception {
        Path sockets = env.socketDir("raw-" + i);
        List<String> cmd;
        try (Machine planner = env.machine(new MachineConfig("bench"), "raw-plan-" + i)) {
            cmd = planner.plannedCommandLine(sockets);
        }
        ServerSocketChannel qmp = QemuSession.listen(sockets.resolve("qmp.sock"));
        ServerSocketChannel serial = QemuSession.listen(sockets.resolve("serial.sock"));
        ServerSocketChannel cmdSock = QemuSession.listen(sockets.resolve("cmd.sock"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            QemuSession.drain(accept(qmp, p, "monitor"), "bench-drain");
            QemuSession.drain(accept(serial, p, "serial console"), "bench-drain");
            SocketChannel c = accept(cmdSock, p, "command port");
            InputStream in = new BufferedInputStream(Channels.newInputStream(c));
            expectLine(in, "H ");
            c.write(ByteBuffer.wrap(("X 1 60 " + Base64.getEncoder().encodeToString("true".getBytes(StandardCharsets.US_ASCII)) + "\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            expectLine(in, "R 1 0 ");
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            qmp.close();
            serial.close();
            cmdSock.close();
        }
    }

    private static SocketChannel accept(ServerSocketChannel server, Process p, String what) {
        return QemuSession.accept(server, "bench boot", p::isAlive,
                () -> JvtException.infrastructure("bench boot: QEMU exited with code " + p.exitValue() + " before connecting its " + what), what,
                Duration.ofSeconds(60));
    }

    private static void expectLine(InputStream in, String prefix) throws IOException {
        while (true) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.write(c);
            }
            if (c < 0) {
                throw new IOException("QEMU closed the command port before answering");
            }
            if (line.toString(StandardCharsets.US_ASCII).startsWith(prefix)) {
                return;
            }
        }
    }
}
