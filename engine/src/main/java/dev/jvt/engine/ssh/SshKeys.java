package dev.jvt.engine.ssh;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.host.Host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * jvt's own SSH key ({@code ~/.cache/jvt/ssh/id_ecdsa}, ECDSA P-256: JSch writes no ed25519 private key, made on first use): images jvt builds
 * let root log in with it, so {@code machine.ssh()} needs no password.
 */
public final class SshKeys {
    private SshKeys() {
    }

    public static synchronized Path privateKey() {
        Path dir = Host.cacheDir().resolve("ssh");
        Path key = dir.resolve("id_ecdsa");
        if (Files.isRegularFile(key) && Files.isRegularFile(dir.resolve("id_ecdsa.pub"))) {
            return key;
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            KeyPair kp = KeyPair.genKeyPair(new JSch(), KeyPair.ECDSA, 256);
            Path tmp = dir.resolve("id_ecdsa.tmp");
            kp.writePrivateKey(tmp.toString());
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            ByteArrayOutputStream pub = new ByteArrayOutputStream();
            kp.writePublicKey(pub, "jvt");
            Files.write(dir.resolve("id_ecdsa.pub"), pub.toByteArray());
            Files.move(tmp, key, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            kp.dispose();
            return key;
        } catch (JSchException | IOException e) {
            throw JvtException.infrastructure("cannot make jvt's SSH key in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** "ecdsa-sha2-nistp256 AAAA… jvt", for authorized_keys. */
    public static String publicKey() {
        try {
            return Files.readString(privateKey().resolveSibling("id_ecdsa.pub"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot read jvt's SSH public key: " + e.getMessage(), e);
        }
    }
}
