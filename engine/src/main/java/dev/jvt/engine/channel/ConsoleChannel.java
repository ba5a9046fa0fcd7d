package dev.jvt.engine.channel;

import dev.jvt.engine.Console;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Retry;
import dev.jvt.engine.Timeouts;
import dev.jvt.engine.qemu.QemuSession;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Commands over the serial console, for an image with neither the jvt agent nor
 * qemu-guest-agent: a login, then a shell whose output is framed by markers.
 *
 * <p>The login is a state machine over what the console shows, not a fixed sequence (what
 * labgrid, openQA and avocado-vt learned the hard way): output from before the login started is
 * ignored; a {@code login:} prompt (never "Last login:") gets the user, a password prompt the
 * password; "Login incorrect" or a second password prompt fails at once (a wrong password); a
 * quiet console gets a newline every few seconds; kernel messages may come in between. Once a shell
 * answers, the channel turns echo off, silences the kernel on the console ({@code dmesg -n 1}),
 * sets a fixed prompt and proves the shell reads it with a marker.
 *
 * <p>Each command is sent as one line: {@code printf BEGIN; ( CMD ) </dev/null 2>&1; printf END $?}
 * with markers split in two so the typed line itself never matches. stdout and stderr come back
 * together (one console); the status is exact.
 */
public final class ConsoleChannel implements CommandChannel {
    private static final Pattern LOGIN = Pattern.compile("(?<![Ll]ast )[Ll]ogin:\\s*$");
    private static final Pattern PASSWORD = Pattern.compile("[Pp]assword:\\s*$");
    private static final Pattern PROMPT = Pattern.compile("[#$]\\s*$");
    private static final Duration NUDGE = Duration.ofSeconds(3);

    private final String machine;
    private final Console console;
    private final String user;
    private final String password;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicLong ids = new AtomicLong();
    private volatile WritableByteChannel serial;
    private volatile boolean loggedIn;
    private volatile Throwable fatal;

    public ConsoleChannel(String machine, Console console, String user, String password) {
        this.machine = machine;
        this.console = console;
        this.user = user;
        this.password = password;
    }

    @Override
    public String describe() {
        return "the serial console (login as " + user + ")";
    }

    @Override
    public void attach(QemuSession session, boolean fresh) {
        serial = session.serialInput();
        fatal = null;
        if (fresh) {
            loggedIn = false;
        }
    }

    @Override
    public boolean isReady() {
        return loggedIn;
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException {
        Handshake.run(lock, () -> login(timeout));
    }

    /** The login state machine; returns once a shell with jvt's prompt answered. */
    private void login(Duration timeout) {
        if (loggedIn) {
            return;
        }
        int from = console.length();  // stale output (an old login: prompt) is not looked at
        int[] seen = {from};
        long[] quietSince = {System.nanoTime()};
        String[] state = {"waiting for a login prompt"};
        boolean[] sentPassword = {false};
        Retry.until("logging in on the console", timeout, Duration.ofMillis(100), last -> {
            checkUsable();
            String text = console.text();
            if (text.length() > seen[0]) {
                quietSince[0] = System.nanoTime();
            }
            String fresh = text.substring(Math.min(seen[0], text.length()));
            String tail = lastLine(text.substring(Math.min(from, text.length())));
            if (fresh.contains("Login incorrect")) {
                throw JvtException.testFailure(machine + ": console login as " + user + " refused (Login incorrect): wrong user or password");
            }
            if (LOGIN.matcher(tail).find() && text.length() > seen[0]) {
                seen[0] = text.length();
                type(user + "\n");
                state[0] = "sent the user name";
                sentPassword[0] = false;
                return null;
            }
            if (PASSWORD.matcher(tail).find() && text.length() > seen[0]) {
                if (sentPassword[0]) {
                    throw JvtException.testFailure(machine + ": console login as " + user + " refused (asked for the password again)");
                }
                seen[0] = text.length();
                type((password == null ? "" : password) + "\n");
                sentPassword[0] = true;
                state[0] = "sent the password";
                return null;
            }
            if (PROMPT.matcher(tail).find() && text.length() > seen[0]) {
                seen[0] = text.length();
                state[0] = "a shell prompt appeared";
                return shellReady() ? Boolean.TRUE : null;
            }
            if (System.nanoTime() - quietSince[0] > NUDGE.toNanos()) {
                // nothing new for a while: the prompt may have been printed before we looked, or garbled
                seen[0] = text.length();
                quietSince[0] = System.nanoTime();
                type("\n");
            }
            return null;
        }, gave -> new Handshake.Silent(machine + ": no console login within " + Timeouts.human(timeout) + " (" + state[0] + ")"));
        loggedIn = true;
    }

    /** Quiet, echo-free shell with a fixed prompt; true when the marker came back. */
    private boolean shellReady() {
        long id = ids.incrementAndGet();
        type("stty -echo 2>/dev/null; dmesg -n 1 2>/dev/null; export PS1='jvt# ' TERM=dumb PAGER=cat SYSTEMD_PAGER=; unset PROMPT_COMMAND; "
                + "bind 'set enable-bracketed-paste off' 2>/dev/null; printf 'JVT''READY%d\\n' " + id + "\n");
        try {
            console.waitFor(Pattern.compile("JVTREADY" + id), Duration.ofSeconds(10), "the shell's answer after login");
            return true;
        } catch (JvtException e) {
            return false;
        }
    }

    @Override
    public Result run(String command, Duration timeout) {
        long t0 = System.nanoTime();
        checkUsable();
        lock.lock();
        try {
            login(Retry.remaining(t0, timeout));
            long id = ids.incrementAndGet();
            String begin = "JVTBEGIN" + id;
            String end = "JVTEND" + id;
            int from = console.length();
            type("printf '\\nJVT''BEGIN%d\\n' " + id + "; ( " + command + " ) </dev/null 2>&1; printf '\\nJVT''END%d %d\\n' " + id + " $?\n");
            Pattern done = Pattern.compile("\\n" + end + " (\\d+)\\n");
            String[] text = {""};
            Matcher[] m = {null};
            Retry.until("running `" + command + "` on the console", Retry.remaining(t0, timeout), Duration.ofMillis(20), last -> {
                checkUsable();
                text[0] = console.text().substring(Math.min(from, console.length()));
                Matcher mm = done.matcher(text[0]);
                if (mm.find()) {
                    m[0] = mm;
                    return Boolean.TRUE;
                }
                return null;
            }, gave -> {
                type("\u0003");  // Ctrl-C: the shell is back for the next command
                return new CommandTimeout(machine, command, timeout);
            });
            int b = text[0].indexOf(begin + "\n");
            String output = b < 0 ? "" : text[0].substring(b + begin.length() + 1, m[0].start());
            return new Result(Integer.parseInt(m[0].group(1)), output, "", Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void send(String command) {
        checkUsable();
        type(command + "\n");
    }

    @Override
    public void resync() {
        // the shell was logged in when the snapshot was taken (or the next run logs in again)
    }

    @Override
    public void abort(Throwable cause) {
        fatal = cause;
    }

    private void checkUsable() {
        if (fatal != null) {
            throw fatal instanceof RuntimeException r ? r : JvtException.infrastructure(String.valueOf(fatal.getMessage()), fatal);
        }
        if (serial == null) {
            throw JvtException.testFailure(machine + ": the console is not connected (not started)");
        }
    }

    private void type(String s) {
        try {
            AgentChannel.writeFully(serial, s.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw JvtException.infrastructure(machine + ": cannot write to the serial console: " + e.getMessage(), e);
        }
    }

    private static String lastLine(String s) {
        String t = Console.clean(s);
        int i = t.lastIndexOf('\n');
        return i < 0 ? t : t.substring(i + 1);
    }
}
