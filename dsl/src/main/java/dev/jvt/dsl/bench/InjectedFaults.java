package dev.jvt.dsl.bench;

import dev.jvt.dsl.cli.Main;
import dev.jvt.engine.qemu.ProcessLauncher;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The faults jvt must survive, each injected into a real run of a self-test scenario: the test
 * the fault hits must fail naming its cause, the test after it must pass (the run goes on), and
 * no QEMU may be left. Used by {@code FaultsSpec} (each fault a test) and {@code jvt bench faults}
 * (the counts).
 */
public final class InjectedFaults {

    /** How a fault is injected: in this JVM, in a jvt JVM of its own sent a signal, or on a full file system. */
    public enum Way { IN_PROCESS, SIGNAL, DISK_FULL }

    /**
     * One fault: {@code scenario} (under scenarios/selftest) is run; test {@code hit} must fail
     * with {@code cause} in its message, test {@code after} (if any) must pass, jvt must exit
     * {@code exitCode}.
     */
    public record Fault(String name, String scenario, Way way, int exitCode, String hit, String cause, String after,
                        Map<String, String> properties) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What injecting one fault showed. */
    public record Outcome(Fault fault, boolean survived, int exitCode, int qemuLeft, long imageBytesChanged, String detail) {
    }

    private InjectedFaults() {
    }

    /** Every fault jvt is tested against. */
    public static List<Fault> all() {
        return List.of(
                new Fault("QEMU killed mid-test", "qemu-dies.groovy", Way.IN_PROCESS, 4,
                        "QEMU is killed while the test runs", "QEMU exited unexpectedly (killed by signal 9, SIGKILL)",
                        "the next test starts from the snapshot in a new QEMU", Map.of()),
                new Fault("QEMU killed while writing a user image", "user-image-kill.groovy", Way.IN_PROCESS, 4,
                        "QEMU is killed while the guest writes the disk", "QEMU exited unexpectedly (killed by signal 9, SIGKILL)",
                        "the next test starts from the snapshot in a new QEMU", Map.of()),
                new Fault("hung monitor (QEMU stopped)", "monitor-hangs.groovy", Way.IN_PROCESS, 4,
                        "the monitor does not answer", "killed by jvt: its monitor gave no reply",
                        "the next test starts from the snapshot in a new QEMU", Map.of()),
                new Fault("switch thread dies", "switch-dies.groovy", Way.IN_PROCESS, 4,
                        "the switch dies while the machines talk", "network 'lan': its switch stopped forwarding frames",
                        "the next test finds the network working", Map.of()),
                new Fault("guest floods its console", "console-flood.groovy", Way.IN_PROCESS, 1,
                        "floods the console", "the guest flooded its console: more than 1 MiB",
                        "the next test starts from the snapshot, quiet", Map.of("jvt.consoleLimit", "1")),
                new Fault("SIGINT mid-test", "interrupted.groovy", Way.SIGNAL, 130,
                        "hangs", "interrupted by SIGINT", null, Map.of()),
                new Fault("SIGTERM mid-test", "interrupted.groovy", Way.SIGNAL, 143,
                        "hangs", "interrupted by SIGTERM", null, Map.of()),
                new Fault("disk full in the run directory", "disk-full.groovy", Way.DISK_FULL, 4,
                        "fills the run directory", "disk full: cannot write ", null, Map.of()));
    }

    /** Whether {@code f} can be injected on this host (a full file system needs root for its tmpfs). */
    public static boolean injectable(Fault f) {
        return f.way() != Way.DISK_FULL || ("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare")));
    }

    /** Injects {@code f} in a run of its scenario from {@code repo}, the run directory under {@code work}. */
    public static Outcome inject(Fault f, Path repo, Path work) throws Exception {
        Path scenario = repo.resolve("scenarios/selftest").resolve(f.scenario());
        Path dir = Files.createTempDirectory(Files.createDirectories(work), "fault-");
        Path image = dir.resolve("user.img");
        Files.write(image, new byte[8 << 20]);
        long before = Files.size(image);
        byte[] original = Files.readAllBytes(image);
        Path out = dir.resolve("run");
        int code;
        String said;
        List<Long> qemus = new ArrayList<>();
        Map<String, String> props = new LinkedHashMap<>(f.properties());
        props.put("jvt.faults.image", image.toString());
        switch (f.way()) {
            case IN_PROCESS -> {
                props.forEach(System::setProperty);
                StringWriter o = new StringWriter();
                StringWriter e = new StringWriter();
                try {
                    code = Main.execute(new String[]{"run", "--out", out.toString(), scenario.toString()},
                            new PrintWriter(o, true), new PrintWriter(e, true));
                } finally {
                    props.keySet().forEach(System::clearProperty);
                }
                said = o + "\n" + e;
            }
            case SIGNAL -> {
                Process jvt = start(List.of(), props, out, scenario, dir.resolve("jvt.out"));
                try {
                    waitFor(dir.resolve("jvt.out"), "test '" + f.hit() + "'", jvt, 180);
                    Thread.sleep(2000);
                    qemus.addAll(qemuChildren(jvt.pid()));
                    String sig = f.exitCode() == 130 ? "INT" : "TERM";
                    new ProcessBuilder("kill", "-" + sig, Long.toString(jvt.pid())).start().waitFor();
                    if (!jvt.waitFor(30, TimeUnit.SECONDS)) {
                        jvt.destroyForcibly();
                    }
                    code = jvt.isAlive() ? -1 : jvt.exitValue();
                } finally {
                    jvt.destroyForcibly();
                }
                said = Files.readString(dir.resolve("jvt.out"));
            }
            default -> {
                Path mount = Files.createDirectories(dir.resolve("full"));
                out = mount.resolve("run");
                List<String> wrap = List.of("/usr/bin/unshare", "-m", "sh", "-c",
                        "mount -t tmpfs -o size=2m jvt-full \"$0\" && exec \"$@\"", mount.toString());
                Process jvt = start(wrap, props, out, scenario, dir.resolve("jvt.out"));
                if (!jvt.waitFor(300, TimeUnit.SECONDS)) {
                    jvt.destroyForcibly();
                }
                code = jvt.isAlive() ? -1 : jvt.exitValue();
                said = Files.readString(dir.resolve("jvt.out"));
            }
        }
        int left = ProcessLauncher.liveCount() + (int) qemus.stream().filter(p -> Files.exists(Path.of("/proc/" + p))).count()
                + qemuMentioning(dir).size();
        byte[] now = Files.readAllBytes(image);
        long changed = Math.abs(now.length - before);
        for (int i = 0; i < Math.min(now.length, original.length); i++) {
            if (now[i] != original[i]) {
                changed++;
            }
        }
        List<String> problems = new ArrayList<>();
        if (code != f.exitCode()) {
            problems.add("exit code " + code + ", expected " + f.exitCode());
        }
        if (f.way() == Way.DISK_FULL) {
            if (!said.contains(f.cause()) || !said.contains(out.toString())) {
                problems.add("no '" + f.cause() + "' naming " + out + " in what jvt said");
            }
        } else {
            Map<String, String[]> cases = junitCases(out.resolve("junit.xml"));
            String[] hit = cases.get(f.hit());
            if (hit == null || !(hit[0].equals("failure") || hit[0].equals("error")) || !hit[1].contains(f.cause())) {
                problems.add("test '" + f.hit() + "' is " + (hit == null ? "missing" : hit[0] + ": " + firstLine(hit[1])) + ", expected a failure with '" + f.cause() + "'");
            }
            if (f.after() != null && (cases.get(f.after()) == null || !cases.get(f.after())[0].equals("passed"))) {
                String[] a = cases.get(f.after());
                problems.add("test '" + f.after() + "' is " + (a == null ? "missing" : a[0] + ": " + firstLine(a[1])) + ", expected passed");
            }
        }
        if (left != 0) {
            problems.add(left + " QEMU process(es) left");
        }
        if (changed != 0) {
            problems.add(changed + " bytes of the user image changed");
        }
        return new Outcome(f, problems.isEmpty(), code, left, changed,
                problems.isEmpty() ? "survived" : String.join("; ", problems) + "\n--- jvt said ---\n" + said);
    }

    private static Process start(List<String> wrap, Map<String, String> props, Path out, Path scenario, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(wrap);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--out", out.toString(), scenario.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void waitFor(Path log, String text, Process p, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
    }

    /** Test name to [passed|failure|error|skipped, message and text] from a JUnit XML file (empty when absent). */
    static Map<String, String[]> junitCases(Path junit) throws Exception {
        Map<String, String[]> cases = new LinkedHashMap<>();
        if (!Files.isRegularFile(junit)) {
            return cases;
        }
        NodeList tcs = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile()).getElementsByTagName("testcase");
        for (int i = 0; i < tcs.getLength(); i++) {
            Element tc = (Element) tcs.item(i);
            String kind = "passed";
            String text = "";
            for (String k : List.of("failure", "error", "skipped")) {
                NodeList n = tc.getElementsByTagName(k);
                if (n.getLength() > 0) {
                    kind = k;
                    Element e = (Element) n.item(0);
                    text = e.getAttribute("message") + "\n" + e.getTextContent();
                    break;
                }
            }
            cases.put(tc.getAttribute("name"), new String[]{kind, text});
        }
        return cases;
    }

    /** QEMU processes that are children of {@code parent}. */
    static List<Long> qemuChildren(long parent) throws IOException {
        return qemus(p -> p.ppid == parent);
    }

    /** QEMU processes whose command line mentions {@code dir} (a fault's own files). */
    static List<Long> qemuMentioning(Path dir) throws IOException {
        return qemus(p -> p.cmdline.contains(dir.toString()));
    }

    private record Proc(long pid, long ppid, String cmdline) {
    }

    private static List<Long> qemus(java.util.function.Predicate<Proc> which) throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    String stat = Files.readString(p.resolve("stat"));
                    long ppid = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
                    Proc proc = new Proc(Long.parseLong(p.getFileName().toString()), ppid, cmd);
                    if (cmd.contains("qemu-system") && which.test(proc)) {
                        found.add(proc.pid());
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        }
        return found;
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
