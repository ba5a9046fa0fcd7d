package dev.jvt.engine.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Retry;
import dev.jvt.engine.Timeouts;
import dev.jvt.engine.qemu.QemuSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * qemu-guest-agent as a command channel, for a user's image that runs it (port
 * {@code org.qemu.guest_agent.0}). The stream is synchronised with {@code guest-sync-delimited}
 * (a 0xFF byte, then a random id, and everything before the id's answer thrown away) when the
 * channel connects, after every rewind and after a call that timed out; commands run with
 * {@code guest-exec} ({@code /bin/sh -c}, output captured) and {@code guest-exec-status} until
 * they exit. At the deadline the command is killed with another {@code guest-exec}. qga keeps at
 * most 16 MiB of each stream: a cut is said in the stderr the test sees, never hidden.
 */
public final class QgaChannel implements CommandChannel {
    private static final Logger LOG = LoggerFactory.getLogger(QgaChannel.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SYNC_TRY = Duration.ofSeconds(5);

    private final String machine;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    private volatile WritableByteChannel out;
    private volatile ReadableByteChannel reading;
    private volatile boolean synced;
    private volatile Throwable fatal;

    public QgaChannel(String machine) {
        this.machine = machine;
    }

    @Override
    public String describe() {
        return "qemu-guest-agent (virtio-serial port org.qemu.guest_agent.0)";
    }

    @Override
    public void attach(QemuSession session, boolean fresh) {
        QemuSession.CommandPort port = session.guestAgentPort();
        if (port == null) {
            throw JvtException.infrastructure(machine + ": QEMU was started without the port of " + describe());
        }
        out = port.out();
        fatal = null;
        synced = false;
        replies.clear();
        reading = port.in();
        ReadableByteChannel in = port.in();
        Thread t = new Thread(() -> readLoop(in), "jvt-qga-" + machine);
        t.setDaemon(true);
        t.start();
    }

    /** Splits the stream into JSON objects (skipping the 0xFF sync bytes and white space between them). */
    private void readLoop(ReadableByteChannel ch) {
        try (InputStream in = new BufferedInputStream(AgentChannel.unseekable(ch))) {
            ByteArrayOutputStream obj = new ByteArrayOutputStream();
            int depth = 0;
            boolean string = false;
            boolean escape = false;
            for (int c; (c = in.read()) >= 0; ) {
                if (depth == 0 && c != '{') {
                    continue;
                }
                obj.write(c);
                if (string) {
                    if (escape) {
                        escape = false;
                    } else if (c == '\\') {
                        escape = true;
                    } else if (c == '"') {
                        string = false;
                    }
                } else if (c == '"') {
                    string = true;
                } else if (c == '{') {
                    depth++;
                } else if (c == '}' && --depth == 0) {
                    try {
                        replies.add(JSON.readTree(obj.toByteArray()));
                    } catch (IOException e) {
                        LOG.warn("{}: qemu-guest-agent sent what is not JSON, ignored: {}", machine, obj.toString(StandardCharsets.UTF_8));
                    }
                    obj.reset();
                }
            }
        } catch (IOException e) {
            LOG.debug("{}: qemu-guest-agent's port closed", machine, e);
        }
    }

    @Override
    public boolean isReady() {
        return synced;
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException {
        Handshake.run(lock, () -> sync(timeout));
    }

    /** guest-sync-delimited until the agent answers with our id (it is silent until it runs). */
    private void sync(Duration timeout) {
        long t0 = System.nanoTime();
        Retry.until("synchronising with qemu-guest-agent", timeout, Duration.ofMillis(100), last -> {
            checkUsable();
            long id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE >> 12);
            replies.clear();
            write(new byte[] {(byte) 0xFF});
            write(request("guest-sync-delimited", Map.of("id", id)));
            long until = System.nanoTime() + Math.min(SYNC_TRY.toNanos(), Retry.remaining(t0, timeout).toNanos());
            while (System.nanoTime() < until) {
                JsonNode r = replies.poll(Math.max(1, (until - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (r != null && r.path("return").asLong(-1) == id) {
                    synced = true;
                    return Boolean.TRUE;
                }
            }
            return null;
        }, gave -> new Handshake.Silent(machine + ": " + describe() + " did not answer guest-sync-delimited within " + Timeouts.human(timeout)
                + " (" + gave.attempts() + " tries): is qemu-guest-agent installed and running in the guest?"));
    }

    private JsonNode call(String command, Map<String, ?> args, Duration timeout) {
        write(request(command, args));
        try {
            JsonNode r = replies.poll(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
            if (r == null) {
                synced = false;  // a late answer may still come: sync again before the next call
                throw new CommandTimeout(machine, command, timeout, " (qemu-guest-agent did not answer)");
            }
            if (r.has("error")) {
                throw JvtException.testFailure(machine + ": qemu-guest-agent refused " + command + ": " + r.path("error").path("desc").asText(r.toString()));
            }
            return r.path("return");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.testFailure(machine + ": interrupted while waiting for qemu-guest-agent");
        }
    }

    @Override
    public Result run(String command, Duration timeout) {
        long t0 = System.nanoTime();
        checkUsable();
        lock.lock();
        try {
            if (!synced) {
                sync(Retry.remaining(t0, timeout));
            }
            long pid = call("guest-exec", Map.of("path", "/bin/sh", "arg", List.of("-c", command), "capture-output", true),
                    Retry.remaining(t0, timeout)).path("pid").asLong();
            JsonNode done;
            try {
                done = Retry.until("running `" + command + "` through qemu-guest-agent", Retry.remaining(t0, timeout), Duration.ofMillis(50), last -> {
                    JsonNode st = call("guest-exec-status", Map.of("pid", pid), Duration.ofSeconds(30));
                    return st.path("exited").asBoolean(false) ? st : null;
                }, gave -> new CommandTimeout(machine, command, timeout));
            } catch (CommandTimeout e) {
                kill(pid);
                throw e;
            }
            int status = done.has("exitcode") ? done.path("exitcode").asInt() : 128 + done.path("signal").asInt();
            String stdout = decode(done, "out-data");
            String stderr = decode(done, "err-data");
            if (done.path("out-truncated").asBoolean(false) || done.path("err-truncated").asBoolean(false)) {
                String note = "[jvt: qemu-guest-agent cut the command's " + (done.path("out-truncated").asBoolean(false) ? "stdout" : "stderr")
                        + " at 16 MiB; the rest is lost]";
                LOG.warn("{}: {}: {}", machine, command, note);
                stderr = stderr + (stderr.isEmpty() || stderr.endsWith("\n") ? "" : "\n") + note + "\n";
            }
            return new Result(status, stdout, stderr, Duration.ofNanos(System.nanoTime() - t0));
        } finally {
            lock.unlock();
        }
    }

    private void kill(long pid) {
        try {
            call("guest-exec", Map.of("path", "/bin/kill", "arg", List.of("-KILL", Long.toString(pid))), Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            LOG.debug("{}: could not kill guest process {} at its deadline", machine, pid, e);
        }
    }

    private static String decode(JsonNode status, String field) {
        String b64 = status.path(field).asText("");
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    @Override
    public void send(String command) {
        checkUsable();
        write(request("guest-exec", Map.of("path", "/bin/sh", "arg", List.of("-c", command))));
    }

    @Override
    public void resync() {
        synced = false;
        replies.clear();
    }

    @Override
    public void abort(Throwable cause) {
        fatal = cause;
    }

    private void checkUsable() {
        if (fatal != null) {
            throw fatal instanceof RuntimeException r ? r : JvtException.infrastructure(String.valueOf(fatal.getMessage()), fatal);
        }
        if (out == null) {
            throw JvtException.testFailure(machine + ": " + describe() + " is not connected (not started)");
        }
    }

    private static byte[] request(String command, Map<String, ?> args) {
        ObjectNode r = JSON.createObjectNode();
        r.put("execute", command);
        r.set("arguments", JSON.valueToTree(args));
        return (r + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private void write(byte[] bytes) {
        try {
            synchronized (this) {
                AgentChannel.writeFully(out, bytes);
            }
        } catch (IOException e) {
            throw JvtException.infrastructure(machine + ": cannot write to qemu-guest-agent's port: " + e.getMessage(), e);
        }
    }
}
