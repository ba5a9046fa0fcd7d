package dev.jvt.spock.runtime;

import dev.jvt.dsl.DslException;
import dev.jvt.engine.events.TestRun;
import dev.jvt.spock.Jvt;
import org.spockframework.runtime.AbstractRunListener;
import org.spockframework.runtime.extension.IAnnotationDrivenExtension;
import org.spockframework.runtime.extension.IMethodInvocation;
import org.spockframework.runtime.model.ErrorInfo;
import org.spockframework.runtime.model.FeatureInfo;
import org.spockframework.runtime.model.SpecInfo;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The extension behind {@link Jvt}. It only adds interceptors:
 * <ul>
 *   <li>around the shared-field initializer: {@code machine(...)} declares machines of this spec;</li>
 *   <li>around {@code setupSpec}: the machines boot (the "boot" fixture); {@code setupSpec} itself
 *       and a snapshot of every machine are the "setupSpec" fixture;</li>
 *   <li>around every feature iteration: a test in the reports that starts by rewinding the
 *       machines to that snapshot (but the first), with the machines' consoles and screenshots
 *       attached when it fails;</li>
 *   <li>around {@code cleanupSpec}: the "cleanupSpec" fixture, then the machines stop and the run's
 *       reports are updated.</li>
 * </ul>
 */
public final class JvtExtension implements IAnnotationDrivenExtension<Jvt> {

    @Override
    public void visitSpecAnnotation(Jvt annotation, SpecInfo annotated) {
        SpecInfo spec = annotated.getBottomSpec();
        boolean rewind = switch (annotation.isolation()) {
            case "snapshot" -> true;
            case "sequential" -> false;
            default -> throw new DslException("@Jvt(isolation = '" + annotation.isolation() + "') is not one of snapshot, sequential");
        };
        SpecMetaClass.install(spec.getReflection());
        AtomicReference<SpecRun> current = new AtomicReference<>();
        spec.addListener(new AbstractRunListener() {
            @Override
            public void error(ErrorInfo error) {
                SpecRun run = current.get();
                if (run != null) {
                    run.failed(error.getException());
                }
            }
        });

        spec.addSharedInitializerInterceptor(inv -> {
            SpecRun run = SpecRun.open(spec.getName(), rewind);
            current.set(run);
            try {
                run.declare(inv::proceed);
            } catch (Throwable e) {
                run.close();
                throw e;
            }
        });

        spec.addSetupSpecInterceptor(inv -> {
            SpecRun run = current.updateAndGet(r -> r != null ? r : SpecRun.open(spec.getName(), rewind));
            run.boot(featureNames(spec));
            run.setupSpec(!spec.getAllSetupSpecMethods().isEmpty(), inv::proceed);
        });

        for (FeatureInfo feature : spec.getAllFeatures()) {
            feature.addIterationInterceptor(inv -> {
                SpecRun run = current.get();
                if (run == null) {
                    inv.proceed();
                    return;
                }
                run.test(iterationName(inv), inv::proceed);
            });
        }

        spec.addCleanupSpecInterceptor(inv -> {
            SpecRun run = current.getAndSet(null);
            try {
                if (run != null && !run.bootFailed() && !spec.getAllCleanupSpecMethods().isEmpty()) {
                    run.fixture("cleanupSpec", TestRun.Kind.TEARDOWN, inv::proceed);
                } else {
                    inv.proceed();
                }
            } finally {
                if (run != null) {
                    run.close();
                }
            }
        });
    }

    private static List<String> featureNames(SpecInfo spec) {
        return spec.getAllFeatures().stream().filter(f -> !f.isSkipped() && !f.isExcluded()).map(FeatureInfo::getName).toList();
    }

    private static String iterationName(IMethodInvocation inv) {
        String name = inv.getIteration() == null ? null : inv.getIteration().getDisplayName();
        return name == null || name.isBlank() ? inv.getFeature().getName() : name;
    }
}
