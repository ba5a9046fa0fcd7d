package dev.jvt.engine.ssh;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpException;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Retry;
import dev.jvt.engine.Timeouts;
import dev.jvt.engine.events.Action;
import dev.jvt.engine.events.Events;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An SSH session into a guest (JSch): commands with their exit status, SFTP both ways, local port
 * forwards. It connects only once the guest's sshd has sent its {@code SSH-2.0-} banner: a port
 * that QEMU's user-mode NAT forwards accepts a connection even with no guest behind it.
 *
 * <p>Host keys: a built image's key is known from the build and pinned; for another image the
 * key is accepted on first sight and its fingerprint logged.
 */
public final class SshSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SshSession.class);

    /** A command's outcome: {@code status}, {@code output} (stdout) and {@code stderr}. */
    public record ExecResult(int status, String output, String stderr) {
    }

    /**
     * How to log in.
     *
     * @param pinnedHostKey "ssh-ed25519 AAAA…" to insist on, or null to accept the key it shows
     */
    public record Login(String user, String password, Path key, String pinnedHostKey) {
    }

    private final String machine;
    private final String target;
    private final int port;
    private final Login login;
    private final Events events;
    private volatile Session session;

    private SshSession(String machine, int port, Login login, Events events) {
        this.machine = machine;
        this.events = events;
        this.port = port;
        this.login = login;
        this.target = login.user() + "@127.0.0.1:" + port;
    }

    /**
     * Waits for sshd's banner on 127.0.0.1:{@code port}, then logs in; fails with what it saw at
     * the deadline. After {@link #disconnect()} (the machine was rewound: the guest's side of the
     * TCP connection is gone) the next call logs in again.
     */
    public static SshSession open(String machine, int port, Login login, Events events, Duration timeout) {
        SshSession s = new SshSession(machine, port, login, events);
        s.session = s.connect(timeout);
        return s;
    }

    private Session current() {
        Session s = session;
        if (s == null || !s.isConnected()) {
            synchronized (this) {
                if (session == null || !session.isConnected()) {
                    session = connect(Timeouts.BOOT);
                }
                s = session;
            }
        }
        return s;
    }

    /** Drops the connection; the next call connects again. */
    public synchronized void disconnect() {
        if (session != null) {
            session.disconnect();
            session = null;
        }
    }

    private Session connect(Duration timeout) {
        long t0 = System.nanoTime();
        waitForBanner(machine, port, timeout);
        JSch jsch = new JSch();
        try {
            if (login.key() != null) {
                jsch.addIdentity(login.key().toString());
            }
            Session s = jsch.getSession(login.user(), "127.0.0.1", port);
            if (login.password() != null) {
                s.setPassword(login.password());
            }
            if (login.pinnedHostKey() != null) {
                jsch.setKnownHosts(new ByteArrayInputStream(("[127.0.0.1]:" + port + " " + login.pinnedHostKey() + "\n").getBytes(StandardCharsets.US_ASCII)));
                s.setConfig("StrictHostKeyChecking", "yes");
            } else {
                s.setConfig("StrictHostKeyChecking", "no");
            }
            s.setConfig("PreferredAuthentications", login.key() != null ? "publickey,password" : "password,keyboard-interactive");
            s.connect((int) Math.max(1000, Retry.remaining(t0, timeout).toMillis()));
            if (login.pinnedHostKey() == null) {
                LOG.info("{}: accepted the SSH host key of {}: {} {}", machine, target, s.getHostKey().getType(), s.getHostKey().getFingerPrint(jsch));
            }
            return s;
        } catch (JSchException e) {
            String why = e.getMessage();
            if (why != null && why.contains("Auth fail")) {
                throw JvtException.testFailure(machine + ": SSH login as " + target + " refused (wrong password or key)");
            }
            if (why != null && why.contains("HostKey")) {
                throw JvtException.testFailure(machine + ": SSH host key of " + target + " is not the one the image was built with: " + why);
            }
            throw JvtException.testFailure(machine + ": cannot log in over SSH as " + target + ": " + why);
        }
    }

    /** Connects again and again until the peer sends "SSH-2.0-" (what QEMU's NAT does not fake). */
    static void waitForBanner(String machine, int port, Duration timeout) {
        String[] last = {"nothing"};
        Retry.until("waiting for sshd on port " + port, timeout, Duration.ofMillis(500), lastTry -> {
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                sock.setSoTimeout(3000);
                InputStream in = sock.getInputStream();
                byte[] b = new byte[64];
                int n = in.read(b);
                String got = n <= 0 ? "" : new String(b, 0, n, StandardCharsets.US_ASCII);
                if (got.startsWith("SSH-2.0-")) {
                    return Boolean.TRUE;
                }
                last[0] = n < 0 ? "a connection closed without a banner" : "'" + got.strip() + "'";
            } catch (IOException e) {
                last[0] = e.getMessage();
            }
            return null;
        }, gave -> JvtException.testFailure(machine + ": timed out after " + Timeouts.human(timeout) + " waiting for an SSH banner on 127.0.0.1:"
                + port + " (" + gave.attempts() + " tries; last: " + last[0] + ")"));
    }

    /** Runs {@code command}; stdout and stderr are collected as they come (never blocking the session). */
    public ExecResult exec(String command) {
        return exec(command, Timeouts.COMMAND);
    }

    public ExecResult exec(String command, Duration timeout) {
        return events.step(Action.of(machine, "ssh exec").with("command", command), () -> run(command, timeout));
    }

    private ExecResult run(String command, Duration timeout) {
        ChannelExec ch = null;
        try {
            ch = (ChannelExec) current().openChannel("exec");
            ch.setCommand(command);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ch.setOutputStream(out);
            ch.setErrStream(err);
            ch.setInputStream(null);
            ch.connect((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            ChannelExec c = ch;
            Retry.until("running `" + command + "` over SSH", timeout, Duration.ofMillis(10), lastTry -> c.isClosed() ? Boolean.TRUE : null,
                    gave -> JvtException.testFailure(machine + ": command did not finish within " + Timeouts.human(timeout) + " over SSH: " + command));
            return new ExecResult(ch.getExitStatus(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (JSchException e) {
            throw JvtException.testFailure(machine + ": cannot run `" + command + "` over SSH (" + target + "): " + e.getMessage());
        } finally {
            if (ch != null) {
                ch.disconnect();
            }
        }
    }

    /** Copies a host file into the guest (SFTP). */
    public void put(Object host, String guest) {
        sftp("put " + host + " " + guest, c -> c.put(String.valueOf(host), guest));
    }

    /** Copies a guest file to the host (SFTP). */
    public void get(String guest, Object host) {
        refuseWildcard(guest);
        sftp("get " + guest + " " + host, c -> c.get(guest, String.valueOf(host)));
    }

    /**
     * SFTP expands a wildcard in the guest path with names the guest's server sends, and writes
     * each under them on the host: a guest must not name host files, so {@code get} takes one
     * file, named by the script.
     */
    static void refuseWildcard(String guest) {
        if (guest == null || guest.isEmpty() || guest.matches(".*[*?\\[].*")) {
            throw JvtException.badInput("get: the guest path '" + guest + "' must name one file, without wildcards (*, ?, [): "
                    + "the names a wildcard expands to come from the guest, and would become host file names");
        }
    }

    private interface SftpAction {
        void run(ChannelSftp c) throws SftpException;
    }

    private void sftp(String what, SftpAction action) {
        events.step(Action.of(machine, "sftp").with("transfer", what), () -> transfer(what, action));
    }

    private void transfer(String what, SftpAction action) {
        ChannelSftp c = null;
        try {
            c = (ChannelSftp) current().openChannel("sftp");
            c.connect((int) Timeouts.COMMAND.toMillis());
            action.run(c);
        } catch (JSchException | SftpException e) {
            throw JvtException.testFailure(machine + ": SFTP " + what + " failed (" + target + "): " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    /** Forwards 127.0.0.1:{@code localPort} (0: a free one) to the guest's {@code guestPort}; returns the local port. */
    public int forward(int localPort, int guestPort) {
        try {
            return current().setPortForwardingL("127.0.0.1", localPort, "127.0.0.1", guestPort);
        } catch (JSchException e) {
            throw JvtException.testFailure(machine + ": cannot forward port " + localPort + " to guest port " + guestPort + ": " + e.getMessage());
        }
    }

    public int forward(int guestPort) {
        return forward(0, guestPort);
    }

    public boolean isConnected() {
        Session s = session;
        return s != null && s.isConnected();
    }

    @Override
    public void close() {
        disconnect();
    }

    @Override
    public String toString() {
        return "SSH session " + target + " of " + machine;
    }
}
