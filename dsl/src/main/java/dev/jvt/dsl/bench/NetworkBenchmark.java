package dev.jvt.dsl.bench;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.MachineEnvironment;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.net.Macs;
import dev.jvt.engine.net.Network;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code jvt bench network}: guest-to-guest bulk transfer (busybox nc, 50 MB from /dev/zero)
 * through the jvt switch, and through a direct QEMU-to-QEMU link ({@code -netdev socket}
 * listen/connect on loopback), alternating, in the same run; plus the ping round trip over each.
 * Both pairs are virtio-net with the same guests; the switch writes its pcap as it always does.
 */
public final class NetworkBenchmark implements Benchmark {
    static final int MEGABYTES = 50;
    private static final int PORT = 5001;
    private static final Pattern RTT = Pattern.compile("round-trip min/avg/max = ([\\d.]+)/([\\d.]+)/([\\d.]+) ms");

    private final int rounds;

    public NetworkBenchmark(int rounds) {
        this.rounds = rounds;
    }

    @Override
    public String name() {
        return "network";
    }

    /** Two machines that talk over one link: a sends, b receives at {@code bAddress}. */
    private record Pair(String label, Machine a, Machine b, String bAddress) {
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        List<Double> viaSwitch = new ArrayList<>();
        List<Double> direct = new ArrayList<>();
        List<Machine> all = new ArrayList<>();
        try (BenchEnvironment env = new BenchEnvironment("network");
             Network lan = Network.start("bench", "10.0.1.0/24", env.dir.resolve("bench.pcap"), env.sockets, env.events)) {
            Map<String, Network> nets = Map.of("bench", lan);
            Machine swA = machine(env, nets, new MachineConfig("sw-a").nic(nic("sw-a", "10.0.1.1/24")));
            Machine swB = machine(env, nets, new MachineConfig("sw-b").nic(nic("sw-b", "10.0.1.2/24")));
            int port = freePort();
            Machine dA = machine(env, nets, direct("d-a", "listen=127.0.0.1:" + port, "10.0.9.1/24"));
            Machine dB = machine(env, nets, direct("d-b", "connect=127.0.0.1:" + port, "10.0.9.2/24"));
            all.addAll(List.of(swA, swB, dA, dB));
            log.printf("  the switch alone: %,.0f frames/s of 1514 bytes between two UNIX socket clients, capture on%n",
                    switchAlone(env));
            log.println("  booting 4 guests (two on the jvt switch, two on a direct -netdev socket link) ...");
            log.flush();
            swA.launch();
            swB.launch();
            dA.launch();
            dA.qmp().execute("query-status"); // answered from QEMU's main loop: its listening socket exists now
            dB.launch();
            for (Machine m : all) {
                m.waitBooted();
            }
            Pair sw = new Pair("switch", swA, swB, "10.0.1.2");
            Pair dl = new Pair("direct", dA, dB, "10.0.9.2");
            transfer(sw); // warm-up: ARP, TCP caches, JIT of the switch
            transfer(dl);
            for (int i = 0; i < rounds; i++) {
                double s;
                double d;
                if (i % 2 == 0) {
                    s = transfer(sw);
                    d = transfer(dl);
                } else {
                    d = transfer(dl);
                    s = transfer(sw);
                }
                viaSwitch.add(s);
                direct.add(d);
                log.printf("  round %d: switch %.2f MB/s, direct %.2f MB/s%n", i + 1, s, d);
                log.flush();
            }
            double rttSwitch = rtt(sw);
            double rttDirect = rtt(dl);
            log.printf("  ping round trip (avg of 20): switch %.3f ms, direct %.3f ms%n", rttSwitch, rttDirect);
            log.printf("  switch frames: %s%n", lan.stats());
            log.flush();
            for (Machine m : all) {
                m.close();
            }
            lan.close();
            Files.deleteIfExists(lan.getPcap()); // hundreds of MB of zeros; nothing to keep
            double ms = Stats.median(viaSwitch);
            double md = Stats.median(direct);
            return List.of(
                    new Figure("network", "guest-to-guest TCP, " + MEGABYTES + " MB (median of " + rounds + ")", ms, md, "MB/s", ms / md, "higher"),
                    new Figure("network-rtt", "ping round trip guest to guest (avg of 20)", rttSwitch, rttDirect, "ms", rttSwitch / rttDirect, "lower"));
        } finally {
            all.forEach(Machine::close);
        }
    }

    private static Machine machine(BenchEnvironment env, Map<String, Network> nets, MachineConfig config) {
        return new Machine(config, new MachineEnvironment(env.events, env.dir.resolve(config.name()),
                env.sockets.resolve(config.name()), RunOptions.DEFAULT, nets));
    }

    private static MachineConfig.Nic nic(String machine, String address) {
        return new MachineConfig.Nic("bench", address, "virtio", Macs.derive("bench/" + machine));
    }

    /** A guest with a virtio-net NIC on a QEMU socket netdev (the baseline's direct link). */
    private static MachineConfig direct(String name, String socket, String address) {
        String mac = Macs.derive("bench/" + name);
        return new MachineConfig(name)
                .qemuArgs(List.of("-netdev", "socket,id=direct," + socket,
                        "-device", "virtio-net-pci,netdev=direct,mac=" + mac + ",romfile="))
                .append("jvt.nic=" + mac + "," + address);
    }

    /**
     * Sends MEGABYTES from a to b with nc; returns MB/s. The receiver runs in the background on b;
     * busybox nc on a closes its side at the end of its input and exits when b's nc has read
     * everything and gone, so the sender's command time is the transfer time. (b's nc reads its
     * input from a sleep: at the end of its own input it would close its side, and the sender's
     * nc quits when its peer closes.)
     */
    private static double transfer(Pair p) {
        long bytes = MEGABYTES * 1024L * 1024L;
        p.b().succeed("rm -f /tmp/rx; (sh -c 'echo $$ > /tmp/hold.pid; exec sleep 3600' | nc -l -p " + PORT
                + " | wc -c > /tmp/rx) </dev/null >/dev/null 2>&1 &");
        p.b().waitUntilSucceeds("netstat -ltn | grep -q ':" + PORT + " '", Duration.ofSeconds(60));
        long t0 = System.nanoTime();
        p.a().succeed("dd if=/dev/zero bs=65536 count=" + (bytes / 65536) + " 2>/dev/null | nc " + p.bAddress() + " " + PORT, Duration.ofSeconds(600));
        double seconds = (System.nanoTime() - t0) / 1e9;
        String got = p.b().waitUntilSucceeds("test -s /tmp/rx && cat /tmp/rx", Duration.ofSeconds(60)).trim();
        p.b().succeed("kill $(cat /tmp/hold.pid)");
        if (!got.equals(Long.toString(bytes))) {
            throw JvtException.infrastructure("bench network (" + p.label() + "): the receiver got " + got + " bytes, expected " + bytes);
        }
        return bytes / 1024.0 / 1024.0 / seconds;
    }

    private static double rtt(Pair p) {
        String out = p.a().succeed("ping -c 20 -i 0.2 " + p.bAddress(), Duration.ofSeconds(120));
        Matcher m = RTT.matcher(out);
        if (!m.find()) {
            throw JvtException.infrastructure("bench network (" + p.label() + "): no round-trip line in:\n" + out);
        }
        return Double.parseDouble(m.group(2));
    }

    /**
     * Frames per second the switch forwards with nothing else in the way: one client writes
     * 1514-byte frames to a learned address, another reads them; the writer keeps at most 1,000
     * frames in flight (the switch drops what does not fit its 4 MB queue, as a switch does).
     */
    private static double switchAlone(BenchEnvironment env) throws Exception {
        Path dir = env.socketDir("alone");
        try (Network n = Network.start("alone", "10.0.1.0/24", dir.resolve("alone.pcap"), dir, null);
             SocketChannel a = SocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel b = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            byte[] macA = {0x52, 0x54, 0, 0, 0, 0x0a};
            byte[] macB = {0x52, 0x54, 0, 0, 0, 0x0b};
            a.connect(UnixDomainSocketAddress.of(n.attach("a", "52:54:00:00:00:0a")));
            b.connect(UnixDomainSocketAddress.of(n.attach("b", "52:54:00:00:00:0b")));
            int len = 1514;
            ByteBuffer hello = ByteBuffer.allocate(4 + 60);
            hello.putInt(60).put(new byte[]{-1, -1, -1, -1, -1, -1}).put(macB).position(64).flip();
            b.write(hello); // the switch learns b
            ByteBuffer first = ByteBuffer.allocate(4 + 60);
            while (first.hasRemaining()) {
                a.read(first); // ... and a hears it: b's port is known
            }
            int frames = 200_000;
            int batch = 50;
            int window = 1000;
            AtomicLong bytesIn = new AtomicLong();
            ByteBuffer out = ByteBuffer.allocateDirect(batch * (4 + len));
            for (int i = 0; i < batch; i++) {
                int p = out.position();
                out.putInt(len).put(macB).put(macA).position(p + 4 + len);
            }
            long want = (long) frames * (4 + len);
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
                try {
                    while (bytesIn.get() < want) {
                        int k = b.read(in);
                        if (k < 0) {
                            break;
                        }
                        bytesIn.addAndGet(k);
                        in.clear();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return System.nanoTime();
            });
            long t0 = System.nanoTime();
            for (int sent = 0; sent < frames; sent += batch) {
                while (sent - bytesIn.get() / (4 + len) > window) {
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                }
                out.flip();
                while (out.hasRemaining()) {
                    a.write(out);
                }
                out.clear().position(out.capacity());
            }
            long t1 = reader.get(60, TimeUnit.SECONDS);
            return frames / ((t1 - t0) / 1e9);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
