package dev.jvt.engine;

import dev.jvt.engine.qemu.QemuSession;
import dev.jvt.engine.qemu.Qmp;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/** Saving, loading and moving a machine's whole state through QEMU's monitor. */
final class Snapshots {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private Snapshots() {
    }

    static void checkName(String name, String what) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw JvtException.badInput(what + " name '" + name + "' must be 1-64 letters, digits, '_', '.' or '-'");
        }
    }

    static void notWhileRecording(String machine, boolean recording, String what) {
        if (recording) {
            throw JvtException.badInput(machine + ": " + what + " is not available with --record "
                    + "(a recording is one QEMU process from boot to the end)");
        }
    }

    /** {@code savevm}: memory, devices and disks under {@code name}. */
    static void save(String machine, Qmp qmp, String name) {
        String out = qmp.hmp("savevm " + name, Timeouts.MONITOR);
        if (!out.isBlank()) {
            throw JvtException.testFailure(machine + ": snapshot '" + name + "' failed: " + out.strip()
                    + (out.contains("does not support snapshots") ? " (snapshots need qcow2 disks: keep overlay: true)" : ""));
        }
    }

    /** {@code loadvm} in the running QEMU. */
    static void load(String machine, Qmp qmp, String name) {
        String out = qmp.hmp("loadvm " + name, Timeouts.MONITOR);
        if (!out.isBlank()) {
            throw JvtException.testFailure(machine + ": rewind to '" + name + "' failed: " + out.strip());
        }
    }

    /**
     * Live-migrates from the QEMU behind {@code from} to {@code target} (started with
     * {@code -incoming unix:<its sockets>/migrate.sock}) and waits until the guest runs there.
     */
    static void migrate(String machine, Qmp from, QemuSession target, Duration timeout) {
        from.execute("migrate-set-parameters", Map.of("max-bandwidth", 8L << 30, "downtime-limit", 300), timeout);
        from.execute("migrate", Map.of("uri", "unix:" + target.sockets().resolve("migrate.sock")), timeout);
        String[] status = {""};
        Retry.until("migrating " + machine, timeout, Duration.ofMillis(20), last -> {
            status[0] = from.execute("query-migrate").path("status").asText();
            if (status[0].equals("failed") || status[0].equals("cancelled")) {
                throw JvtException.infrastructure(machine + ": migration " + status[0] + ": "
                        + from.execute("query-migrate").path("error-desc").asText("") + "\nQEMU log:\n" + target.process().logTail(10));
            }
            return status[0].equals("completed") ? Boolean.TRUE : null;
        }, gave -> JvtException.testFailure(machine + ": migration did not complete within " + Timeouts.human(timeout)
                + " (status " + status[0] + ")"));
        // the target starts the guest by itself once the state arrived; wait for that, else start it
        if (Retry.poll("waiting for the migrated guest to run", timeout, Duration.ofMillis(10),
                last -> target.qmp().execute("query-status").path("running").asBoolean(false) ? Boolean.TRUE : null) == null) {
            target.qmp().execute("cont");
        }
    }
}
