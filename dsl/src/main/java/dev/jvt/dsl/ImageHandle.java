package dev.jvt.dsl;

import dev.jvt.engine.Machine;
import dev.jvt.engine.image.ImageRecipe;
import org.codehaus.groovy.runtime.InvokerHelper;

import java.util.List;

/**
 * What {@code debian('…') { … }} returns: the image's recipe, for {@code image} in machine blocks.
 *
 * <p>SPEC §6 names the image variable like its machine ({@code def web = debian(…)}, then
 * {@code machine('web') { image web }}). In the tests, Groovy resolves {@code web} to the script's
 * variable, not to the machine, so a call the image has no method for ({@code web.waitForUnit …})
 * goes to the one machine of the running scenario that boots this image.
 */
public final class ImageHandle {
    private final ImageRecipe recipe;

    ImageHandle(ImageRecipe recipe) {
        this.recipe = recipe;
    }

    public ImageRecipe recipe() {
        return recipe;
    }

    public String getName() {
        return recipe.name();
    }

    /** A machine verb called on the image variable: handed to the machine that boots it. */
    public Object methodMissing(String name, Object args) {
        Object[] a = args instanceof Object[] arr ? arr : new Object[] {args};
        TestContext ctx = TestContext.current();
        List<Machine> users = ctx == null ? List.of()
                : ctx.getMachines().values().stream().filter(m -> m.config().image() == recipe).toList();
        if (users.size() == 1) {
            return InvokerHelper.invokeMethod(users.get(0), name, a);
        }
        throw new DslException("'" + name + "' was called on the image " + recipe.name() + ", which has no such method"
                + (users.isEmpty() ? "" : "; machines " + users.stream().map(Machine::getName).toList()
                + " boot it: call it on one of them, e.g. machines['" + users.get(0).getName() + "']." + name + "(…)"));
    }

    @Override
    public String toString() {
        return recipe.toString();
    }
}
