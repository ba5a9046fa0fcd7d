package dev.jvt.engine.net;

import dev.jvt.engine.JvtException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 subnet in CIDR form ("10.0.1.0/24"), for defaults and checks on NIC addresses. */
public record Subnet(int base, int prefix) {
    private static final Pattern CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    public Subnet {
        base = base & mask(prefix);
    }

    /** Parses "A.B.C.D/N" (host bits are cleared); throws a bad-input error otherwise. */
    public static Subnet parse(String cidr) {
        Matcher m = cidr == null ? null : CIDR.matcher(cidr.trim());
        if (m == null || !m.matches()) {
            throw JvtException.badInput("'" + cidr + "' is not a subnet like '10.0.1.0/24'");
        }
        int prefix = Integer.parseInt(m.group(5));
        if (prefix < 8 || prefix > 30) {
            throw JvtException.badInput("subnet '" + cidr + "': the prefix must be between 8 and 30");
        }
        return new Subnet(octets(m, cidr), prefix);
    }

    /** The address of "A.B.C.D/N" as an int (the prefix is ignored). */
    public static int address(String cidrAddress) {
        Matcher m = cidrAddress == null ? null : CIDR.matcher(cidrAddress.trim());
        if (m == null || !m.matches()) {
            throw JvtException.badInput("'" + cidrAddress + "' is not an address like '10.0.1.1/24'");
        }
        return octets(m, cidrAddress);
    }

    private static int octets(Matcher m, String text) {
        int a = 0;
        for (int i = 1; i <= 4; i++) {
            int b = Integer.parseInt(m.group(i));
            if (b > 255) {
                throw JvtException.badInput("'" + text + "': " + b + " is not an octet");
            }
            a = a << 8 | b;
        }
        return a;
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** Whether the two subnets share an address (one holds the other). */
    public boolean overlaps(Subnet other) {
        int p = Math.min(prefix, other.prefix);
        return (base & mask(p)) == (other.base & mask(p));
    }

    public boolean contains(int address) {
        return (address & mask(prefix)) == base;
    }

    /** The {@code n}th host address (1 = the first after the network address), with the prefix: "10.0.1.1/24". */
    public String host(int n) {
        if (n < 1 || n > (1L << (32 - prefix)) - 2) {
            throw JvtException.badInput("subnet " + this + " has no room for host number " + n);
        }
        return format(base + n) + "/" + prefix;
    }

    public static String format(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255);
    }

    @Override
    public String toString() {
        return format(base) + "/" + prefix;
    }
}
