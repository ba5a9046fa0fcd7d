package dev.jvt.engine.channel;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.qemu.QemuSession;
import dev.jvt.engine.ssh.SshSession;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Commands over SSH (JSch) through the forward of guest port 22: the session is opened once sshd's
 * banner arrives, dropped at a rewind (the guest's side of the connection is gone) and opened
 * again by the next command.
 */
public final class SshChannel implements CommandChannel {
    private final String machine;
    private final Function<Duration, SshSession> connect;
    private volatile SshSession session;
    private volatile Throwable fatal;

    /** @param connect opens a session, waiting at most the given time for sshd */
    public SshChannel(String machine, Function<Duration, SshSession> connect) {
        this.machine = machine;
        this.connect = connect;
    }

    @Override
    public String describe() {
        return "SSH (guest port 22)";
    }

    @Override
    public void attach(QemuSession s, boolean fresh) {
        fatal = null;
        SshSession old = session;
        session = null;
        if (old != null) {
            old.close();
        }
    }

    @Override
    public boolean isReady() {
        SshSession s = session;
        return s != null && s.isConnected();
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException {
        check();
        session(timeout);
    }

    private synchronized SshSession session(Duration timeout) {
        if (session == null) {
            session = connect.apply(timeout);
        }
        return session;
    }

    @Override
    public Result run(String command, Duration timeout) {
        check();
        long t0 = System.nanoTime();
        SshSession.ExecResult r = session(timeout).exec(command, timeout);
        return new Result(r.status(), r.output(), r.stderr(), Duration.ofNanos(System.nanoTime() - t0));
    }

    @Override
    public void send(String command) {
        check();
        SshSession s = session(Duration.ofSeconds(30));
        Thread t = new Thread(() -> {
            try {
                s.exec(command, Duration.ofSeconds(30));
            } catch (RuntimeException e) {
                // power-off: the connection dies with the guest
            }
        }, "jvt-ssh-send-" + machine);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void resync() {
        SshSession s = session;
        if (s != null) {
            s.disconnect();
        }
    }

    @Override
    public void abort(Throwable cause) {
        fatal = cause;
    }

    private void check() {
        if (fatal != null) {
            throw fatal instanceof RuntimeException r ? r : JvtException.infrastructure(String.valueOf(fatal.getMessage()), fatal);
        }
    }
}
