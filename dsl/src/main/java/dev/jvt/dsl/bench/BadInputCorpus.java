package dev.jvt.dsl.bench;

import dev.jvt.dsl.cli.Main;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The bad-input corpus ({@code scenarios/bad-inputs/}): broken scenarios and command lines, each
 * with what jvt must answer. Every case is run through the command line in this JVM
 * ({@link Main#execute}) and counts as clearly reported when it exits with the expected code
 * (2, or 3 for a host matter), its error starts with {@code file:LINE:} at the right line when it
 * is about a script, says what its regex says, and shows no stack trace. Nothing boots: scenario
 * files run with {@code --dry-run}, and every case fails before a machine would start.
 * <p>
 * Where the expectations are:
 * <ul>
 * <li>a {@code *.groovy} file whose first line is {@code // expect 2 at line 4: REGEX} (or
 * {@code // expect 2: REGEX}) is one case, {@code jvt run --dry-run FILE};</li>
 * <li>{@code cases.txt} holds the rest, one a line: {@code EXIT | WHERE | ARGUMENTS | REGEX}, WHERE
 * being {@code -} (not about a script), {@code file.groovy:N} or {@code file.groovy:*} (any line),
 * {@code {dir}} in ARGUMENTS standing for the corpus folder.</li>
 * </ul>
 */
public final class BadInputCorpus {
    /** The header of a case file: {@code // expect 2 at line 4: unknown keyword 'memroy'}. */
    static final Pattern HEADER = Pattern.compile("//\\s*expect\\s+(\\d)(?:\\s+at\\s+line\\s+(\\d+))?\\s*:\\s*(.*)");
    private static final Pattern WHERE = Pattern.compile("(.+):(\\d+|\\*)");
    /** What a stack trace or a leaked Java exception looks like in jvt's output. */
    private static final List<Pattern> STACK_TRACE = List.of(
            Pattern.compile("\\n?\\tat "),
            Pattern.compile("Caused by"),
            Pattern.compile("\\b\\w*(Exception|Error):"),
            Pattern.compile("\\b(java|javax|groovy|org\\.codehaus|org\\.apache|com\\.fasterxml|picocli|dev\\.jvt)\\.[\\w.$]*(Exception|Error)\\b"));

    /** One broken input: the command line, the exit code, the file and line the error must start with, what it must say. */
    public record Case(String name, List<String> args, int exit, String file, int line, Pattern message) {
        /** No {@code file:LINE:} expected. */
        public static final int NONE = -1;
        /** {@code file:N:} with any N. */
        public static final int ANY = 0;
    }

    /** What jvt answered to a case, and what was wrong with the answer (nothing when it was clearly reported). */
    public record Outcome(Case input, int code, String out, String err, List<String> problems) {
        public boolean clearlyReported() {
            return problems.isEmpty();
        }

        @Override
        public String toString() {
            return input.name() + ": " + (problems.isEmpty() ? "clearly reported" : String.join("; ", problems))
                    + "\n  jvt " + String.join(" ", input.args()) + "\n  exit " + code + ", stderr: " + err.strip();
        }
    }

    /** Every outcome of a corpus run. */
    public record Result(List<Outcome> outcomes) {
        public int tried() {
            return outcomes.size();
        }

        public int clearlyReported() {
            return (int) outcomes.stream().filter(Outcome::clearlyReported).count();
        }

        public List<Outcome> unclear() {
            return outcomes.stream().filter(o -> !o.clearlyReported()).toList();
        }

        /** "bad inputs: tried N, clearly reported M". */
        public String summary() {
            return "bad inputs: tried " + tried() + ", clearly reported " + clearlyReported();
        }
    }

    private BadInputCorpus() {
    }

    /** The corpus of the repository at {@code repo}. */
    public static Path folder(Path repo) {
        return repo.resolve("scenarios").resolve("bad-inputs");
    }

    /** Every case of the corpus in {@code folder}: the case files in name order, then cases.txt. */
    public static List<Case> cases(Path folder) throws IOException {
        Path dir = folder.toAbsolutePath().normalize();
        List<Case> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".groovy")).sorted().toList();
        }
        for (Path f : files) {
            String first = firstLine(f);
            Matcher m = first == null ? null : HEADER.matcher(first.strip());
            if (m != null && m.matches()) {
                out.add(new Case(f.getFileName().toString(), List.of("run", "--dry-run", f.toString()), Integer.parseInt(m.group(1)),
                        f.toString(), m.group(2) == null ? Case.NONE : Integer.parseInt(m.group(2)), Pattern.compile(m.group(3).strip())));
            }
        }
        Path table = dir.resolve("cases.txt");
        if (Files.isRegularFile(table)) {
            List<String> lines = Files.readAllLines(table, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] cols = l.split("\\s+\\|\\s+", 4);
                if (cols.length != 4) {
                    throw new IllegalArgumentException(table + ":" + (i + 1) + ": expected EXIT | WHERE | ARGUMENTS | REGEX");
                }
                List<String> args = Arrays.stream(cols[2].strip().split("\\s+")).map(a -> a.replace("{dir}", dir.toString())).toList();
                String file = null;
                int line = Case.NONE;
                if (!cols[1].strip().equals("-")) {
                    Matcher w = WHERE.matcher(cols[1].strip());
                    if (!w.matches()) {
                        throw new IllegalArgumentException(table + ":" + (i + 1) + ": WHERE is -, file:N or file:*");
                    }
                    file = dir.resolve(w.group(1)).toString();
                    line = w.group(2).equals("*") ? Case.ANY : Integer.parseInt(w.group(2));
                }
                out.add(new Case("cases.txt:" + (i + 1), args, Integer.parseInt(cols[0].strip()), file, line, Pattern.compile(cols[3].strip())));
            }
        }
        return out;
    }

    /** Runs every case of the corpus in {@code folder}. */
    public static Result run(Path folder) throws IOException {
        List<Outcome> outcomes = new ArrayList<>();
        for (Case c : cases(folder)) {
            outcomes.add(run(c));
        }
        return new Result(outcomes);
    }

    /** Runs one case through the command line, in this JVM. */
    public static Outcome run(Case c) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try {
            code = Main.execute(c.args().toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        } catch (RuntimeException | Error e) {
            return new Outcome(c, -1, out.toString(), err.toString(), List.of("jvt threw " + e));
        }
        return new Outcome(c, code, out.toString(), err.toString(), problems(c, code, err.toString(), out.toString()));
    }

    /** What is wrong with jvt's answer {@code code}, {@code err} to case {@code c}; empty when nothing. */
    static List<String> problems(Case c, int code, String err, String out) {
        List<String> p = new ArrayList<>();
        if (code != c.exit()) {
            p.add("exit code " + code + ", expected " + c.exit());
        }
        if (err.isBlank()) {
            p.add("nothing on stderr");
        }
        if (c.file() != null) {
            String prefix = c.file() + ":" + (c.line() == Case.ANY ? "" : c.line() + ": ");
            if (!err.startsWith(prefix) || (c.line() == Case.ANY && !err.substring(prefix.length()).matches("(?s)\\d+: .*"))) {
                p.add("stderr does not start with " + prefix + (c.line() == Case.ANY ? "LINE: " : ""));
            }
        }
        if (!c.message().matcher(err).find()) {
            p.add("stderr does not match /" + c.message() + "/");
        }
        String trace = stackTrace(err + "\n" + out);
        if (trace != null) {
            p.add("stack trace or Java exception in the output: '" + trace + "'");
        }
        return p;
    }

    /** The first sign of a stack trace or a leaked Java exception in {@code text}, or null. */
    public static String stackTrace(String text) {
        for (Pattern s : STACK_TRACE) {
            Matcher m = s.matcher(text);
            if (m.find()) {
                return m.group().strip();
            }
        }
        return null;
    }

    private static String firstLine(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        String s = new String(b, StandardCharsets.UTF_8);
        int i = s.indexOf('\n');
        return s.isEmpty() ? null : i < 0 ? s : s.substring(0, i);
    }
}
