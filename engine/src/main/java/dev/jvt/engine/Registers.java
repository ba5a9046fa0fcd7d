package dev.jvt.engine;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The text of the monitor's {@code info registers}, as numbers by register name. */
public final class Registers {
    private static final Pattern REGISTER = Pattern.compile("\\b([A-Z][A-Z0-9]*)\\s*=\\s*([0-9a-fA-F]+)\\b");

    private Registers() {
    }

    /** RIP, RSP, RFLAGS (also RFL), CR0… ; segment registers give their selector, GDT/IDT their base. */
    public static Map<String, BigInteger> parse(String text) {
        Map<String, BigInteger> regs = new LinkedHashMap<>();
        Matcher m = REGISTER.matcher(text);
        while (m.find()) {
            regs.putIfAbsent(m.group(1), new BigInteger(m.group(2), 16));
        }
        if (regs.containsKey("RFL")) {
            regs.putIfAbsent("RFLAGS", regs.get("RFL"));
        }
        if (regs.containsKey("EFL")) {
            regs.putIfAbsent("EFLAGS", regs.get("EFL"));
        }
        return regs;
    }
}
