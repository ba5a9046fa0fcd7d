package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code jvt init DIR}: a project a new user can open and run: a scenario file, a Spock spec of the
 * same machine and a pom that brings jvt, Spock and Groovy. Refuses a folder that holds anything.
 */
@Command(name = "init", description = "Make a new project in DIR: a scenario, a Spock spec and a pom, ready to run and to open in an IDE.")
public final class InitCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "The new project's folder (must be absent or empty).")
    Path dir;

    @Option(names = "--group", paramLabel = "ID", defaultValue = "com.example", description = "The pom's groupId and the spec's package (default: ${DEFAULT-VALUE}).")
    String group;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!group.matches("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*")) {
            throw JvtException.badInput("jvt init: --group " + group + " is not a Java package name (lower case, dots, e.g. com.example)");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw JvtException.badInput("jvt init: " + dir + " is a file; give a new folder");
        }
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw JvtException.badInput("jvt init: " + dir + " is not empty; jvt init makes a new project and overwrites nothing");
                }
            }
        }
        String artifact = dir.toAbsolutePath().normalize().getFileName() == null ? "jvt-project"
                : dir.toAbsolutePath().normalize().getFileName().toString().replaceAll("[^A-Za-z0-9_.-]", "-");
        String version = Main.class.getPackage().getImplementationVersion();
        Map<String, String> vars = Map.of("GROUP", group, "ARTIFACT", artifact, "PACKAGE_PATH", group.replace('.', '/'),
                "PACKAGE", group, "JVT_VERSION", version == null ? "0.1.0-SNAPSHOT" : version, "JVT_COMMAND", self());
        Map<String, String> files = new LinkedHashMap<>();
        files.put("pom.xml", "pom.xml.txt");
        files.put("README.md", "README.md.txt");
        files.put("scenarios/hello.groovy", "hello.groovy.txt");
        files.put("src/test/groovy/" + group.replace('.', '/') + "/HelloSpec.groovy", "HelloSpec.groovy.txt");
        files.put("src/test/resources/logback-test.xml", "logback-test.xml.txt");
        files.put(".gitignore", null);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path target = dir.resolve(f.getKey());
            Files.createDirectories(target.getParent());
            String text = f.getValue() == null ? "target/\nbuild/\n" : fill(template(f.getValue()), vars);
            Files.writeString(target, text, StandardCharsets.UTF_8);
        }
        var o = spec.commandLine().getOut();
        o.println("jvt: made " + dir + ": " + String.join(", ", files.keySet()));
        o.println("  run the scenario:  " + self() + " run " + dir.resolve("scenarios/hello.groovy"));
        o.println("  run the spec:      cd " + dir + " && mvn test    (after mvn install in jvt's folder)");
        o.flush();
        return 0;
    }

    private static String template(String name) throws IOException {
        try (InputStream in = InitCommand.class.getResourceAsStream("/dev/jvt/dsl/init/" + name)) {
            if (in == null) {
                throw JvtException.infrastructure("jvt init: the template " + name + " is missing from jvt's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String fill(String text, Map<String, String> vars) {
        String out = text;
        // longest names first, so PACKAGE_PATH is not taken for PACKAGE
        for (String k : vars.keySet().stream().sorted((a, b) -> b.length() - a.length()).toList()) {
            out = out.replace(k, vars.get(k));
        }
        return out;
    }

    /** How to call this jvt: $JVT_HOME/jvt when the launcher set it, else "jvt". */
    private static String self() {
        String home = System.getProperty("jvt.home");
        return home == null ? "jvt" : Path.of(home).resolve("jvt").toString();
    }
}
