package dev.jvt.engine.net;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** MAC addresses derived from names, so a scenario's machines get the same ones every run. */
public final class Macs {
    private Macs() {
    }

    /** A locally administered unicast address in QEMU's 52:54:00 range, from a seed string. */
    public static String derive(String seed) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
            return String.format("52:54:00:%02x:%02x:%02x", h[0] & 0xff, h[1] & 0xff, h[2] & 0xff);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
