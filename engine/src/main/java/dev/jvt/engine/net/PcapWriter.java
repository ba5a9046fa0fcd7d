package dev.jvt.engine.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A classic libpcap file (magic a1b2c3d4, microsecond timestamps, link type 1 = Ethernet), as
 * tcpdump and Wireshark read it. Frames are collected in a direct buffer and written out by
 * {@link #flush()}; not thread-safe (the switch's thread owns it).
 */
final class PcapWriter implements AutoCloseable {
    static final int SNAPLEN = 262144;
    private static final int LINKTYPE_ETHERNET = 1;

    private final Path path;
    private final FileChannel file;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final long epochMicros0 = System.currentTimeMillis() * 1000;
    private final long nanos0 = System.nanoTime();

    PcapWriter(Path path) throws IOException {
        this.path = path;
        Files.createDirectories(path.toAbsolutePath().getParent());
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        buf.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
        flush();
    }

    Path path() {
        return path;
    }

    /** Appends one frame, {@code length} bytes of {@code src} from {@code offset}, seen at {@code nanoTime}. */
    void write(ByteBuffer src, int offset, int length, long nanoTime) throws IOException {
        if (buf.remaining() < 16 + length) {
            flush();
        }
        long micros = epochMicros0 + (nanoTime - nanos0) / 1000;
        buf.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(length).putInt(length);
        buf.put(buf.position(), src, offset, length);
        buf.position(buf.position() + length);
    }

    /** Writes what is buffered to the file, so readers see every frame captured so far. */
    void flush() throws IOException {
        if (buf.position() == 0) {
            return;
        }
        buf.flip();
        while (buf.hasRemaining()) {
            file.write(buf);
        }
        buf.clear();
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            file.close();
        }
    }
}
