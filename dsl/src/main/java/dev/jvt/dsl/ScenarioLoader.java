package dev.jvt.dsl;

import dev.jvt.engine.JvtException;
import groovy.lang.Binding;
import groovy.lang.MissingMethodException;
import groovy.lang.MissingPropertyException;
import groovy.lang.Script;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.customizers.ImportCustomizer;
import org.codehaus.groovy.control.messages.Message;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.syntax.SyntaxException;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compiles and runs scenario files under their own file names and collects the scenarios they
 * declare. Every mistake comes out as a {@link DslException} whose message starts with
 * {@code path/file.groovy:LINE:} — never a Java stack trace.
 */
public final class ScenarioLoader {
    private static final List<Class<?>> KEYWORD_CLASSES = List.of(ScenarioScript.class, ScenarioSpec.class, MachineSpec.class, GuestSpec.class, DebianSpec.class);

    /** Loads every scenario of {@code file}; {@code shown} is how the path is printed in errors. */
    public List<ScenarioDefinition> load(Path file, String shown) {
        if (!Files.isRegularFile(file)) {
            throw new DslException("scenario file not found: " + file.toAbsolutePath());
        }
        String text;
        try {
            text = text(Files.readAllBytes(file), shown);
        } catch (IOException e) {
            throw new DslException("cannot read scenario file " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        CompilerConfiguration cc = configuration();
        Binding binding = new Binding();
        binding.setVariable(ScenarioScript.FILE, file.toAbsolutePath().normalize());
        Path named = file.toAbsolutePath().normalize();
        Script script;
        try {
            Class<?> compiled = CompiledScripts.scriptClass(ScenarioLoader.class.getClassLoader(), cc,
                    new groovy.lang.GroovyCodeSource(text, Locations.sourceName(named),
                            named.getParent() == null ? "/" : named.getParent().toUri().toString()));
            script = org.codehaus.groovy.runtime.InvokerHelper.createScript(compiled, binding);
        } catch (MultipleCompilationErrorsException e) {
            throw compileError(e, shown);
        } catch (RuntimeException e) {
            throw new DslException(shown + ":1: " + e.getMessage());
        }
        try {
            script.run();
        } catch (JvtException e) {
            if (e instanceof DslException d && e.getMessage().startsWith(shown + ":")) {
                throw d;
            }
            int line = e instanceof DslException d && d.line() > 0 ? d.line() : Locations.lineIn(e, named);
            throw at(shown, line, e.getMessage());
        } catch (MissingMethodException e) {
            throw at(shown, Locations.lineIn(e, named), describe(e));
        } catch (MissingPropertyException e) {
            throw at(shown, Locations.lineIn(e, named), "unknown name '" + e.getProperty() + "'");
        } catch (groovy.lang.GroovyRuntimeException e) {
            java.util.regex.Matcher m = AMBIGUOUS.matcher(String.valueOf(e.getMessage()));
            throw at(shown, Locations.lineIn(e, named), m.lookingAt()
                    ? "'" + m.group(1) + "' needs an argument that says which form is meant (not null or nothing); it takes " + forms(m.group(1))
                    : firstLine(String.valueOf(e.getMessage())));
        } catch (AssertionError e) {
            // Groovy's power assertion: "assert x == 2" and the values, which say it all
            throw at(shown, Locations.lineIn(e, named), String.valueOf(e.getMessage()).strip());
        } catch (StackOverflowError e) {
            throw at(shown, Locations.lineIn(e, named), "the script recurses without end (stack overflow)");
        } catch (RuntimeException e) {
            // what the script threw itself: its own words are the message
            throw at(shown, Locations.lineIn(e, named), e.getMessage() == null || e.getMessage().isBlank()
                    ? "the script threw " + e.getClass().getSimpleName() : e.getMessage());
        }
        @SuppressWarnings("unchecked")
        List<ScenarioDefinition> found = binding.hasVariable(ScenarioScript.SCENARIOS)
                ? (List<ScenarioDefinition>) binding.getVariable(ScenarioScript.SCENARIOS) : List.of();
        if (found.isEmpty()) {
            throw new DslException(shown + ":1: declares no scenario (expected: scenario('name') { ... })");
        }
        return new ArrayList<>(found);
    }

    /** How every scenario file is compiled: its base class {@link ScenarioScript} and the default imports. */
    public static CompilerConfiguration configuration() {
        CompilerConfiguration cc = new CompilerConfiguration();
        cc.setScriptBaseClass(ScenarioScript.class.getName());
        cc.addCompilationCustomizers(new ImportCustomizer()
                .addImports("java.time.Duration", "java.nio.file.Path", "java.nio.file.Paths")
                .addStarImports("dev.jvt.engine"));
        return cc;
    }

    /** The type checking extension that gives a scenario's dynamic names their types (a resource of this jar). */
    public static final String TYPE_CHECKING_EXTENSION = "dev/jvt/dsl/ScenarioTypeChecking.groovy";

    /**
     * Compiles {@code file} as {@link #load} does, with Groovy's static type checking and
     * {@link #TYPE_CHECKING_EXTENSION}, without running it; returns each error as
     * {@code shown:LINE: message} (none: the file type-checks).
     */
    public static List<String> typeCheck(Path file, String shown) throws IOException {
        CompilerConfiguration cc = configuration();
        cc.addCompilationCustomizers(new org.codehaus.groovy.control.customizers.ASTTransformationCustomizer(
                java.util.Map.of("extensions", List.of(TYPE_CHECKING_EXTENSION)), groovy.transform.TypeChecked.class));
        Path named = file.toAbsolutePath().normalize();
        String text = text(Files.readAllBytes(file), shown);
        try (groovy.lang.GroovyClassLoader gcl = new groovy.lang.GroovyClassLoader(ScenarioLoader.class.getClassLoader(), cc)) {
            gcl.parseClass(new groovy.lang.GroovyCodeSource(text, Locations.sourceName(named), "/groovy/script"), false);
            return List.of();
        } catch (MultipleCompilationErrorsException e) {
            List<String> out = new java.util.ArrayList<>();
            for (Object m : e.getErrorCollector().getErrors()) {
                if (m instanceof org.codehaus.groovy.control.messages.SyntaxErrorMessage se) {
                    String msg = se.getCause().getMessage().replaceAll("\\s*@ line \\d+, column \\d+\\.\\s*$", "");
                    out.add(shown + ":" + se.getCause().getLine() + ": " + msg.lines().findFirst().orElse(msg));
                } else {
                    out.add(shown + ": " + m);
                }
            }
            return out;
        }
    }

    /** The file's bytes as UTF-8 text; bytes that are not (a binary file) are an error at their line. */
    private static String text(byte[] bytes, String shown) {
        java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.charset.CoderResult r = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(in, chars, true);
        if (r.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw at(shown, line, "not a text file: byte " + in.position() + " is not UTF-8 (a scenario is a Groovy script)");
        }
        return chars.flip().toString();
    }

    private static DslException at(String shown, int line, String message) {
        return new DslException(shown + ":" + (line > 0 ? line : 1) + ": " + message);
    }

    private static DslException compileError(MultipleCompilationErrorsException e, String shown) {
        for (Message m : e.getErrorCollector().getErrors()) {
            if (m instanceof SyntaxErrorMessage sem) {
                SyntaxException se = sem.getCause();
                String msg = se.getOriginalMessage().replaceAll("\\s*@ line \\d+, column \\d+\\.?\\s*$", "").trim();
                return new DslException(shown + ":" + se.getLine() + ": " + firstLine(msg));
            }
        }
        return new DslException(shown + ":1: " + firstLine(e.getMessage()));
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int i = t.indexOf('\n');
        return i < 0 ? t : t.substring(0, i);
    }

    private static final java.util.Map<Class<?>, String> BLOCKS = java.util.Map.of(ScenarioScript.class, "the top level of the file",
            ScenarioSpec.class, "a scenario block", MachineSpec.class, "a machine block", GuestSpec.class, "a guest block",
            DebianSpec.class, "a debian block");

    /**
     * "unknown keyword 'memroy'", "wrong arguments for 'cpus': (String); it takes cpus(Number)" or
     * "'memory' belongs in a machine block, not in a scenario block".
     */
    static String describe(MissingMethodException e) {
        String name = e.getMethod();
        StringBuilder types = new StringBuilder();
        for (Object a : e.getArguments()) {
            if (types.length() > 0) {
                types.append(", ");
            }
            types.append(typeOf(a));
        }
        Class<?> here = e.getType() != null && Script.class.isAssignableFrom(e.getType()) ? ScenarioScript.class : e.getType();
        Set<String> forms = new TreeSet<>();
        List<Class<?>> elsewhere = new ArrayList<>();
        for (Method m : keyword(name)) {
            Class<?> c = m.getDeclaringClass();
            if (c == here) {
                forms.add(name + signature(m));
            } else if (!elsewhere.contains(c)) {
                elsewhere.add(c);
            }
        }
        if (!forms.isEmpty()) {
            return "wrong arguments for '" + name + "': (" + types + "); it takes " + String.join(" or ", forms);
        }
        if (!elsewhere.isEmpty() && BLOCKS.containsKey(here)) {
            return "'" + name + "' belongs in " + BLOCKS.get(elsewhere.get(0)) + ", not in " + BLOCKS.get(here);
        }
        if (e.getType() != null && !KEYWORD_CLASSES.contains(e.getType()) && !Script.class.isAssignableFrom(e.getType())) {
            return "no method '" + name + "(" + types + ")' on " + e.getType().getSimpleName();
        }
        return "unknown keyword '" + name + "'";
    }

    /** Groovy's words for a call that fits several forms equally (a null argument, or none, for one parameter). */
    private static final java.util.regex.Pattern AMBIGUOUS = java.util.regex.Pattern.compile("Could not find which method (\\w+)\\(\\) to invoke");

    /** "disk(Map) or disk(value)": every form of keyword {@code name}. */
    private static String forms(String name) {
        Set<String> forms = new TreeSet<>();
        for (Method m : keyword(name)) {
            forms.add(name + signature(m));
        }
        return String.join(" or ", forms);
    }

    /** The public instance methods named {@code name} of the keyword classes, in their order. */
    private static List<Method> keyword(String name) {
        List<Method> out = new ArrayList<>();
        for (Class<?> c : KEYWORD_CLASSES) {
            for (Method m : c.getDeclaredMethods()) {
                if (java.lang.reflect.Modifier.isPublic(m.getModifiers()) && !java.lang.reflect.Modifier.isStatic(m.getModifiers())
                        && m.getName().equals(name)) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    /** The type of a script's value as its author knows it: "Closure", not "_run_closure1"; "String" for a GString; "null". */
    static String typeOf(Object a) {
        return a == null ? "null" : a instanceof groovy.lang.Closure ? "Closure" : a instanceof CharSequence ? "String"
                : a instanceof Path ? "Path" : a.getClass().getSimpleName();
    }

    /** "(String)", "(Map, String)": a keyword's parameters as a user reads them. */
    private static String signature(Method m) {
        StringBuilder b = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(p == Object.class ? "value" : p.isArray() ? p.getComponentType().getSimpleName() + "..." : p.getSimpleName());
        }
        return b.append(")").toString();
    }
}
