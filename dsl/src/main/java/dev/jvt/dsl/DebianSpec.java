package dev.jvt.dsl;

import dev.jvt.engine.image.ImageRecipe;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keywords of a {@code debian('bookworm') { … }} block: what goes into an image jvt builds.
 * Each validates its argument and hands it to the {@link ImageRecipe}.
 * <pre>
 * def web = debian('bookworm') {
 *     packages 'nginx', 'curl'
 *     file '/etc/nginx/conf.d/t.conf', text: 'server { listen 8080; }', mode: 0644
 *     run 'systemctl enable nginx'
 *     size '2G'
 * }
 * machine('web') { image web }
 * </pre>
 */
public final class DebianSpec {
    private final ImageRecipe recipe;
    private final Path base;

    DebianSpec(ImageRecipe recipe, Path base) {
        this.recipe = recipe;
        this.base = base;
    }

    /** A recipe from a block; relative {@code from:} paths are resolved against {@code base} (the scenario's folder, or null for the current one). */
    public static ImageRecipe declare(String suite, Path base, @DelegatesTo(value = DebianSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        ImageRecipe recipe;
        try {
            recipe = new ImageRecipe(suite);
        } catch (RuntimeException e) {
            throw new DslException(e.getMessage());
        }
        if (body != null) {
            Closure<?> c = body.rehydrate(new DebianSpec(recipe, base), body.getOwner(), body.getThisObject());
            c.setResolveStrategy(Closure.DELEGATE_FIRST);
            c.call();
        }
        return recipe;
    }

    /** Debian packages installed into the image (apt, with their dependencies). */
    public void packages(String... names) {
        for (String n : names) {
            wrap(() -> recipe.addPackage(n));
        }
    }

    public void packages(List<?> names) {
        names.forEach(n -> wrap(() -> recipe.addPackage(String.valueOf(n))));
    }

    /** A file in the image: {@code file '/etc/x', text: '…', mode: 0644} or {@code file '/etc/x', from: 'local/x'}. */
    public void file(Map<String, ?> options, String path) {
        for (String k : options.keySet()) {
            if (!Set.of("text", "from", "mode").contains(k)) {
                throw new DslException("file: unknown option '" + k + "' (known: text, from, mode)");
            }
        }
        Object text = options.get("text");
        Object from = options.get("from");
        if ((text == null) == (from == null)) {
            throw new DslException("file '" + path + "': give its content as text: '…' or from: 'a local file'");
        }
        byte[] content;
        if (text != null) {
            content = text.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            Path p = Path.of(from.toString());
            if (!p.isAbsolute() && base != null) {
                p = base.resolve(p);
            }
            try {
                content = Files.readAllBytes(p);
            } catch (IOException e) {
                throw new DslException("file '" + path + "': cannot read " + p.toAbsolutePath() + " (" + e.getMessage() + ")");
            }
        }
        Object mode = options.get("mode");
        if (mode != null && !(mode instanceof Number)) {
            throw new DslException("file '" + path + "': mode must be a number such as 0644, not '" + mode + "'");
        }
        int m = mode == null ? 0644 : ((Number) mode).intValue();
        wrap(() -> recipe.addFile(path, content, m));
    }

    /** A shell command run inside the image while it is built (as root, in a chroot; the guest does not run). */
    public void run(String command) {
        wrap(() -> recipe.addRun(command));
    }

    /** The root file system's size: '2G' (the default), '1536M'. */
    public void size(String s) {
        wrap(() -> recipe.size(s));
    }

    private static void wrap(Runnable r) {
        try {
            r.run();
        } catch (DslException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DslException(e.getMessage());
        }
    }
}
