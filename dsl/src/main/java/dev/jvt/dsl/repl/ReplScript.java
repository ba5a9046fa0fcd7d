package dev.jvt.dsl.repl;

import groovy.lang.MissingMethodException;
import groovy.lang.Script;
import org.codehaus.groovy.runtime.InvokerHelper;

/**
 * Base class of every line the REPL evaluates: a method that is not Groovy's goes to the current
 * machine (the variable {@code current}), so {@code registers().RIP} works like {@code hello.registers().RIP}.
 */
public abstract class ReplScript extends Script {
    public Object methodMissing(String name, Object args) {
        Object machine = getBinding().hasVariable(Repl.CURRENT) ? getBinding().getVariable(Repl.CURRENT) : null;
        if (machine == null) {
            throw new MissingMethodException(name, getClass(), args instanceof Object[] a ? a : new Object[]{args});
        }
        return InvokerHelper.invokeMethod(machine, name, args);
    }
}
