package dev.jvt.engine.qemu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Timeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A QMP client: reads the greeting, negotiates capabilities, matches replies to requests by id,
 * and hands asynchronous events to listeners. One JSON object per line in both directions.
 */
public final class Qmp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Qmp.class);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String owner;
    private final SocketChannel channel;
    private final BufferedReader reader;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<JsonNode>> eventListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final Thread readerThread;
    private volatile boolean closed;
    private volatile Consumer<String> onNoReply = why -> { };

    /** Connects over {@code channel} (already connected to QEMU's monitor) and negotiates capabilities. */
    public Qmp(String owner, SocketChannel channel, Duration timeout) {
        this.owner = owner;
        this.channel = channel;
        this.reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.readerThread = new Thread(this::readLoop, "jvt-qmp-" + owner);
        readerThread.setDaemon(true);
        readerThread.start();
        try {
            greeting.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw JvtException.infrastructure(owner + ": no QMP greeting from QEMU within " + Timeouts.human(timeout), e);
        }
        execute("qmp_capabilities", Map.of(), timeout);
    }

    public void addEventListener(Consumer<JsonNode> listener) {
        eventListeners.add(listener);
    }

    private void readLoop() {
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode msg;
                try {
                    msg = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    LOG.warn("{}: skipped a malformed QMP message from QEMU: {}", owner, line, e);
                    continue;
                }
                dispatch(msg);
            }
        } catch (IOException e) {
            LOG.debug("{}: QMP connection closed", owner, e);
        } finally {
            closed = true;
            JvtException gone = JvtException.infrastructure(owner + ": QMP connection to QEMU closed");
            greeting.completeExceptionally(gone);
            pending.values().forEach(f -> f.completeExceptionally(gone));
            pending.clear();
        }
    }

    /** Hands one message to whoever waits for it; a listener that throws does not stop the reader. */
    private void dispatch(JsonNode msg) {
        if (msg.has("QMP")) {
            greeting.complete(msg);
        } else if (msg.has("event")) {
            for (Consumer<JsonNode> l : eventListeners) {
                try {
                    l.accept(msg);
                } catch (RuntimeException e) {
                    LOG.warn("{}: a listener of QMP event {} failed", owner, msg.path("event").asText(), e);
                }
            }
        } else if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asText());
            if (f != null) {
                f.complete(msg);
            }
        }
    }

    /** Runs a QMP command and returns its {@code return} value; a QMP error becomes an exception. */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        if (closed) {
            throw JvtException.infrastructure(owner + ": QMP connection to QEMU is closed (QEMU exited?)");
        }
        String id = "jvt-" + ids.incrementAndGet();
        ObjectNode req = JSON.createObjectNode();
        req.put("execute", command);
        if (arguments != null && !arguments.isEmpty()) {
            req.set("arguments", JSON.valueToTree(arguments));
        }
        req.put("id", id);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            byte[] bytes = (JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (channel) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
            JsonNode reply = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                JsonNode err = reply.get("error");
                throw new QmpException(command, err.path("class").asText(), err.path("desc").asText());
            }
            return reply.get("return");
        } catch (IOException e) {
            pending.remove(id);
            throw JvtException.infrastructure(owner + ": cannot send QMP command " + command + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            pending.remove(id);
            String message = owner + ": QMP command " + command + " got no reply within " + Timeouts.human(timeout);
            // the connection closed while the command was being sent: QEMU is gone, not slow
            if (closed) {
                throw JvtException.infrastructure(message, e);
            }
            onNoReply.accept("its monitor gave no reply to " + command + " within " + Timeouts.human(timeout) + ": taken as hung");
            throw JvtException.infrastructure(message + ": QEMU is hung; jvt killed it (a rewind starts it anew)", e);
        } catch (InterruptedException e) {
            pending.remove(id);
            Thread.currentThread().interrupt();
            throw JvtException.testFailure(owner + ": interrupted while waiting for QMP command " + command);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw JvtException.infrastructure(owner + ": QMP command " + command + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * What to do when a command gets no reply in time while the connection stays open: QEMU is
     * hung (a stopped process, a deadlock), and its session kills it so that a rewind can start a
     * new one instead of waiting on the same hang again.
     */
    public void onNoReply(Consumer<String> action) {
        onNoReply = action;
    }

    public JsonNode execute(String command) {
        return execute(command, Map.of(), Timeouts.MONITOR);
    }

    /** Runs an HMP (human monitor) command; HMP errors come back as text, as in the monitor. */
    public String hmp(String commandLine, Duration timeout) {
        JsonNode r = execute("human-monitor-command", Map.of("command-line", commandLine), timeout);
        return r == null ? "" : r.asText();
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("{}: cannot close the QMP connection", owner, e);
        }
    }

    /** QEMU answered a QMP command with an error. */
    public static final class QmpException extends JvtException {
        private final String errorClass;

        public QmpException(String command, String errorClass, String description) {
            super(Kind.TEST_FAILURE, "QMP " + command + " failed: " + description + " (" + errorClass + ")");
            this.errorClass = errorClass;
        }

        public String errorClass() {
            return errorClass;
        }
    }
}
