package dev.jvt.engine.replay;

import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text symbols of a guest's Linux kernel (System.map or {@code /proc/kallsyms} format), and a
 * "backtrace without gdb" built on them: the symbol of RIP, then every word of the kernel stack
 * that points into kernel text, as {@code ? func+0xoff/0xsize} like an oops prints them.
 *
 * <p>Addresses in the table are those of the boot the table was taken from; {@link #kaslrDelta}
 * finds how far the running guest's kernel is shifted from them (from the divide-error gate of its
 * IDT), and {@link #relocated} gives the table for that guest.
 */
public final class KernelSymbols {
    /** Reads guest virtual memory; throws when the range cannot be read. */
    @FunctionalInterface
    public interface MemoryReader {
        byte[] read(long address, int length);
    }

    /** A real table has tens of thousands of text symbols; a stub System.map has one line. */
    static final int MIN_SYMBOLS = 1000;
    /** KASLR moves the kernel in steps of CONFIG_PHYSICAL_ALIGN (2 MiB on x86_64). */
    static final long KASLR_ALIGN = 0x200000L;
    /** THREAD_SIZE on x86_64 (without KASAN): 16 KiB, the kernel stack is aligned to it. */
    static final long THREAD_SIZE = 0x4000L;
    /** At most this many stack words are listed under "Call Trace:". */
    static final int MAX_TRACE = 64;
    /** The stack is read in chunks of this many bytes (64 quadwords: one monitor command). */
    static final int STACK_CHUNK = 512;
    /** HMP {@code x /Ngx} is asked for at most this many quadwords at a time. */
    static final int MONITOR_QUADS = 64;

    private static final Pattern LINE = Pattern.compile("^([0-9a-fA-F]{1,16})\\s+([A-Za-z?])\\s+(\\S+)(\\s+\\[\\S+])?\\s*$");
    private static final Pattern MONITOR_LINE = Pattern.compile("^\\s*([0-9a-fA-F]+):((?:\\s+0x[0-9a-fA-F]+)+)\\s*$");
    private static final List<String> SECTION_MARKS = List.of("_text", "_stext", "_etext");
    private static final List<String> DIVIDE_ERROR = List.of("asm_exc_divide_error", "divide_error");

    private final String source;
    /** Sorted (unsigned) distinct addresses of text symbols, as in the table. */
    private final long[] addresses;
    /** The symbol shown for each address (of several aliases, the one Linux's kallsyms would pick). */
    private final String[] names;
    private final long stext;
    private final long etext;
    private final int count;
    /** Every text symbol (aliases too) and _text/_stext/_etext by name, at its table address. */
    private final Map<String, Long> byName;
    private final long delta;

    private KernelSymbols(String source, long[] addresses, String[] names, long stext, long etext, int count,
                          Map<String, Long> byName, long delta) {
        this.source = source;
        this.addresses = addresses;
        this.names = names;
        this.stext = stext;
        this.etext = etext;
        this.count = count;
        this.byName = byName;
        this.delta = delta;
    }

    // ---------------------------------------------------------------- reading a table

    /** Reads a System.map or kallsyms file; a stub map (Debian's, without the -dbg package) is a bad-input error naming it. */
    public static KernelSymbols load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw JvtException.badInput("cannot read the kernel symbol table " + file + ": " + e.getMessage());
        }
        return parse(lines, file.toString());
    }

    /** Parses System.map / kallsyms lines ({@code ffffffff81000000 T _text}); see {@link #load}. */
    public static KernelSymbols parse(List<String> lines) {
        return parse(lines, "the given symbol table");
    }

    private record Sym(long address, char type, String name, int order) {
    }

    private static KernelSymbols parse(List<String> lines, String source) {
        List<Sym> text = new ArrayList<>();
        Map<String, Long> byName = new java.util.HashMap<>(); // every text symbol by name, and _text/_stext/_etext
        int order = 0;
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (!m.matches() || m.group(4) != null) {
                continue; // not a symbol line, or a module's symbol (not needed: only the core kernel is symbolized)
            }
            long address = Long.parseUnsignedLong(m.group(1), 16);
            if (address == 0) {
                continue; // hidden by kptr_restrict, or an undefined weak symbol
            }
            char type = m.group(2).charAt(0);
            String name = m.group(3);
            if ("tTwW".indexOf(type) >= 0 || SECTION_MARKS.contains(name)) {
                text.add(new Sym(address, type, name, order++));
                byName.putIfAbsent(name, address);
            }
        }
        if (byName.containsKey("_etext")) {
            text.removeIf(x -> x.address() == byName.get("_etext")); // the end, not a function (an alias may start .init)
        }
        if (text.size() < MIN_SYMBOLS || !byName.containsKey("_stext")) {
            throw JvtException.badInput("the kernel symbol table " + source + " is not usable: it has " + text.size()
                    + " text symbols" + (byName.containsKey("_stext") ? "" : " and no _stext")
                    + " (a real one has tens of thousands; Debian's kernel package ships a stub System.map whose only line says the real one"
                    + " is in the -dbg package). Use /proc/kallsyms of a booted guest of the same kernel (KallsymsCapture.capture)");
        }
        long stext = byName.get("_stext");
        long etext = byName.getOrDefault("_etext", -1L); // without _etext: up to the end of the address space
        // of aliases, show what Linux's kallsyms would: a function before a section mark, global before
        // weak, fewer leading underscores first, then as listed
        text.sort(Comparator.comparing(Sym::address, Long::compareUnsigned)
                .thenComparingInt(s -> SECTION_MARKS.contains(s.name()) ? 1 : 0)
                .thenComparingInt(s -> "wW".indexOf(s.type()) >= 0 ? 1 : 0)
                .thenComparingInt(s -> leadingUnderscores(s.name()))
                .thenComparingInt(Sym::order));
        long[] addresses = new long[text.size()];
        String[] names = new String[text.size()];
        int n = 0;
        for (Sym s : text) {
            if (n > 0 && addresses[n - 1] == s.address()) {
                continue;
            }
            addresses[n] = s.address();
            names[n] = s.name();
            n++;
        }
        return new KernelSymbols(source, Arrays.copyOf(addresses, n), Arrays.copyOf(names, n), stext, etext, text.size(),
                Map.copyOf(byName), 0);
    }

    private static int leadingUnderscores(String name) {
        int i = 0;
        while (i < name.length() && name.charAt(i) == '_') {
            i++;
        }
        return i;
    }

    // ---------------------------------------------------------------- the cache next to the kernel

    /** Where the captured kallsyms of {@code kernel} are kept: {@code <its folder>/kallsyms-<its file name>}. */
    public static Path cached(Path kernel) {
        Path name = kernel.getFileName();
        return kernel.toAbsolutePath().resolveSibling("kallsyms-" + name);
    }

    /**
     * The symbols of {@code kernel}: the cached capture when there is one, else {@code capture}'s
     * answer (e.g. {@code KallsymsCapture::capture}, which boots a guest once and fills the cache).
     */
    public static KernelSymbols forKernel(Path kernel, Function<Path, KernelSymbols> capture) {
        Path file = cached(kernel);
        return Files.isRegularFile(file) ? load(file) : capture.apply(kernel);
    }

    // ---------------------------------------------------------------- lookups

    /** Text symbols read from the table (aliases included). */
    public int size() {
        return count;
    }

    /** The file (or description) the table came from. */
    public String source() {
        return source;
    }

    /** The shift of the running kernel from the table's addresses (0 unless {@link #relocated}). */
    public long delta() {
        return delta;
    }

    /** The same table for a kernel shifted by {@code delta} from the table's addresses. */
    public KernelSymbols relocated(long delta) {
        return new KernelSymbols(source, addresses, names, stext, etext, count, byName, delta);
    }

    /** Whether the table names a text symbol {@code name} (or _text/_stext/_etext). */
    public boolean contains(String name) {
        return address(name).isPresent();
    }

    /** The runtime address of {@code name} (table address plus {@link #delta}), if the table has it as a text symbol. */
    public Optional<Long> address(String name) {
        Long a = byName.get(name);
        return a == null ? Optional.empty() : Optional.of(a + delta);
    }

    /** Whether the runtime {@code address} lies in the kernel's text, [_stext, _etext). */
    public boolean isKernelText(long address) {
        long a = address - delta;
        return Long.compareUnsigned(a, stext) >= 0 && Long.compareUnsigned(a, etext) < 0;
    }

    /** {@code func+0x1a/0x80} for a runtime address in kernel text (size: up to the next symbol); empty elsewhere. */
    public Optional<String> symbolize(long address) {
        if (!isKernelText(address)) {
            return Optional.empty();
        }
        long a = address - delta;
        int i = floor(a);
        if (i < 0) {
            return Optional.empty();
        }
        long end = i + 1 < addresses.length ? addresses[i + 1] : etext;
        if (Long.compareUnsigned(end, etext) > 0) {
            end = etext;
        }
        return Optional.of(names[i] + "+0x" + Long.toHexString(a - addresses[i]) + "/0x" + Long.toHexString(end - addresses[i]));
    }

    /** The index of the last address &lt;= {@code a} (unsigned), or -1. */
    private int floor(long a) {
        int lo = 0;
        int hi = addresses.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(addresses[mid], a) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    // ---------------------------------------------------------------- KASLR

    /** The handler address of a 16-byte x86_64 IDT gate descriptor (offset bits 0-15 at bytes 0-1, 16-31 at 6-7, 32-63 at 8-11). */
    public static long gateOffset(byte[] gate) {
        if (gate == null || gate.length < 16) {
            throw JvtException.badInput("an x86_64 IDT gate descriptor has 16 bytes, not " + (gate == null ? 0 : gate.length));
        }
        long low = u8(gate, 0) | u8(gate, 1) << 8;
        long mid = u8(gate, 6) | u8(gate, 7) << 8;
        long high = u8(gate, 8) | u8(gate, 9) << 8 | u8(gate, 10) << 16 | u8(gate, 11) << 24;
        return low | mid << 16 | high << 32;
    }

    private static long u8(byte[] b, int i) {
        return b[i] & 0xffL;
    }

    /**
     * How far the running kernel is shifted from {@code syms}' addresses: the divide-error handler
     * of IDT entry 0 (as it runs) minus {@code asm_exc_divide_error} (older kernels:
     * {@code divide_error}) in the table. The table may come from another boot with its own KASLR
     * shift; the delta is relative to the table. Throws when the result is not a KASLR shift (a
     * multiple of 2 MiB): then the table is not of this kernel.
     */
    public static long kaslrDelta(byte[] idtEntry0, KernelSymbols syms) {
        long handler = gateOffset(idtEntry0);
        String name = DIVIDE_ERROR.stream().filter(syms.byName::containsKey).findFirst().orElseThrow(() -> JvtException.badInput(
                "the kernel symbol table " + syms.source + " has neither asm_exc_divide_error nor divide_error, so the KASLR shift cannot be found"));
        long table = syms.byName.get(name);
        long delta = handler - table;
        if (delta % KASLR_ALIGN != 0) {
            throw JvtException.badInput("the guest's divide-error handler (IDT entry 0) is at 0x" + Long.toHexString(handler) + " but " + name
                    + " is at 0x" + Long.toHexString(table) + " in " + syms.source + ": the difference 0x" + Long.toHexString(delta)
                    + " is not a multiple of 2 MiB, so the table is not of the kernel the guest runs");
        }
        return delta;
    }

    // ---------------------------------------------------------------- the backtrace

    /**
     * An oops-like trace of a paused guest: {@code RIP: <hex> <symbol>}, then {@code Call Trace:}
     * and a {@code ? func+0xoff/0xsize} line for each word from RSP to the end of its 16 KiB thread
     * stack that points into kernel text (at most {@value #MAX_TRACE}). The KASLR shift comes from
     * the IDT ({@code regs.IDT} is its base). What cannot be read is said in the text.
     *
     * @param regs {@code info registers} parsed (RIP, RSP, IDT)
     */
    public String backtrace(Map<String, BigInteger> regs, MemoryReader mem) {
        StringBuilder out = new StringBuilder();
        Long rip = register(regs, "RIP");
        Long rsp = register(regs, "RSP");
        if (rip == null) {
            return "RIP: (not in the registers)\n";
        }
        if (rip >= 0) { // top bit clear
            return "RIP: " + hex(rip) + " (user space)\n";
        }
        KernelSymbols syms;
        Long idt = register(regs, "IDT");
        try {
            if (idt == null) {
                throw JvtException.badInput("no IDT base in the registers");
            }
            byte[] gate;
            try {
                gate = mem.read(idt, 16);
            } catch (RuntimeException e) {
                throw JvtException.badInput("cannot read the IDT at " + hex(idt) + ": " + message(e));
            }
            syms = relocated(kaslrDelta(gate, this));
        } catch (JvtException e) {
            return "RIP: " + hex(rip) + " (no symbols: " + e.getMessage() + ")\n";
        }
        out.append("RIP: ").append(hex(rip)).append(' ').append(syms.symbolize(rip).orElse("(not kernel text)")).append('\n');
        if (rsp == null || rsp >= 0) {
            return out.append("RSP: ").append(rsp == null ? "(not in the registers)" : hex(rsp) + " (not a kernel stack)").append('\n').toString();
        }
        out.append("Call Trace:\n");
        long end = (rsp | (THREAD_SIZE - 1)) + 1;
        long at = rsp & ~7L;
        int shown = 0;
        while (Long.compareUnsigned(at, end) < 0 || end == 0) {
            int length = (int) Math.min(STACK_CHUNK, end - at);
            byte[] chunk;
            try {
                chunk = mem.read(at, length);
            } catch (RuntimeException e) {
                out.append("  (cannot read the stack at ").append(hex(at)).append(": ").append(message(e)).append(")\n");
                break;
            }
            for (int i = 0; i + 8 <= chunk.length; i += 8) {
                long word = java.nio.ByteBuffer.wrap(chunk, i, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                Optional<String> s = syms.symbolize(word);
                if (s.isPresent()) {
                    if (shown == MAX_TRACE) {
                        return out.append("  ... (more not shown, stopped at ").append(hex(at + i)).append(")\n").toString();
                    }
                    out.append("  ? ").append(s.get()).append('\n');
                    shown++;
                }
            }
            if (chunk.length < length) {
                out.append("  (short read at ").append(hex(at + chunk.length)).append(")\n");
                break;
            }
            at += length;
            if (at == 0) {
                break;
            }
        }
        return out.toString();
    }

    private static Long register(Map<String, BigInteger> regs, String name) {
        BigInteger v = regs.get(name);
        return v == null ? null : v.longValue();
    }

    private static String hex(long v) {
        return String.format("%016x", v);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Reads guest virtual memory through the monitor's {@code x /Ngx ADDR} (at most
     * {@value #MONITOR_QUADS} quadwords per command), whose lines look like
     * {@code ffffffff81e01000: 0x0000000000000000 0xffffffff81000000}. Lengths are rounded up to
     * whole quadwords and cut back; an answer without the asked addresses (e.g. "Cannot access
     * memory") is an error carrying the monitor's text.
     *
     * @param hmp runs one HMP command and returns its output (e.g. {@code machine::monitor})
     */
    public static MemoryReader viaMonitor(Function<String, String> hmp) {
        return (address, length) -> {
            if (length < 0) {
                throw new IllegalArgumentException("negative length " + length);
            }
            byte[] out = new byte[length];
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((length + 7) / 8 * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int quads = buf.capacity() / 8;
            int done = 0;
            while (done < quads) {
                int n = Math.min(MONITOR_QUADS, quads - done);
                long start = address + 8L * done;
                String reply = hmp.apply("x /" + n + "gx 0x" + Long.toHexString(start));
                long expect = start;
                int got = 0;
                for (String line : reply.split("\\R")) {
                    Matcher m = MONITOR_LINE.matcher(line);
                    if (!m.matches()) {
                        continue;
                    }
                    long lineAddress = Long.parseUnsignedLong(m.group(1), 16);
                    if (lineAddress != expect) {
                        throw JvtException.infrastructure("reading guest memory at 0x" + Long.toHexString(start) + ": the monitor answered for 0x"
                                + Long.toHexString(lineAddress) + " where 0x" + Long.toHexString(expect) + " was next: " + reply.strip());
                    }
                    for (String word : m.group(2).trim().split("\\s+")) {
                        if (got < n) {
                            buf.putLong(Long.parseUnsignedLong(word.substring(2), 16));
                            got++;
                            expect += 8;
                        }
                    }
                }
                if (got < n) {
                    throw JvtException.infrastructure("cannot read guest memory at 0x" + Long.toHexString(start + 8L * got)
                            + " (x /" + n + "gx gave " + got + " quadwords): " + reply.strip());
                }
                done += n;
            }
            System.arraycopy(buf.array(), 0, out, 0, length);
            return out;
        };
    }

    @Override
    public String toString() {
        return "kernel symbols of " + source + " (" + count + " text symbols" + (delta == 0 ? "" : ", shifted by 0x" + Long.toHexString(delta)) + ")";
    }
}
