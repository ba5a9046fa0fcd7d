package dev.jvt.spock.runtime;

import dev.jvt.spock.JvtDsl;
import groovy.lang.DelegatingMetaClass;
import groovy.lang.GroovySystem;
import groovy.lang.MetaClass;
import groovy.lang.MetaClassRegistry;
import groovy.lang.MissingMethodException;
import org.codehaus.groovy.runtime.InvokerHelper;

import java.util.Set;

/**
 * Lets a {@code @Jvt} spec call {@code machine(...)} without a static import, as in SPEC §5: a
 * call the spec class does not answer itself, named like a declaration of {@link JvtDsl}, goes
 * there. Everything else is left to the spec's own meta class.
 */
final class SpecMetaClass extends DelegatingMetaClass {
    private static final Set<String> DECLARATIONS = Set.of("machine", "network", "debian");

    private SpecMetaClass(MetaClass delegate) {
        super(delegate);
    }

    static synchronized void install(Class<?> specClass) {
        MetaClassRegistry registry = GroovySystem.getMetaClassRegistry();
        MetaClass mc = registry.getMetaClass(specClass);
        if (!(mc instanceof SpecMetaClass)) {
            SpecMetaClass ours = new SpecMetaClass(mc);
            ours.initialize();
            registry.setMetaClass(specClass, ours);
        }
    }

    @Override
    public Object invokeMethod(Object object, String methodName, Object[] arguments) {
        try {
            return super.invokeMethod(object, methodName, arguments);
        } catch (MissingMethodException e) {
            return declaration(e, methodName, arguments);
        }
    }

    @Override
    public Object invokeMethod(Object object, String methodName, Object arguments) {
        try {
            return super.invokeMethod(object, methodName, arguments);
        } catch (MissingMethodException e) {
            return declaration(e, methodName, arguments instanceof Object[] a ? a : new Object[]{arguments});
        }
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Object invokeMethod(Class sender, Object receiver, String methodName, Object[] arguments, boolean isCallToSuper, boolean fromInsideClass) {
        try {
            return super.invokeMethod(sender, receiver, methodName, arguments, isCallToSuper, fromInsideClass);
        } catch (MissingMethodException e) {
            return declaration(e, methodName, arguments);
        }
    }

    private static Object declaration(MissingMethodException e, String methodName, Object[] arguments) {
        if (!DECLARATIONS.contains(methodName) || !methodName.equals(e.getMethod())) {
            throw e;
        }
        return InvokerHelper.invokeStaticMethod(JvtDsl.class, methodName, arguments);
    }
}
