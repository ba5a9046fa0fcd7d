package dev.jvt.engine.channel;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Timeouts;
import dev.jvt.engine.qemu.QemuSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
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
 * The built-in guest's agent as a command channel: a virtio-serial port named {@code jvt.cmd},
 * separate from the serial console, so command output is exact even while the kernel prints.
 * Under {@code --record} the same agent listens on a second UART instead ({@link UartAgentChannel}).
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
public class AgentChannel implements CommandChannel {
    private static final Logger LOG = LoggerFactory.getLogger(AgentChannel.class);

    protected final String machine;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Map<String, CompletableFuture<Result>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile java.nio.channels.WritableByteChannel socket;
    private volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    protected volatile Throwable fatal;
    private volatile java.nio.channels.ReadableByteChannel reading;
    /** Acknowledgements of request lines ("A"), for {@link UartAgentChannel}. */
    protected final java.util.concurrent.Semaphore acks = new java.util.concurrent.Semaphore(0);

    public AgentChannel(String machine) {
        this.machine = machine;
    }

    @Override
    public String describe() {
        return "the built-in agent (virtio-serial port jvt.cmd)";
    }

    @Override
    public void attach(QemuSession session, boolean fresh) {
        QemuSession.CommandPort port = session.commandPort();
        if (port == null) {
            throw JvtException.infrastructure(machine + ": QEMU was started without the command port of " + describe());
        }
        attach(port.in(), port.out(), fresh);
    }

    /** Uses a new pair of channels (a socket both ways, or QEMU's pipe chardev: two FIFOs); reads replies on a thread of its own. */
    private void attach(java.nio.channels.ReadableByteChannel in, java.nio.channels.WritableByteChannel out, boolean expectHello) {
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

    /** Writes all of {@code bytes} to {@code ch}. */
    public static void writeFully(java.nio.channels.WritableByteChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    @Override
    public void abort(Throwable cause) {
        fatal = cause;
        ready.completeExceptionally(cause);
        pending.values().forEach(f -> f.completeExceptionally(cause));
        pending.clear();
    }

    @Override
    public boolean isReady() {
        return ready.isDone() && !ready.isCompletedExceptionally();
    }

    /** Waits for the agent's hello. */
    @Override
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
        try (InputStream in = new BufferedInputStream(unseekable(ch), 65536)) {
            while (true) {
                String header = readLine(in);
                if (header == null) {
                    break;
                }
                String[] f = header.split(" ");
                if (f[0].equals("R") && f.length != 5) {
                    LOG.warn("{}: malformed reply header from the agent, ignored: {}", machine, header);
                }
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
        } catch (IOException e) {
            // connection gone; the machine reports why (QEMU exit)
            LOG.debug("{}: command channel closed", machine, e);
        } catch (RuntimeException e) {
            LOG.warn("{}: the agent's reply could not be read; the channel closes: {}", machine, e.toString(), e);
        }
        if (reading == ch) {
            JvtException gone = JvtException.infrastructure(machine + ": command channel closed (QEMU exited?)");
            pending.values().forEach(p -> p.completeExceptionally(gone));
            pending.clear();
        }
    }

    /**
     * {@code ch} as a stream that only reads. {@code Channels.newInputStream} on a FIFO's
     * FileChannel answers {@code available()} by seeking, which fails ("Illegal seek") as soon as a
     * buffered read asks it.
     */
    static InputStream unseekable(java.nio.channels.ReadableByteChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                return ch.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
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

    @Override
    public void resync() {
        CommandTimeout gone = new CommandTimeout(machine, "(a command in flight)", Duration.ZERO, " (the machine was rewound meanwhile)");
        pending.values().forEach(p -> p.completeExceptionally(gone));
        pending.clear();
        acks.drainPermits();
    }

    /**
     * Runs {@code script} with {@code sh} in the guest and returns status and output.
     * Throws a test failure naming the command when it does not finish within {@code timeout}.
     */
    @Override
    public Result run(String script, Duration timeout) {
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
            request(id, guestSeconds, b64, t0, timeout, script);
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

    /**
     * Sends request {@code id}: run the base64 script {@code b64} with a guest-side deadline of
     * {@code guestSeconds}. One line on virtio-serial.
     */
    protected void request(String id, long guestSeconds, String b64, long t0, Duration timeout, String script) {
        write("X " + id + " " + guestSeconds + " " + b64 + "\n");
    }

    @Override
    public void send(String script) {
        checkUsable();
        String id = Long.toString(ids.incrementAndGet());
        String b64 = Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8));
        request(id, 60, b64, System.nanoTime(), Timeouts.COMMAND, script);
    }

    /** Throws why the channel cannot be used (the machine's failure), if it cannot. */
    protected void checkUsable() {
        if (fatal != null) {
            throw asRuntime(fatal);
        }
        if (socket == null) {
            throw JvtException.testFailure(machine + ": has no command channel (not the built-in guest, or not started)");
        }
    }

    protected void write(String line) {
        try {
            synchronized (this) {
                writeFully(socket, line.getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            throw JvtException.infrastructure(machine + ": cannot write to the command channel: " + e.getMessage(), e);
        }
    }

    protected static RuntimeException asRuntime(Throwable t) {
        return t instanceof RuntimeException r ? r : JvtException.infrastructure(String.valueOf(t.getMessage()), t);
    }
}
