package dev.jvt.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The serial console as a pair of FIFOs ({@code serial.in}, {@code serial.out}) for QEMU's
 * {@code pipe} chardev, used under --deterministic and --record. The UART writes one byte per
 * write(); on a UNIX socket each byte is a socket buffer of its own and the buffer fills after a
 * few hundred unread bytes, so QEMU's retries make guest timing depend on how fast the host reads
 * (transcripts then differ, and replays diverge). A FIFO holds 64 KiB whatever the write size.
 * Both ends are opened read-write, so opening never blocks.
 */
public final class SerialPipe implements java.io.Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(SerialPipe.class);
    private final FileChannel out;
    private final FileChannel in;

    private SerialPipe(FileChannel out, FileChannel in) {
        this.out = out;
        this.in = in;
    }

    /** Makes {@code dir/<name>.in} and {@code dir/<name>.out} and opens them. */
    public static SerialPipe create(Path dir, String name) throws IOException {
        Path pin = dir.resolve(name + ".in");
        Path pout = dir.resolve(name + ".out");
        Process p = new ProcessBuilder(List.of("mkfifo", "-m", "600", pin.toString(), pout.toString())).redirectErrorStream(true).start();
        try {
            String said = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("mkfifo failed: " + said.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new SerialPipe(new RandomAccessFile(pout.toFile(), "rw").getChannel(), new RandomAccessFile(pin.toFile(), "rw").getChannel());
    }

    /** What the guest writes. */
    public FileChannel output() {
        return out;
    }

    /** What the guest reads. */
    public FileChannel input() {
        return in;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            LOG.debug("closing a serial FIFO", e);
        }
        try {
            in.close();
        } catch (IOException e) {
            LOG.debug("closing a serial FIFO", e);
        }
    }
}
