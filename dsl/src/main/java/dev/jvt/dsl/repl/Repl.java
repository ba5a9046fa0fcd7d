package dev.jvt.dsl.repl;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import groovy.lang.Binding;
import groovy.lang.GroovyShell;
import groovy.lang.MissingMethodException;
import groovy.lang.MissingPropertyException;
import org.codehaus.groovy.control.CompilationFailedException;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The read-eval-print loop of {@code jvt repl}. A line is either a monitor-style shortcut
 * ({@code info registers}, {@code stop}, {@code use server}, ...) or Groovy, evaluated with the
 * scenario's machines and networks bound as variables (variables assigned on one line stay for
 * the next). The machines stay paused at the prompt; a Groovy line that calls a method which needs
 * a running guest ({@code succeed}, {@code execute}, {@code sendConsole}, ...) resumes the paused
 * machines for that line and pauses them again afterwards. With a terminal it uses JLine (history,
 * line editing, completion, Ctrl-C interrupts the running call); without one it reads stdin line by
 * line, so scripts and tests can drive it.
 */
public final class Repl {
    /** Methods of the handle that only work while the guest runs: the REPL resumes around them. */
    static final Pattern NEEDS_RUNNING = Pattern.compile(
            "\\b(succeed|fail|execute|waitUntilSucceeds|waitUntilFails|waitForConsole|sendConsole|shutdown|migrate)\\s*[('\"~/]");
    static final List<String> SHORTCUTS = List.of("info", "change", "eject", "stop", "cont", "snapshot", "rewind",
            "use", "console", "machines", "help", "exit", "quit");
    private static final char DETACH = 0x1d; // Ctrl-]
    /** The binding variable holding the current machine; bare handle calls go to it. */
    static final String CURRENT = "current";

    private final ReplSession session;
    private final PrintWriter out;
    private final Binding binding = new Binding();
    private final GroovyShell shell;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jvt-repl-eval");
        t.setDaemon(true);
        return t;
    });
    private volatile Future<?> running;
    private volatile Machine attached;
    private final Set<Machine> listening = new java.util.HashSet<>();
    private Terminal terminal;
    private String current;

    public Repl(ReplSession session, PrintWriter out) {
        this.session = session;
        this.out = out;
        session.networks().forEach(binding::setVariable);
        session.machines().forEach(binding::setVariable);
        binding.setVariable("machines", session.machines());
        binding.setVariable("networks", session.networks());
        org.codehaus.groovy.control.CompilerConfiguration cc = new org.codehaus.groovy.control.CompilerConfiguration();
        cc.setScriptBaseClass(ReplScript.class.getName());
        this.shell = new GroovyShell(Repl.class.getClassLoader(), binding, cc);
        setCurrent(session.machines().keySet().stream().findFirst().orElse(null));
    }

    // ---------------------------------------------------------------- loops

    /** Reads plain lines (no terminal): each is echoed after the prompt, then its result. Returns at EOF or exit. */
    public void runPlain(BufferedReader in) throws IOException {
        banner();
        ReplLoop.plain(in, out, this::prompt, this::handle);
    }

    /** The interactive loop on a real terminal. Returns on exit, Ctrl-D. */
    public void runInteractive(Terminal term) {
        this.terminal = term;
        banner();
        ReplLoop.interactive(term, out, new ReplCompleter(), () -> {
            Future<?> f = running;
            if (f != null) {
                f.cancel(true);
            }
        }, this::prompt, this::handle);
    }

    private void banner() {
        out.println("jvt repl: scenario '" + session.definition().name() + "'; machines " + session.machines().keySet()
                + (session.networks().isEmpty() ? "" : ", networks " + session.networks().keySet())
                + " are paused. 'help' lists the shortcuts; exit or Ctrl-D leaves and stops every QEMU.");
        out.flush();
    }

    private String prompt() {
        return (current == null ? "jvt" : current) + "> ";
    }

    // ---------------------------------------------------------------- one line

    /** Handles one line; false when the REPL should end. */
    boolean handle(String raw) {
        String line = raw.strip();
        if (line.isEmpty()) {
            return true;
        }
        if (line.equals("exit") || line.equals("quit")) {
            return false;
        }
        try {
            if (!shortcut(line)) {
                evaluate(line);
            }
        } catch (RuntimeException e) {
            out.println("error: " + message(e));
        }
        out.flush();
        return true;
    }

    private static final Pattern WORDS = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*(\\s+\\S+)*");

    /** Runs a monitor-style shortcut; false when the line is not one (then it is Groovy). */
    private boolean shortcut(String line) {
        if (!WORDS.matcher(line).matches()) {
            return false;
        }
        String[] w = line.split("\\s+");
        switch (w[0]) {
            case "help":
                help();
                return true;
            case "machines":
                session.machines().values().forEach(m -> out.println("  " + m.getName() + (m.getName().equals(current) ? " (current)" : "")
                        + ": " + (!m.isRunning() ? "down" : m.isPaused() ? "paused" : "running")));
                return true;
            case "info":
                if (w.length < 2) {
                    return false;
                }
                out.print(strip(machine().monitor(line)) + "\n");
                return true;
            case "stop":
                if (w.length != 1) {
                    return false;
                }
                machine().pause();
                out.println(current + ": paused");
                return true;
            case "cont":
                if (w.length != 1) {
                    return false;
                }
                machine().resume();
                out.println(current + ": running");
                return true;
            case "change":
                if (w.length != 3) {
                    return false;
                }
                machine().change(w[1], w[2]);
                out.println(current + ": " + w[1] + " now holds " + w[2]);
                return true;
            case "eject":
                if (w.length != 2) {
                    return false;
                }
                machine().eject(w[1]);
                out.println(current + ": " + w[1] + " ejected");
                return true;
            case "use":
                if (w.length != 2) {
                    return false;
                }
                if (!session.machines().containsKey(w[1])) {
                    throw JvtException.badInput("no machine '" + w[1] + "'; machines: " + session.machines().keySet());
                }
                setCurrent(w[1]);
                return true;
            case "snapshot":
            case "rewind": {
                if (w.length != 2) {
                    return false;
                }
                String name = w[1];
                boolean save = w[0].equals("snapshot");
                // the testbed's checkpoint: every machine and the networks' faults together
                if (save) {
                    session.testbed().checkpoint(name);
                } else {
                    Set<Machine> paused = java.util.concurrent.ConcurrentHashMap.newKeySet();
                    session.testbed().forEach(m -> {
                        if (!m.isRunning() || m.isPaused()) {
                            paused.add(m);
                        }
                    });
                    session.testbed().rewind(name);
                    // a machine that was down starts again, running, from the snapshot: the REPL keeps it paused
                    session.testbed().forEach(m -> {
                        if (paused.contains(m) && m.isRunning() && !m.isPaused()) {
                            m.pause();
                        }
                    });
                }
                out.println((save ? "saved snapshot '" : "rewound to '") + name + "' on " + String.join(", ", session.machines().keySet()));
                return true;
            }
            case "console":
                if (w.length > 2) {
                    return false;
                }
                Machine m = w.length == 2 ? byName(w[1]) : machine();
                if (terminal == null) {
                    out.println("(no terminal: the last console lines of " + m.getName() + ")");
                    out.println(m.serialConsole().lastLines(20));
                } else {
                    attach(m);
                }
                return true;
            default:
                return false;
        }
    }

    private void help() {
        out.println("""
                Groovy with the machines and networks as variables, e.g.  hello.succeed('uname -a')  registers().RIP
                  (a call that needs a running guest - succeed, execute, sendConsole, ... - resumes the machines for that line)
                Shortcuts, on the current machine (the prompt shows it):
                  info WHAT            any monitor 'info' command: info registers, info block, info status
                  stop | cont          pause / continue its virtual CPUs
                  change DEV FILE      insert FILE into removable drive DEV;  eject DEV
                  use MACHINE          switch the current machine;  machines  lists them
                  snapshot NAME        save every machine and network;  rewind NAME  go back to it
                  console [MACHINE]    attach to the serial console (Ctrl-] detaches)
                  exit | Ctrl-D        leave; every QEMU is stopped
                Ctrl-C interrupts a running call.""");
    }

    private void setCurrent(String name) {
        current = name;
        binding.setVariable(CURRENT, name == null ? null : session.machines().get(name));
    }

    private Machine machine() {
        if (current == null) {
            throw JvtException.badInput("the scenario has no machine");
        }
        return byName(current);
    }

    private Machine byName(String name) {
        Machine m = session.machines().get(name);
        if (m == null) {
            throw JvtException.badInput("no machine '" + name + "'; machines: " + session.machines().keySet());
        }
        return m;
    }

    private static final Pattern DEF = Pattern.compile("^def\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*=(?!=)");

    /** Evaluates Groovy on the worker thread; Ctrl-C cancels it. */
    private void evaluate(String line) {
        // 'def x = ...' would make a local of this line only: keep it in the binding instead
        String code = DEF.matcher(line).replaceFirst("$1 =");
        List<Machine> resumed = new ArrayList<>();
        if (NEEDS_RUNNING.matcher(code).find()) {
            for (Machine m : session.machines().values()) {
                if (m.isRunning() && m.isPaused()) {
                    m.resume();
                    resumed.add(m);
                }
            }
        }
        try {
            Future<Object> f = worker.submit(() -> shell.evaluate(code));
            running = f;
            Object result;
            try {
                result = f.get();
            } catch (CancellationException e) {
                out.println("interrupted");
                return;
            } catch (InterruptedException e) {
                f.cancel(true);
                out.println("interrupted");
                return;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } finally {
                running = null;
            }
            if (result != null) {
                out.println("=> " + show(result));
            }
        } finally {
            for (Machine m : resumed) {
                if (m.isRunning()) {
                    m.pause();
                }
            }
        }
    }

    static String show(Object v) {
        if (v instanceof BigInteger b) {
            return b + " (0x" + b.toString(16) + ")";
        }
        if (v instanceof Map<?, ?> map && !map.isEmpty() && map.values().stream().allMatch(x -> x instanceof BigInteger)) {
            StringBuilder sb = new StringBuilder("[");
            map.forEach((k, x) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(":0x").append(((BigInteger) x).toString(16)));
            return sb.append(']').toString();
        }
        if (v instanceof String str) {
            return str.isEmpty() ? "''" : strip(str);
        }
        return strip(org.codehaus.groovy.runtime.InvokerHelper.inspect(v));
    }

    private static String strip(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1).replaceAll("\r", "") : s.replaceAll("\r", "");
    }

    static String message(Throwable e) {
        if (e instanceof MissingMethodException mm) {
            return "no method " + mm.getMethod() + " on " + (mm.getType() == null ? "?" : mm.getType().getSimpleName())
                    + " for arguments " + java.util.Arrays.toString(mm.getArguments());
        }
        if (e instanceof MissingPropertyException mp) {
            return "no variable or property '" + mp.getProperty() + "'";
        }
        if (e instanceof CompilationFailedException) {
            return String.valueOf(e.getMessage()).replaceFirst("^startup failed:\\s*", "").replaceAll("Script\\d+\\.groovy: ", "").strip();
        }
        if (e instanceof JvtException || e instanceof AssertionError) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    // ---------------------------------------------------------------- serial console

    /** Connects the terminal to {@code m}'s serial console until Ctrl-]; the machine runs meanwhile. */
    private void attach(Machine m) {
        if (listening.add(m)) {
            m.serialConsole().onBytes(bytes -> {
                if (attached == m) {
                    try {
                        terminal.output().write(bytes);
                        terminal.output().flush();
                    } catch (IOException ignored) {
                        // the terminal went away
                    }
                }
            });
        }
        boolean wasPaused = m.isPaused();
        if (wasPaused) {
            m.resume();
        }
        out.println("attached to the serial console of " + m.getName() + "; Ctrl-] detaches");
        out.flush();
        Attributes saved = terminal.enterRawMode();
        attached = m;
        try {
            m.sendConsole("\n");
            while (true) {
                int c = terminal.reader().read(200);
                if (c == -2) { // timeout
                    if (!m.isRunning()) {
                        break;
                    }
                    continue;
                }
                if (c < 0 || c == DETACH) {
                    break;
                }
                m.sendConsole(String.valueOf((char) c));
            }
        } catch (IOException e) {
            out.println("error: " + e.getMessage());
        } finally {
            attached = null;
            terminal.setAttributes(saved);
            out.println();
            out.println("detached from " + m.getName());
            if (wasPaused && m.isRunning()) {
                m.pause();
            }
        }
    }

    // ---------------------------------------------------------------- completion

    /** Public method names of the machine handle, for completion. */
    static Set<String> handleMethods() {
        Set<String> names = new TreeSet<>();
        for (Method method : Machine.class.getMethods()) {
            if (Modifier.isStatic(method.getModifiers()) || method.getDeclaringClass() == Object.class) {
                continue;
            }
            names.add(method.getName());
        }
        names.add("console");
        return names;
    }

    private final class ReplCompleter implements Completer {
        private final Set<String> methods = handleMethods();

        @Override
        public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
            String word = line.word().substring(0, line.wordCursor());
            int dot = word.lastIndexOf('.');
            if (dot > 0) {
                String owner = word.substring(0, dot);
                Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)$").matcher(owner);
                if (m.find() && session.machines().containsKey(m.group(1))) {
                    for (String name : methods) {
                        candidates.add(new Candidate(owner + "." + name, name, null, null, null, null, false));
                    }
                }
                return;
            }
            if (line.wordIndex() == 0) {
                SHORTCUTS.forEach(s -> candidates.add(new Candidate(s)));
                methods.forEach(s -> candidates.add(new Candidate(s, s, null, null, null, null, false)));
            }
            session.machines().keySet().forEach(s -> candidates.add(new Candidate(s, s, null, null, null, null, false)));
            session.networks().keySet().forEach(s -> candidates.add(new Candidate(s, s, null, null, null, null, false)));
            if (line.wordIndex() == 1 && line.words().get(0).equals("info")) {
                List.of("registers", "block", "status", "network", "cpus", "snapshots", "mtree", "qtree", "chardev")
                        .forEach(s -> candidates.add(new Candidate(s)));
            }
        }
    }

    /** Stops the evaluation thread. */
    public void shutdown() {
        worker.shutdownNow();
    }
}
