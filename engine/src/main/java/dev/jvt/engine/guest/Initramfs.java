package dev.jvt.engine.guest;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * An initramfs (cpio "newc") assembled in memory. Entries are written sorted by path with fixed
 * owners, times and inode numbers, so the same content always gives the same bytes.
 */
public final class Initramfs {
    private record Entry(long type, int mode, byte[] data) {
    }

    private final Map<String, Entry> entries = new TreeMap<>();

    public Initramfs dir(String path) {
        path = norm(path);
        String parent = parentOf(path);
        if (parent != null && !entries.containsKey(parent)) {
            dir(parent);
        }
        entries.putIfAbsent(path, new Entry(CpioConstants.C_ISDIR, 0755, new byte[0]));
        return this;
    }

    public Initramfs file(String path, byte[] data, int mode) {
        path = norm(path);
        String parent = parentOf(path);
        if (parent != null) {
            dir(parent);
        }
        entries.put(path, new Entry(CpioConstants.C_ISREG, mode, data));
        return this;
    }

    public Initramfs file(String path, String text, int mode) {
        return file(path, text.getBytes(StandardCharsets.UTF_8), mode);
    }

    public Initramfs symlink(String path, String target) {
        path = norm(path);
        String parent = parentOf(path);
        if (parent != null) {
            dir(parent);
        }
        entries.put(path, new Entry(CpioConstants.C_ISLNK, 0777, target.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    public boolean contains(String path) {
        return entries.containsKey(norm(path));
    }

    private static String norm(String path) {
        String p = path.replaceAll("/+", "/");
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty() || p.contains("..")) {
            throw new IllegalArgumentException("bad path in the guest: '" + path + "'");
        }
        return p;
    }

    private static String parentOf(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? null : p.substring(0, i);
    }

    /** A digest of every entry (path, kind, mode, content): the cache key of the image. */
    public String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update((e.getValue().type + ":" + e.getValue().mode + ":" + e.getValue().data.length).getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.getValue().data);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the archive (uncompressed: the kernel unpacks it fastest). */
    public void writeTo(OutputStream out) throws IOException {
        CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW,
                CpioConstants.BLOCK_SIZE, StandardCharsets.UTF_8.name());
        long inode = 1;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry v = e.getValue();
            CpioArchiveEntry ce = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, e.getKey(), v.data.length);
            ce.setMode(v.type | v.mode);
            ce.setInode(inode++);
            ce.setUID(0);
            ce.setGID(0);
            ce.setNumberOfLinks(v.type == CpioConstants.C_ISDIR ? 2 : 1);
            ce.setTime(0);
            ce.setDeviceMaj(0);
            ce.setDeviceMin(0);
            cpio.putArchiveEntry(ce);
            cpio.write(v.data);
            cpio.closeArchiveEntry();
        }
        cpio.finish();
        out.flush();
    }
}
