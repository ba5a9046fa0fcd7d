package dev.jvt.engine.remote;

import com.jcraft.jsch.ChannelExec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A QEMU running on a remote host, seen as a {@link Process}: the exec channel of its watchdog
 * wrapper ({@link RemoteHost#WRAPPER}). QEMU's stdout and stderr arrive on the channel and are
 * appended to the local log; its exit status is the channel's. Destroying it sends EOF on the
 * channel's stdin, on which the wrapper kills QEMU with SIGKILL; the same happens on the remote
 * when the SSH connection dies with jvt.
 */
final class RemoteProcess extends Process {
    /** The exit status when the SSH connection ended before QEMU's exit was reported. */
    static final int LOST = 255;

    private final ChannelExec channel;
    private final OutputStream stdin;
    private final CompletableFuture<Process> exit = new CompletableFuture<>();
    private final List<AutoCloseable> bridges;
    private volatile long pid = -1;
    private volatile int status = -1;

    RemoteProcess(ChannelExec channel, OutputStream stdin, InputStream stdout, InputStream stderr, Path log, List<AutoCloseable> bridges) {
        this.channel = channel;
        this.stdin = stdin;
        this.bridges = bridges;
        Thread pidReader = new Thread(() -> {
            try {
                StringBuilder line = new StringBuilder();
                int b;
                while ((b = stderr.read()) >= 0) {
                    if (b == '\n') {
                        String l = line.toString();
                        line.setLength(0);
                        if (l.startsWith("jvt-qemu-pid ")) {
                            pid = Long.parseLong(l.substring("jvt-qemu-pid ".length()).trim());
                        } else {
                            append(log, (l + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        }
                    } else {
                        line.append((char) b);
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // the channel closed
            }
        }, "jvt-remote-stderr");
        pidReader.setDaemon(true);
        pidReader.start();
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = stdout.read(buf)) >= 0) {
                    append(log, java.util.Arrays.copyOf(buf, n));
                }
            } catch (IOException e) {
                // the channel closed
            }
            while (!channel.isClosed()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    break;
                }
            }
            int s = channel.getExitStatus();
            status = s < 0 ? LOST : s;
            bridges.forEach(RemoteProcess::closeQuietly);
            channel.disconnect();
            exit.complete(this);
        }, "jvt-remote-qemu");
        t.setDaemon(true);
        t.start();
    }

    private static synchronized void append(Path log, byte[] bytes) {
        try {
            Files.write(log, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the log is best effort; QEMU's exit still arrives
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            exit.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return status;
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("remote QEMU still running");
        }
        return status;
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exit;
    }

    /** The PID of QEMU on the remote host (-1 until the wrapper said it). */
    @Override
    public long pid() {
        return pid;
    }

    /** EOF on the wrapper's stdin: it kills QEMU with SIGKILL and exits with 137. */
    @Override
    public void destroy() {
        try {
            stdin.close();
        } catch (IOException e) {
            channel.disconnect();
        }
    }

    @Override
    public Process destroyForcibly() {
        destroy();
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return false;
    }

    @Override
    public String toString() {
        return "remote QEMU (pid " + pid + ")";
    }
}
