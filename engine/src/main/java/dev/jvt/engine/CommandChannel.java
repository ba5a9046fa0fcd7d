package dev.jvt.engine;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The built-in guest's command channel: a virtio-serial port named {@code jvt.cmd}, separate from
 * the serial console, so command output is exact even while the kernel prints.
 *
 * <p>Protocol (one agent in the guest, commands run one at a time):
 * <pre>
 *   host → guest:  X &lt;id&gt; &lt;timeout-seconds&gt; &lt;base64 of the shell script&gt;\n
 *   guest → host:  H ready\n                                   (agent started)
 *                  R &lt;id&gt; &lt;status&gt; &lt;stdout-bytes&gt; &lt;stderr-bytes&gt;\n stdout stderr
 * </pre>
 * The agent runs the script under {@code timeout -s KILL}, so a hung command does not block the
 * channel beyond its deadline.
 */
public final class CommandChannel {
    /** What a command returned. */
    public record Result(int status, String stdout, String stderr, Duration duration) {
    }

    private final String machine;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Map<String, CompletableFuture<Result>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile java.nio.channels.WritableByteChannel socket;
    private volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    private volatile Throwable fatal;
    private volatile boolean paced;
    private volatile java.nio.channels.ReadableByteChannel reading;
    private final java.util.concurrent.Semaphore acks = new java.util.concurrent.Semaphore(0);

    public CommandChannel(String machine) {
        this.machine = machine;
    }

    /** Uses a new connection (a new QEMU process); reads replies on a thread of its own. */
    public void attach(SocketChannel newSocket, boolean expectHello) {
        attach(newSocket, newSocket, expectHello);
    }

    /** Uses a new pair of channels (QEMU's pipe chardev: two FIFOs). */
    public void attach(java.nio.channels.ReadableByteChannel in, java.nio.channels.WritableByteChannel out, boolean expectHello) {
        java.nio.channels.ReadableByteChannel newSocket = in;
        this.socket = out;
        this.fatal = null;
        if (expectHello) {
            ready = new CompletableFuture<>();
        }
        reading = newSocket;
        Thread t = new Thread(() -> readLoop(newSocket), "jvt-cmd-" + machine);
        t.setDaemon(true);
        t.start();
    }

    /** Whether requests are written in small, spaced chunks (a UART under record: see {@link #writePaced}). */
    public void paced(boolean on) {
        this.paced = on;
    }

    /** Bytes per chunk and pause between chunks when paced. */
    static final int CHUNK = 4;
    static final long CHUNK_PAUSE_MS = 40;

    /**
     * Writes {@code bytes}; when {@code paced}, in chunks of {@value #CHUNK} bytes with a pause
     * after each: while QEMU records, input reaches the 16-byte UART FIFO without flow control, so
     * a burst loses bytes (QEMU-FACTS.md).
     */
    public static void writePaced(java.nio.channels.WritableByteChannel ch, byte[] bytes, boolean paced) throws IOException {
        int step = paced ? CHUNK : bytes.length;
        for (int off = 0; off < bytes.length; off += step) {
            ByteBuffer buf = ByteBuffer.wrap(bytes, off, Math.min(step, bytes.length - off));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (paced) {
                try {
                    Thread.sleep(CHUNK_PAUSE_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }

    /** Fails every pending and later call with {@code cause}. */
    public void abort(Throwable cause) {
        fatal = cause;
        ready.completeExceptionally(cause);
        pending.values().forEach(f -> f.completeExceptionally(cause));
        pending.clear();
    }

    public boolean isReady() {
        return ready.isDone() && !ready.isCompletedExceptionally();
    }

    /** Waits for the agent's hello. */
    public void awaitReady(Duration timeout) throws TimeoutException {
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw asRuntime(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.testFailure(machine + ": interrupted while waiting for the command channel");
        }
    }

    private void readLoop(java.nio.channels.ReadableByteChannel ch) {
        try (InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 65536)) {
            while (true) {
                String header = readLine(in);
                if (header == null) {
                    break;
                }
                String[] f = header.split(" ");
                if (f[0].equals("H")) {
                    ready.complete(null);
                } else if (f[0].equals("A")) {
                    acks.release();
                } else if (f[0].equals("R") && f.length == 5) {
                    int status = Integer.parseInt(f[2]);
                    byte[] out = in.readNBytes(Integer.parseInt(f[3]));
                    byte[] err = in.readNBytes(Integer.parseInt(f[4]));
                    CompletableFuture<Result> p = pending.remove(f[1]);
                    if (p != null) {
                        p.complete(new Result(status, new String(out, StandardCharsets.UTF_8),
                                new String(err, StandardCharsets.UTF_8), Duration.ZERO));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // connection gone; the machine reports why (QEMU exit)
        }
        if (reading == ch) {
            JvtException gone = JvtException.infrastructure(machine + ": command channel closed (QEMU exited?)");
            pending.values().forEach(p -> p.completeExceptionally(gone));
            pending.clear();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new EOFException();
            }
            if (c == '\n') {
                return b.toString(StandardCharsets.UTF_8);
            }
            b.write(c);
        }
    }

    /**
     * Runs {@code script} with {@code sh} in the guest and returns status and output.
     * Throws a test failure naming the command when it does not finish within {@code timeout}.
     */
    public Result execute(String script, Duration timeout) {
        long t0 = System.nanoTime();
        checkUsable();
        try {
            if (!lock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw JvtException.testFailure(machine + ": command channel busy for " + Timeouts.human(timeout)
                        + " (another command still runs), could not run: " + script);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.testFailure(machine + ": interrupted before running: " + script);
        }
        try {
            checkUsable();
            long leftMs = timeout.toMillis() - (System.nanoTime() - t0) / 1_000_000;
            long guestSeconds = Math.max(1, (leftMs + 999) / 1000);
            String id = Long.toString(ids.incrementAndGet());
            CompletableFuture<Result> f = new CompletableFuture<>();
            pending.put(id, f);
            String b64 = Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8));
            if (paced) {
                sendAcknowledged(b64, id, guestSeconds, t0, timeout, script);
            } else {
                write("X " + id + " " + guestSeconds + " " + b64 + "\n");
            }
            try {
                Result r = f.get(leftMs + 5000, TimeUnit.MILLISECONDS);
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                if (r.status() == 137 && took.toMillis() >= leftMs - 50) {
                    throw new TimeoutException();
                }
                return new Result(r.status(), r.stdout(), r.stderr(), took);
            } catch (TimeoutException e) {
                pending.remove(id);
                throw new CommandTimeout(machine, script, timeout);
            } catch (ExecutionException e) {
                throw asRuntime(e.getCause());
            } catch (InterruptedException e) {
                pending.remove(id);
                Thread.currentThread().interrupt();
                throw JvtException.testFailure(machine + ": interrupted while running: " + script);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Part of a request per acknowledged line on a UART: "C " + part + "\n" stays under the 16-byte FIFO. */
    static final int PART = 10;

    private void sendAcknowledged(String b64, String id, long guestSeconds, long t0, Duration timeout, String script) {
        acks.drainPermits();
        for (int off = 0; off < b64.length(); off += PART) {
            write("C " + b64.substring(off, Math.min(b64.length(), off + PART)) + "\n");
            long left = timeout.toMillis() - (System.nanoTime() - t0) / 1_000_000;
            try {
                if (!acks.tryAcquire(Math.max(1, left), TimeUnit.MILLISECONDS)) {
                    throw new CommandTimeout(machine, script, timeout, " (the guest did not take the request)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.testFailure(machine + ": interrupted while sending: " + script);
            }
            if (fatal != null) {
                throw asRuntime(fatal);
            }
        }
        write("E " + id + " " + guestSeconds + "\n");
    }

    /** Sends a command and does not wait for its answer (power-off: the agent dies with the guest). */
    public void fireAndForget(String script) {
        checkUsable();
        String id = Long.toString(ids.incrementAndGet());
        String b64 = Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8));
        if (paced) {
            sendAcknowledged(b64, id, 60, System.nanoTime(), Timeouts.COMMAND, script);
        } else {
            write("X " + id + " 60 " + b64 + "\n");
        }
    }

    private void checkUsable() {
        if (fatal != null) {
            throw asRuntime(fatal);
        }
        if (socket == null) {
            throw JvtException.testFailure(machine + ": has no command channel (not the built-in guest, or not started)");
        }
    }

    private void write(String line) {
        try {
            synchronized (this) {
                writePaced(socket, line.getBytes(StandardCharsets.US_ASCII), false);
            }
        } catch (IOException e) {
            throw JvtException.infrastructure(machine + ": cannot write to the command channel: " + e.getMessage(), e);
        }
    }

    private static RuntimeException asRuntime(Throwable t) {
        return t instanceof RuntimeException r ? r : JvtException.infrastructure(String.valueOf(t.getMessage()), t);
    }

    /** A command that did not finish in time; the machine adds the console lines. */
    public static final class CommandTimeout extends JvtException {
        public CommandTimeout(String machine, String script, Duration timeout) {
            this(machine, script, timeout, "");
        }

        public CommandTimeout(String machine, String script, Duration timeout, String detail) {
            super(Kind.TEST_FAILURE, machine + ": command did not finish within " + Timeouts.human(timeout) + ": " + script + detail);
        }
    }
}
