package dev.jvt.engine;

import java.util.List;
import java.util.regex.Pattern;

/** Words for a POSIX shell: what jvt sends to guests and writes down as command lines. */
public final class Shell {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./=:,+@%-]+");

    private Shell() {
    }

    /** {@code s} as one single-quoted word, whatever it holds. */
    public static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** {@code words} as a command line, quoting only the words that need it. */
    public static String join(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(PLAIN.matcher(w).matches() ? w : quote(w));
        }
        return sb.toString();
    }
}
