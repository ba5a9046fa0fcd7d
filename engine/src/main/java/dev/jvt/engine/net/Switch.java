package dev.jvt.engine.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A learning Ethernet switch between QEMU processes, on one thread.
 *
 * <p>Each port is a UNIX stream socket the switch listens on; a QEMU NIC connects to it with
 * {@code -netdev stream,server=off,addr.type=unix,addr.path=...}. On that socket every frame is a
 * 4-byte big-endian length followed by the Ethernet frame. The switch learns source MAC addresses,
 * sends a frame to the port its destination was learned on, and floods broadcast, multicast and
 * unknown destinations. Every frame it receives goes into the network's pcap, before faults
 * apply, so a dropped frame is in the capture and its answer is not.
 *
 * <p>Faults ({@link Rules}) are published by another thread through a volatile field and apply to
 * the next frame. The forwarding path copies each frame once per destination, between direct
 * buffers, and allocates nothing (unless a delay is set).
 */
final class Switch implements AutoCloseable {
    static final int MAX_PORTS = 64;
    private static final Logger LOG = LoggerFactory.getLogger(Switch.class);
    private static final int IN_SIZE = 256 * 1024;
    private static final int OUT_SIZE = 4 * 1024 * 1024;
    private static final int MAX_FRAME = IN_SIZE - 4;
    private static final long MAX_DELAYED_BYTES = 64L * 1024 * 1024;
    private static final long MULTICAST = 1L << 40;
    /** The capture reaches the file at most this long after a frame (and at once on {@link #syncCapture}). */
    private static final long PCAP_FLUSH_NANOS = 10_000_000;

    /**
     * The faults in force, compiled for the forwarding path.
     *
     * @param reach          for each port, the bit set of ports it may send to
     * @param lossPerMillion frames dropped at random, per million
     * @param delayNanos     how long each frame waits in the switch
     */
    record Rules(long[] reach, int lossPerMillion, long delayNanos) {
        static Rules open() {
            long[] r = new long[MAX_PORTS];
            for (int i = 0; i < MAX_PORTS; i++) {
                r[i] = ~(1L << i);
            }
            return new Rules(r, 0, 0);
        }
    }

    /** Frames seen and what became of them (read without locking: approximate while traffic flows). */
    static final class Counters {
        long received;
        long forwarded;
        long droppedByFault;
        long droppedByLoss;
        long droppedQueueFull;
        long malformed;
    }

    static final class Port {
        final int index;
        final String machine;
        final Path path;
        final ServerSocketChannel server;
        final ByteBuffer in = ByteBuffer.allocateDirect(IN_SIZE).order(ByteOrder.BIG_ENDIAN);
        final ByteBuffer out = ByteBuffer.allocateDirect(OUT_SIZE).order(ByteOrder.BIG_ENDIAN);
        SocketChannel conn;
        SelectionKey key;
        boolean dirty;
        boolean writeBlocked;

        Port(int index, String machine, Path path, ServerSocketChannel server) {
            this.index = index;
            this.machine = machine;
            this.path = path;
            this.server = server;
        }
    }

    private record Delayed(long due, int source, long targets, ByteBuffer frame) {
    }

    private final String name;
    private final Selector selector;
    private final PcapWriter pcap;
    private volatile Thread thread;
    private final java.util.concurrent.atomic.AtomicInteger generation = new java.util.concurrent.atomic.AtomicInteger();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Port[] ports = new Port[MAX_PORTS];
    /** Every port opened, also those whose registration task the switch thread has not run yet: close() closes them all. */
    private final java.util.List<Port> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Port[] dirty = new Port[MAX_PORTS];
    private int dirtyCount;
    private volatile long connected;
    private final long[] macs = new long[1024];
    private final Port[] macPorts = new Port[1024];
    private int macCount;
    private final ArrayDeque<Delayed> delayed = new ArrayDeque<>();
    private long delayedBytes;
    private final SplittableRandom random;
    private final Counters counters = new Counters();
    private volatile Rules rules = Rules.open();
    private volatile boolean running = true;
    private volatile Throwable failure;
    private boolean pcapDirty;
    private long lastPcapFlush = System.nanoTime();

    Switch(String name, Path pcapFile) throws IOException {
        this.name = name;
        this.random = new SplittableRandom(name.hashCode());
        this.selector = Selector.open();
        this.pcap = new PcapWriter(pcapFile);
        startThread();
    }

    private void startThread() {
        Thread t = new Thread(this::loop, "jvt-switch-" + name + (generation.get() == 0 ? "" : "-" + generation.get()));
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /**
     * When the switch's thread died of {@code failure()}: starts a new one on the same ports (the
     * connections, the rules and the capture are kept) and returns what killed the old one; null
     * while the switch works.
     */
    synchronized Throwable restartIfDead() {
        Throwable f = failure;
        if (f == null || !running) {
            return null;
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return f;
        }
        failure = null;
        generation.incrementAndGet();
        startThread();
        LOG.warn("switch {}: its thread died ({}); started a new one", name, f.toString());
        return f;
    }

    /** Fault injection (FaultsSpec, jvt bench faults): the switch's thread dies of an unexpected error. */
    void crashThread() {
        tasks.add(() -> {
            throw new IllegalStateException("fault injected: the switch thread of '" + name + "' crashed");
        });
        selector.wakeup();
    }

    /**
     * Opens port {@code index} for {@code machine}: the socket at {@code path} listens when this
     * returns, so a QEMU started afterwards finds it.
     */
    Port open(int index, String machine, Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        server.configureBlocking(false);
        Port p = new Port(index, machine, path, server);
        opened.add(p);
        submit(() -> {
            ports[index] = p;
            p.server.register(selector, SelectionKey.OP_ACCEPT, p);
        });
        return p;
    }

    /** How many ports have a QEMU (or another client) connected. */
    int connectedPorts() {
        return Long.bitCount(connected);
    }

    void rules(Rules r) {
        rules = r;
        selector.wakeup();
    }

    Counters counters() {
        return counters;
    }

    Path pcapFile() {
        return pcap.path();
    }

    /** Why the switch stopped forwarding, or null while it works. */
    Throwable failure() {
        return failure;
    }

    private interface Task {
        void run() throws IOException;
    }

    private void submit(Task t) {
        tasks.add(() -> {
            try {
                t.run();
            } catch (IOException e) {
                LOG.warn("switch {}: {}", name, e.toString());
            }
        });
        selector.wakeup();
    }

    // ------------------------------------------------------------------ the switch's thread

    private void loop() {
        try {
            while (running) {
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                long now = System.nanoTime();
                long wait = Long.MAX_VALUE;
                if (!delayed.isEmpty()) {
                    wait = delayed.peekFirst().due() - now;
                }
                if (pcapDirty) {
                    wait = Math.min(wait, lastPcapFlush + PCAP_FLUSH_NANOS - now);
                }
                long timeout = wait == Long.MAX_VALUE ? 0 : Math.max(1, (wait + 999_999) / 1_000_000);
                selector.select(this::ready, timeout);
                if (!delayed.isEmpty()) {
                    release(System.nanoTime());
                }
                for (int i = 0; i < dirtyCount; i++) {
                    Port p = dirty[i];
                    p.dirty = false;
                    if (!p.writeBlocked) {
                        flush(p);
                    }
                }
                dirtyCount = 0;
                if (pcapDirty && System.nanoTime() - lastPcapFlush >= PCAP_FLUSH_NANOS) {
                    flushCapture();
                }
            }
            flushCapture();
        } catch (Throwable t) {
            failure = t;
            // the test that touched the network fails with this; the trace is for jvt's developers
            LOG.error("switch {} stopped: {}", name, t.toString());
            LOG.debug("switch {} stopped", name, t);
        }
    }

    /** One ready key: a QEMU connecting, a port that can take more, a port with frames. */
    private void ready(SelectionKey k) {
        Port p = (Port) k.attachment();
        if (!k.isValid()) {
            return;
        }
        if (k.isAcceptable()) {
            try {
                accept(p);
            } catch (IOException e) {
                LOG.warn("switch {}: cannot accept on the port of {}: {}", name, p.machine, e.toString());
            }
            return;
        }
        if (k.isWritable()) {
            flush(p);
        }
        if (k.isValid() && k.isReadable()) {
            read(p, System.nanoTime());
        }
    }

    private void flushCapture() {
        pcapDirty = false;
        lastPcapFlush = System.nanoTime();
        try {
            pcap.flush();
        } catch (IOException e) {
            captureFailed(e);
        }
    }

    /** Writes every frame captured so far to the pcap file; returns when it is there. */
    void syncCapture() {
        if (!running || Thread.currentThread() == thread) {
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        tasks.add(() -> {
            flushCapture();
            done.complete(null);
        });
        selector.wakeup();
        try {
            done.get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("switch {}: the capture was not flushed in time: {}", name, e.toString());
        }
    }

    private void accept(Port p) throws IOException {
        SocketChannel c = p.server.accept();
        if (c == null) {
            return;
        }
        if (p.conn != null) {
            disconnect(p); // the machine started again (restart, migration): the new QEMU takes the port
        }
        c.configureBlocking(false);
        try {
            c.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
            c.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("switch {}: cannot size the socket buffers of {}'s port; the defaults work too", name, p.machine, e);
        }
        p.conn = c;
        p.key = c.register(selector, SelectionKey.OP_READ, p);
        p.in.clear();
        p.out.clear();
        p.writeBlocked = false;
        connected |= 1L << p.index;
    }

    private void disconnect(Port p) {
        if (p.conn == null) {
            return;
        }
        try {
            p.conn.close();
        } catch (IOException e) {
            LOG.debug("switch {}: cannot close the connection of {}'s port", name, p.machine, e);
        }
        p.conn = null;
        p.key = null;
        p.in.clear();
        p.out.clear();
        p.writeBlocked = false;
        connected &= ~(1L << p.index);
        for (int i = 0; i < macCount; ) {
            if (macPorts[i] == p) {
                macCount--;
                macs[i] = macs[macCount];
                macPorts[i] = macPorts[macCount];
                macPorts[macCount] = null;
            } else {
                i++;
            }
        }
    }

    private void read(Port p, long now) {
        ByteBuffer in = p.in;
        int n;
        try {
            n = p.conn.read(in);
        } catch (IOException e) {
            LOG.debug("switch {}: cannot read from {}'s port; disconnecting it", name, p.machine, e);
            disconnect(p);
            return;
        }
        if (n < 0) {
            disconnect(p);
            return;
        }
        int end = in.position();
        int pos = 0;
        while (end - pos >= 4) {
            int len = in.getInt(pos);
            if (len < 0 || len > MAX_FRAME) {
                LOG.warn("switch {}: port of {} sent a frame length of {}; disconnecting it", name, p.machine, len);
                counters.malformed++;
                disconnect(p);
                return;
            }
            if (end - pos - 4 < len) {
                break;
            }
            frame(p, in, pos + 4, len, now);
            pos += 4 + len;
        }
        if (pos > 0) {
            in.limit(end).position(pos);
            in.compact();
        }
    }

    private void frame(Port src, ByteBuffer b, int off, int len, long now) {
        counters.received++;
        try {
            pcap.write(b, off, len, now);
            pcapDirty = true;
        } catch (IOException e) {
            captureFailed(e);
        }
        if (len < 14) {
            counters.malformed++;
            return;
        }
        long dst = ((b.getInt(off) & 0xffffffffL) << 16) | (b.getShort(off + 4) & 0xffffL);
        long srcMac = ((b.getInt(off + 6) & 0xffffffffL) << 16) | (b.getShort(off + 10) & 0xffffL);
        if ((srcMac & MULTICAST) == 0) {
            learn(srcMac, src);
        }
        long self = 1L << src.index;
        long candidates;
        if ((dst & MULTICAST) != 0) {
            candidates = connected & ~self;
        } else {
            Port d = lookup(dst);
            candidates = d == null ? connected & ~self : d == src ? 0 : (1L << d.index) & connected;
        }
        if (candidates == 0) {
            return;
        }
        Rules r = rules;
        long targets = candidates & r.reach()[src.index];
        if (targets == 0) {
            counters.droppedByFault++;
            return;
        }
        if (r.lossPerMillion() > 0 && random.nextInt(1_000_000) < r.lossPerMillion()) {
            counters.droppedByLoss++;
            return;
        }
        if (r.delayNanos() > 0 || !delayed.isEmpty()) {
            if (delayedBytes + len > MAX_DELAYED_BYTES) {
                counters.droppedQueueFull++;
                return;
            }
            ByteBuffer copy = ByteBuffer.allocate(len);
            copy.put(0, b, off, len);
            delayed.addLast(new Delayed(now + r.delayNanos(), src.index, targets, copy));
            delayedBytes += len;
            return;
        }
        send(targets, b, off, len);
    }

    private void send(long targets, ByteBuffer b, int off, int len) {
        while (targets != 0) {
            int i = Long.numberOfTrailingZeros(targets);
            targets &= targets - 1;
            Port d = ports[i];
            if (d == null || d.conn == null) {
                continue;
            }
            ByteBuffer o = d.out;
            if (o.remaining() < 4 + len) {
                counters.droppedQueueFull++;
                continue;
            }
            int pos = o.position();
            o.putInt(pos, len);
            o.put(pos + 4, b, off, len);
            o.position(pos + 4 + len);
            counters.forwarded++;
            if (!d.dirty) {
                d.dirty = true;
                dirty[dirtyCount++] = d;
            }
        }
    }

    /** Sends the delayed frames that are due; faults set meanwhile still apply to them. */
    private void release(long now) {
        Delayed d;
        while ((d = delayed.peekFirst()) != null && d.due() - now <= 0) {
            delayed.pollFirst();
            int len = d.frame().capacity();
            delayedBytes -= len;
            long targets = d.targets() & rules.reach()[d.source()] & connected;
            if (targets == 0) {
                counters.droppedByFault++;
                continue;
            }
            send(targets, d.frame(), 0, len);
        }
    }

    private void flush(Port p) {
        if (p.conn == null) {
            return;
        }
        ByteBuffer o = p.out;
        o.flip();
        try {
            p.conn.write(o);
        } catch (IOException e) {
            LOG.debug("switch {}: cannot write to {}'s port; disconnecting it", name, p.machine, e);
            disconnect(p);
            return;
        }
        o.compact();
        if (o.position() > 0) {
            if (!p.writeBlocked) {
                p.writeBlocked = true;
                p.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        } else if (p.writeBlocked) {
            p.writeBlocked = false;
            p.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void learn(long mac, Port p) {
        for (int i = 0; i < macCount; i++) {
            if (macs[i] == mac) {
                macPorts[i] = p;
                return;
            }
        }
        if (macCount < macs.length) {
            macs[macCount] = mac;
            macPorts[macCount] = p;
            macCount++;
        }
    }

    private Port lookup(long mac) {
        for (int i = 0; i < macCount; i++) {
            if (macs[i] == mac) {
                return macPorts[i];
            }
        }
        return null;
    }

    private void captureFailed(IOException e) {
        if (failure == null) {
            failure = e;
            LOG.warn("switch {}: cannot write the packet capture: {}", name, e.toString());
        }
    }

    // ------------------------------------------------------------------ closing

    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Port p : ports) {
            if (p != null) {
                disconnect(p);
            }
        }
        for (Port p : opened) {
            try {
                p.server.close();
                Files.deleteIfExists(p.path);
            } catch (IOException e) {
                LOG.debug("switch {}: cannot close the port {}", name, p.path, e);
            }
        }
        try {
            pcap.close();
        } catch (IOException e) {
            LOG.warn("switch {}: cannot finish the packet capture: {}", name, e.toString());
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("switch {}: cannot close its selector", name, e);
        }
    }
}
