package dev.jvt.junit5;

import dev.jvt.engine.events.TestRun;
import dev.jvt.spock.runtime.SpecRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

import java.lang.reflect.Method;
import java.util.List;

/**
 * Maps a {@link Jvt} class onto jvt's {@link SpecRun} (the engine of the Spock entry point too):
 * before all, the class is initialised while its static fields declare machines, which then
 * boot; each {@code @BeforeAll}/{@code @AfterAll} method is a fixture in the reports; the first
 * test takes the snapshot, each later one rewinds to it before its {@code @BeforeEach} methods;
 * after all, the machines and networks are closed and the reports updated.
 */
public final class JvtExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler, InvocationInterceptor {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(JvtExtension.class);

    /**
     * The class's run, closed by JUnit when the class's context ends even if afterAll never runs;
     * {@code snapshot[0]}: the snapshot after beforeAll was tried (once, even when it failed).
     */
    private record Held(SpecRun run, boolean[] snapshot) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            run.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Class<?> type = context.getRequiredTestClass();
        Jvt jvt = AnnotationSupport.findAnnotation(type, Jvt.class).orElseThrow();
        SpecRun run = SpecRun.open(type.getSimpleName(), jvt.rewind());
        context.getStore(NS).put("run", new Held(run, new boolean[1]));
        try {
            // the static initialisers run now, with this run as the target of machine(...)
            run.declare(() -> Class.forName(type.getName(), true, type.getClassLoader()));
            run.boot(testNames(type));
        } catch (Throwable e) {
            throw e instanceof Exception x ? x : new RuntimeException(e);
        }
    }

    private static List<String> testNames(Class<?> type) {
        return ReflectionSupport.findMethods(type, m -> AnnotationSupport.isAnnotated(m, Test.class), HierarchyTraversalMode.TOP_DOWN)
                .stream().map(Method::getName).toList();
    }

    private static Held held(ExtensionContext context) {
        Held h = context.getStore(NS).get("run", Held.class);
        if (h == null && context.getParent().isPresent()) {
            return held(context.getParent().get());
        }
        return h;
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> method,
                                         ExtensionContext context) throws Throwable {
        Held h = held(context);
        if (h == null || h.run().bootFailed()) {
            invocation.proceed();
            return;
        }
        h.run().fixture("beforeAll " + method.getExecutable().getName(), TestRun.Kind.SETUP, invocation::proceed);
    }

    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> method,
                                        ExtensionContext context) throws Throwable {
        Held h = held(context);
        if (h == null || h.run().bootFailed()) {
            invocation.proceed();
            return;
        }
        h.run().fixture("afterAll " + method.getExecutable().getName(), TestRun.Kind.TEARDOWN, invocation::proceed);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        Held h = held(context);
        if (h == null) {
            return;
        }
        try {
            if (!h.snapshot()[0]) {
                // after every @BeforeAll method: the state each test starts from
                h.snapshot()[0] = true;
                h.run().setupSpec("snapshot after beforeAll", false, () -> { });
            }
        } catch (Throwable e) {
            throw e instanceof Exception x ? x : new RuntimeException(e);
        }
        h.run().startTest(name(context));
    }

    /** The test's display name, without the "()" JUnit adds to a method's name. */
    private static String name(ExtensionContext context) {
        String d = context.getDisplayName();
        String m = context.getTestMethod().map(Method::getName).orElse("");
        return d.equals(m + "()") ? m : d;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable error) throws Throwable {
        failed(context, error);
        throw error;
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable error) throws Throwable {
        failed(context, error);
        throw error;
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable error) throws Throwable {
        failed(context, error);
        throw error;
    }

    private static void failed(ExtensionContext context, Throwable error) {
        Held h = held(context);
        if (h != null) {
            h.run().failed(error);   // the console and a screenshot, while the machines are as the failure left them
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Held h = held(context);
        if (h != null) {
            h.run().finishTest(context.getExecutionException().orElse(null));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Held h = context.getStore(NS).remove("run", Held.class);
        if (h != null) {
            h.run().close();
        }
    }
}
