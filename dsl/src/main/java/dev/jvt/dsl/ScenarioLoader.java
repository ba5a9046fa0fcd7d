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
    private static final List<Class<?>> KEYWORD_CLASSES = List.of(ScenarioScript.class, ScenarioSpec.class, MachineSpec.class, GuestSpec.class);

    /** Loads every scenario of {@code file}; {@code shown} is how the path is printed in errors. */
    public List<ScenarioDefinition> load(Path file, String shown) {
        if (!Files.isRegularFile(file)) {
            throw new DslException("scenario file not found: " + file.toAbsolutePath());
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new DslException("cannot read scenario file " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        CompilerConfiguration cc = new CompilerConfiguration();
        cc.setScriptBaseClass(ScenarioScript.class.getName());
        cc.addCompilationCustomizers(new ImportCustomizer()
                .addImports("java.time.Duration", "java.nio.file.Path", "java.nio.file.Paths")
                .addStarImports("dev.jvt.engine"));
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
            if (e instanceof DslException && e.getMessage().startsWith(shown + ":")) {
                throw (DslException) e;
            }
            throw at(shown, Locations.lineIn(e, named), e.getMessage());
        } catch (MissingMethodException e) {
            throw at(shown, Locations.lineIn(e, named), describe(e));
        } catch (MissingPropertyException e) {
            throw at(shown, Locations.lineIn(e, named), "unknown name '" + e.getProperty() + "'");
        } catch (groovy.lang.GroovyRuntimeException e) {
            throw at(shown, Locations.lineIn(e, named), e.getMessage());
        } catch (RuntimeException | AssertionError e) {
            throw at(shown, Locations.lineIn(e, named), e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        @SuppressWarnings("unchecked")
        List<ScenarioDefinition> found = binding.hasVariable(ScenarioScript.SCENARIOS)
                ? (List<ScenarioDefinition>) binding.getVariable(ScenarioScript.SCENARIOS) : List.of();
        if (found.isEmpty()) {
            throw new DslException(shown + ":1: declares no scenario (expected: scenario('name') { ... })");
        }
        return new ArrayList<>(found);
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

    /** "unknown keyword 'memroy'" or "wrong arguments for 'memory': (Integer)". */
    static String describe(MissingMethodException e) {
        String name = e.getMethod();
        Set<String> known = new TreeSet<>();
        Class<?> owner = null;
        for (Class<?> c : KEYWORD_CLASSES) {
            for (Method m : c.getDeclaredMethods()) {
                if (java.lang.reflect.Modifier.isPublic(m.getModifiers())) {
                    known.add(m.getName());
                    if (m.getName().equals(name)) {
                        owner = c;
                    }
                }
            }
        }
        StringBuilder types = new StringBuilder();
        for (Object a : e.getArguments()) {
            if (types.length() > 0) {
                types.append(", ");
            }
            types.append(a == null ? "null" : a.getClass().getSimpleName());
        }
        if (owner != null) {
            return "wrong arguments for '" + name + "': (" + types + ")";
        }
        if (e.getType() != null && !KEYWORD_CLASSES.contains(e.getType()) && !Script.class.isAssignableFrom(e.getType())) {
            return "no method '" + name + "(" + types + ")' on " + e.getType().getSimpleName();
        }
        return "unknown keyword '" + name + "'";
    }
}
