package dev.jvt.dsl;

import dev.jvt.engine.guest.GuestAdditions;

/** The keywords of a {@code guest} block: what to add to the built-in guest. */
public final class GuestSpec {
    private final GuestAdditions additions;

    GuestSpec(GuestAdditions additions) {
        this.additions = additions;
    }

    /** A file in the guest; mode as a number (0755) or an octal string ('755'). */
    public void file(String path, Object content, Object mode) {
        int m;
        if (mode instanceof Number n) {
            m = n.intValue();
        } else {
            try {
                m = Integer.parseInt(String.valueOf(mode), 8);
            } catch (NumberFormatException e) {
                throw new DslException("guest file '" + path + "': mode '" + mode + "' is not octal like '755'");
            }
        }
        if (content instanceof byte[] b) {
            additions.file(path, b, m);
        } else if (content instanceof CharSequence s) {
            additions.file(path, s.toString(), m);
        } else {
            throw new DslException("guest file '" + path + "': content must be text or bytes");
        }
    }

    public void file(String path, Object content) {
        file(path, content, 0644);
    }

    /** A kernel module (with its dependencies) loaded at boot. */
    public void module(String name) {
        additions.module(name);
    }

    /** A shell script run at boot, after the network is up. */
    public void init(String script) {
        additions.init(script);
    }
}
