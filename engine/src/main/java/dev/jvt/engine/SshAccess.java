package dev.jvt.engine;

import dev.jvt.engine.events.Action;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.ssh.SshKeys;
import dev.jvt.engine.ssh.SshSession;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A machine's SSH sessions: who logs in (the call's options, else the machine's {@code login},
 * else, for images jvt builds, root with jvt's key or the password root, the host key pinned to
 * the build's), and the sessions handed out, dropped at a rewind and closed with the machine.
 */
final class SshAccess {
    private final MachineConfig config;
    private final Events events;
    private final Supplier<String> builtHostKey;
    private final IntSupplier port;
    private final Supplier<String> consoleTail;
    private final List<SshSession> sessions = new CopyOnWriteArrayList<>();

    SshAccess(MachineConfig config, Events events, Supplier<String> builtHostKey, IntSupplier port, Supplier<String> consoleTail) {
        this.config = config;
        this.events = events;
        this.builtHostKey = builtHostKey;
        this.port = port;
        this.consoleTail = consoleTail;
    }

    SshSession open(Map<String, ?> options) {
        for (String k : options.keySet()) {
            if (!List.of("user", "password", "key").contains(k)) {
                throw JvtException.badInput(config.name() + ": ssh: unknown option '" + k + "' (known: user, password, key)");
            }
        }
        SshSession.Login login = login(options);
        int p = port.getAsInt();
        SshSession s = events.step(Action.of(config.name(), "ssh").with("user", login.user()).with("port", p), () -> {
            try {
                return SshSession.open(config.name(), p, login, events, Timeouts.BOOT);
            } catch (JvtException e) {
                throw new JvtException(e.kind(), e.getMessage() + consoleTail.get(), e);
            }
        });
        sessions.add(s);
        return s;
    }

    SshSession.Login login(Map<String, ?> options) {
        Object u = options.get("user");
        String user = u != null ? String.valueOf(u) : config.loginUser();
        Object password = options.get("password") != null ? options.get("password") : config.loginPassword();
        Object key = options.get("key");
        boolean built = config.image() != null;
        Path keyPath = key != null ? Path.of(String.valueOf(key)) : built && password == null ? SshKeys.privateKey() : null;
        String pass = password != null ? String.valueOf(password) : built && user.equals("root") ? "root" : null;
        return new SshSession.Login(user, pass, keyPath, built ? builtHostKey.get() : null);
    }

    /** A rewind: the guest's side of every connection is gone; each session logs in again when next used. */
    void disconnectAll() {
        sessions.forEach(SshSession::disconnect);
    }

    void closeAll() {
        sessions.forEach(SshSession::close);
        sessions.clear();
    }
}
