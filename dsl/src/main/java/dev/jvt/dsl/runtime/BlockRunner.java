package dev.jvt.dsl.runtime;

import dev.jvt.dsl.Locations;
import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.TestContext;
import dev.jvt.engine.JvtException;
import groovy.lang.Closure;
import groovy.lang.MissingMethodException;

import java.util.Arrays;
import java.util.List;

/**
 * Runs a scenario's setup, test and teardown closures with a {@link TestContext} as their
 * delegate (machines and networks by name); a failure comes back located at its scenario line.
 */
public final class BlockRunner {
    private BlockRunner() {
    }

    /** Runs {@code blocks} in order; returns the failure (with {@code file:line}), or null. */
    public static Throwable run(List<Closure<?>> blocks, TestContext ctx, ScenarioDefinition def) {
        try {
            ctx.runAsCurrent(() -> {
                for (Closure<?> body : blocks) {
                    Closure<?> c = body.rehydrate(ctx, body.getOwner(), body.getThisObject());
                    c.setResolveStrategy(Closure.DELEGATE_FIRST);
                    c.call();
                }
            });
            return null;
        } catch (JvtException e) {
            return e;
        } catch (AssertionError e) {
            return located(e, def, e.getMessage());
        } catch (RuntimeException e) {
            String msg = e instanceof MissingMethodException mm
                    ? "no method " + mm.getMethod() + " on " + (mm.getType() == null ? "?" : mm.getType().getSimpleName())
                    + " for arguments " + Arrays.toString(mm.getArguments())
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            return located(e, def, msg);
        }
    }

    private static JvtException located(Throwable e, ScenarioDefinition def, String message) {
        int line = Locations.lineIn(e, def.file());
        String where = def.file() == null ? "" : def.source() + (line > 0 ? ":" + line : "") + ": ";
        return new JvtException(JvtException.Kind.TEST_FAILURE, where + message, e);
    }
}
