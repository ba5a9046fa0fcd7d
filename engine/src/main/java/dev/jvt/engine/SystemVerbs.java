package dev.jvt.engine;

import dev.jvt.engine.channel.CommandChannel;
import dev.jvt.engine.events.Action;
import dev.jvt.engine.events.Events;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The handle verbs for real systems (SPEC §6), built on commands over whichever channel the
 * machine has: systemd units ({@code waitForUnit} with the NixOS driver's semantics, {@code
 * systemctl}, {@code journal}), ports checked inside the guest, and files copied both ways in
 * base64 chunks, checked by SHA-256.
 */
final class SystemVerbs {
    /** Raw bytes per command when copying into the guest (base64 grows it by a third, the agent's framing again). */
    static final int CHUNK = 48 * 1024;

    private final String machine;
    private final Events events;
    private final GuestCommands commands;
    private final java.util.function.Supplier<String> consoleTail;

    SystemVerbs(String machine, Events events, GuestCommands commands, java.util.function.Supplier<String> consoleTail) {
        this.machine = machine;
        this.events = events;
        this.commands = commands;
        this.consoleTail = consoleTail;
    }

    /**
     * Waits until {@code unit} is active. Fails at once when it is {@code failed}, or inactive with
     * no job pending for it (it will never start), with its status and the last journal lines.
     */
    void waitForUnit(String unit, Duration timeout) {
        events.step(Action.of(machine, "wait for unit").with("unit", unit), () -> {
            long t0 = System.nanoTime();
            Map<String, String>[] last = new Map[1];
            Retry.until("waiting for unit " + unit, timeout, Duration.ofMillis(500), lastTry -> {
                Map<String, String> info = unitInfo(unit, Retry.remaining(t0, timeout));
                last[0] = info;
                String state = info.getOrDefault("ActiveState", "");
                if (state.equals("active")) {
                    return Boolean.TRUE;
                }
                if (info.getOrDefault("LoadState", "").equals("not-found")) {
                    throw JvtException.testFailure(machine + ": unit " + unit + " does not exist (LoadState=not-found)");
                }
                if (state.equals("failed")) {
                    throw JvtException.testFailure(machine + ": unit " + unit + " failed" + status(unit));
                }
                if (state.equals("inactive")) {
                    String jobs = commands.run("systemctl list-jobs --no-legend --no-pager", Duration.ofSeconds(30)).stdout();
                    if (jobs.isBlank()) {
                        throw JvtException.testFailure(machine + ": unit " + unit + " is inactive and no job is pending for it"
                                + " (is it enabled? nothing will start it)" + status(unit));
                    }
                }
                return null;
            }, gave -> JvtException.testFailure(machine + ": timed out after " + Timeouts.human(timeout) + " waiting for unit " + unit
                    + " to be active (" + gave.attempts() + " checks; last: ActiveState=" + (last[0] == null ? "?" : last[0].get("ActiveState"))
                    + ", SubState=" + (last[0] == null ? "?" : last[0].get("SubState")) + ")" + status(unit) + consoleTail.get()));
        });
    }

    /** {@code systemctl show}'s properties of {@code unit}. */
    private Map<String, String> unitInfo(String unit, Duration timeout) {
        CommandChannel.Result r = commands.run("systemctl show --no-pager --property=ActiveState,SubState,LoadState " + Shell.quote(unit), timeout);
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : r.stdout().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return m;
    }

    private String status(String unit) {
        try {
            CommandChannel.Result r = commands.run("systemctl status --no-pager --lines=15 " + Shell.quote(unit) + " 2>&1", Duration.ofSeconds(30));
            return "\n" + machine + ": systemctl status " + unit + ":\n  " + r.stdout().strip().replace("\n", "\n  ");
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** {@code systemctl ARGS}: its output (stdout and stderr), whatever its exit status. */
    String systemctl(String args, Duration timeout) {
        return events.step(Action.of(machine, "systemctl").with("arguments", args),
                () -> commands.run("systemctl --no-pager " + args + " 2>&1", timeout).stdout());
    }

    /** The journal of {@code unit} (of the whole boot when null) as text. */
    String journal(String unit, Duration timeout) {
        return events.step(Action.of(machine, "journal").with("unit", unit == null ? "(all)" : unit),
                () -> commands.run("journalctl -b --no-pager -o short-precise" + (unit == null ? "" : " -u " + Shell.quote(unit)) + " 2>&1", timeout).stdout());
    }

    /** Waits until something listens on TCP {@code port} inside the guest ({@code open}) or nothing does. */
    void waitForPort(int port, boolean open, Duration timeout) {
        String check = "(ss -Htln 2>/dev/null || netstat -ltn 2>/dev/null) | grep -qE '[:.]" + port + "[[:space:]]'";
        events.step(Action.of(machine, open ? "wait for open port" : "wait for closed port").with("port", port), () -> {
            long t0 = System.nanoTime();
            return Retry.until("waiting for port " + port, timeout, Duration.ofMillis(500),
                    lastTry -> (commands.run(check, Retry.remaining(t0, timeout)).status() == 0) == open ? Boolean.TRUE : null,
                    gave -> JvtException.testFailure(machine + ": timed out after " + Timeouts.human(timeout) + " waiting for TCP port " + port
                            + (open ? " to be listened on" : " to be closed") + " inside the guest (" + gave.attempts() + " checks)" + consoleTail.get()));
        });
    }

    /** Copies {@code host} to {@code guest} (a file path in the guest), checked by SHA-256. */
    void copyToGuest(Path host, String guest, Duration timeout) {
        events.step(Action.of(machine, "copy to guest").with("from", host).with("to", guest), () -> {
            byte[] data;
            try {
                data = Files.readAllBytes(host);
            } catch (IOException e) {
                throw JvtException.badInput(machine + ": copyToGuest: cannot read " + host.toAbsolutePath() + ": " + e.getMessage());
            }
            String tmp = guest + ".jvt-part";
            expect0(commands.run(": > " + Shell.quote(tmp), timeout), "create " + tmp);
            for (int off = 0; off < data.length; off += CHUNK) {
                String b64 = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + CHUNK)));
                expect0(commands.run("printf '%s' '" + b64 + "' | base64 -d >> " + Shell.quote(tmp), timeout), "write " + tmp);
            }
            String sum = commands.run("mv " + Shell.quote(tmp) + " " + Shell.quote(guest) + " && sha256sum " + Shell.quote(guest), timeout).stdout();
            String want = sha256(data);
            if (!sum.startsWith(want)) {
                throw JvtException.testFailure(machine + ": copyToGuest " + host + " → " + guest + ": the guest's copy has sha256 "
                        + sum.strip() + ", the host's file " + want);
            }
        });
    }

    /** Copies {@code guest} (a file in the guest) to {@code host}, checked by SHA-256. */
    void copyFromGuest(String guest, Path host, Duration timeout) {
        events.step(Action.of(machine, "copy from guest").with("from", guest).with("to", host), () -> {
            CommandChannel.Result r = commands.run("sha256sum " + Shell.quote(guest) + " && base64 " + Shell.quote(guest), timeout);
            expect0(r, "read " + guest);
            int nl = r.stdout().indexOf('\n');
            String sum = r.stdout().substring(0, Math.max(0, nl)).split(" ")[0];
            byte[] data = Base64.getMimeDecoder().decode(r.stdout().substring(nl + 1));
            if (!sha256(data).equals(sum)) {
                throw JvtException.testFailure(machine + ": copyFromGuest " + guest + ": received sha256 " + sha256(data) + ", the guest's file has " + sum);
            }
            try {
                if (host.toAbsolutePath().getParent() != null) {
                    Files.createDirectories(host.toAbsolutePath().getParent());
                }
                Files.write(host, data);
            } catch (IOException e) {
                throw JvtException.infrastructure(machine + ": copyFromGuest: cannot write " + host.toAbsolutePath() + ": " + e.getMessage(), e);
            }
        });
    }

    private void expect0(CommandChannel.Result r, String what) {
        if (r.status() != 0) {
            throw JvtException.testFailure(machine + ": cannot " + what + " (exit code " + r.status() + ")" + CommandOutput.describe(r));
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
