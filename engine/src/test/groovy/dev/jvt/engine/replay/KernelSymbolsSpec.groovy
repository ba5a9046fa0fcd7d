package dev.jvt.engine.replay

import dev.jvt.engine.JvtException
import dev.jvt.engine.MachineConfig
import dev.jvt.engine.RunOptions
import dev.jvt.engine.Testbed
import dev.jvt.engine.events.Events
import dev.jvt.engine.events.ScenarioRun
import dev.jvt.engine.host.Host
import dev.jvt.engine.host.Prerequisites
import spock.lang.Requires
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path

/** Kernel symbols from System.map / kallsyms, the KASLR shift from the IDT, and the oops-like backtrace of a paused guest. */
class KernelSymbolsSpec extends Specification {
    static final long TEXT = 0xffffffff81000000L
    static final long MiB2 = 0x200000L
    /** Where the synthetic table puts the divide-error handler. */
    static final long DIVIDE = TEXT + 0x1000000L
    static final long ETEXT = TEXT + 0x2000000L

    @TempDir Path dir

    /** A kallsyms-like table: _text/_stext/startup_64 at TEXT, f0..f1199 every 0x100 bytes from TEXT+0x1000, the divide-error entry, data, modules, zeros. */
    static List<String> table() {
        def lines = []
        lines << String.format('%016x A fixed_percpu_data', 0L)
        lines << String.format('%016x T _text', TEXT)
        lines << String.format('%016x T _stext', TEXT)
        lines << String.format('%016x T startup_64', TEXT)
        1200.times { i -> lines << String.format('%016x t f%d', TEXT + 0x1000 + 0x100L * i, i) }
        lines << String.format('%016x W weak_alias', TEXT + 0x1000 + 0x100L * 7)
        lines << String.format('%016x T asm_exc_divide_error', DIVIDE)
        lines << String.format('%016x T after_divide', DIVIDE + 0x20)
        lines << String.format('%016x T _etext', ETEXT)
        lines << String.format('%016x T _sinittext', ETEXT)
        lines << String.format('%016x D some_data', ETEXT + 0x100000)
        lines << String.format('%016x t virtio_probe\t[virtio_blk]', 0xffffffffc0001000L)
        lines << '0000000000000000 T hidden_by_kptr_restrict'
        lines
    }

    static KernelSymbols syms() {
        KernelSymbols.parse(table())
    }

    /** The 16-byte interrupt gate for handler {@code offset}, as the kernel builds it (selector 0x10, type 0x8e). */
    static byte[] gate(long offset) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
        b.putShort((short) (offset & 0xffff))
        b.putShort((short) 0x10)
        b.put((byte) 0)
        b.put((byte) 0x8e)
        b.putShort((short) ((offset >>> 16) & 0xffff))
        b.putInt((int) (offset >>> 32))
        b.putInt(0)
        b.array()
    }

    /** Guest memory as a sparse map of 8-byte words; reading a word not in it fails. */
    static KernelSymbols.MemoryReader memory(Map<Long, Long> words, Map<Long, byte[]> blobs = [:]) {
        { long address, int length ->
            if (blobs.containsKey(address)) {
                return blobs[address]
            }
            ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN)
            for (long a = address; a < address + length; a += 8) {
                if (!words.containsKey(a)) {
                    throw new IllegalStateException(String.format('Cannot access memory at %016x', a))
                }
                b.putLong(words[a])
            }
            b.array()
        } as KernelSymbols.MemoryReader
    }

    def "a kallsyms table keeps the core kernel's text symbols, without data, modules or hidden addresses"() {
        when:
        def s = syms()

        then:
        s.size() == 1200 + 6 // f0..f1199, weak_alias, asm_exc_divide_error, after_divide, _text, _stext, startup_64
        s.contains('do_not_exist') == false
        s.contains('f42')
        s.contains('asm_exc_divide_error')
        !s.contains('some_data')
        !s.contains('virtio_probe')
        !s.contains('hidden_by_kptr_restrict')
        s.address('f1').get() == TEXT + 0x1100
    }

    def "an address in kernel text is func+offset/size, the size reaching the next symbol"() {
        given:
        def s = syms()

        expect:
        s.symbolize(TEXT + 0x1000 + 0x100 * 5 + 0x1a).get() == 'f5+0x1a/0x100'
        s.symbolize(TEXT + 0x1000).get() == 'f0+0x0/0x100'
        s.symbolize(DIVIDE + 0x8).get() == 'asm_exc_divide_error+0x8/0x20'
        s.symbolize(ETEXT - 1).get() == 'after_divide+' + '0x' + Long.toHexString(ETEXT - 1 - DIVIDE - 0x20) + '/0x' + Long.toHexString(ETEXT - DIVIDE - 0x20)

        and: 'of aliases, a function is named rather than a section mark, a global rather than a weak symbol'
        s.symbolize(TEXT + 0x10).get() == 'startup_64+0x10/0x1000'
        s.symbolize(TEXT + 0x1000 + 0x100 * 7).get() == 'f7+0x0/0x100'

        and: 'outside [_stext, _etext): nothing'
        !s.symbolize(TEXT - 1).present
        !s.symbolize(ETEXT).present
        !s.symbolize(ETEXT + 0x100000).present
        !s.symbolize(0xffffffffc0001000L).present
        !s.symbolize(0x401000L).present
    }

    def "Debian's stub System.map is refused, naming the file and why"() {
        given:
        Path map = dir.resolve('System.map-6.1.0-50-amd64')
        Files.writeString(map, 'ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n')

        when:
        KernelSymbols.load(map)

        then:
        JvtException e = thrown()
        e.kind() == JvtException.Kind.BAD_INPUT
        e.message.contains(map.toString())
        e.message.contains('0 text symbols and no _stext')
        e.message.contains('stub System.map')
        e.message.contains('/proc/kallsyms')
    }

    def "a table without _stext, or with few symbols, is refused too"() {
        when:
        KernelSymbols.parse(table().findAll { !it.endsWith(' _stext') })

        then:
        JvtException e = thrown()
        e.message.contains('and no _stext')

        when:
        KernelSymbols.parse(table().take(500))

        then:
        e = thrown()
        e.message =~ /has \d+ text symbols \(a real one/
    }

    def "an IDT gate's handler offset is put together from bytes 0-1, 6-7 and 8-11"() {
        expect:
        KernelSymbols.gateOffset(gate(0xffffffff81a00b30L)) == 0xffffffff81a00b30L
        KernelSymbols.gateOffset([0x30, 0x0b, 0x10, 0, 0, 0x8e, 0xa0, 0x81, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0] as byte[]) == 0xffffffff81a00b30L
    }

    def "the KASLR delta is the divide-error handler's runtime address minus its table address, in 2 MiB steps"() {
        given:
        def s = syms()

        expect:
        KernelSymbols.kaslrDelta(gate(DIVIDE + shift), s) == shift

        where:
        shift << [0L, 0x1e00000L, -0x400000L, 0x3a000000L]
    }

    def "a delta that is not a multiple of 2 MiB means the table is not of this kernel"() {
        when:
        KernelSymbols.kaslrDelta(gate(DIVIDE + 0x1000), syms())

        then:
        JvtException e = thrown()
        e.message.contains('not a multiple of 2 MiB')
        e.message.contains('asm_exc_divide_error')
    }

    def "older kernels name the handler divide_error"() {
        given:
        def old = KernelSymbols.parse(table().collect { it.replace('asm_exc_divide_error', 'divide_error') })

        expect:
        KernelSymbols.kaslrDelta(gate(DIVIDE + 4 * MiB2), old) == 4 * MiB2
    }

    def "relocated, the table answers for the shifted kernel"() {
        given:
        def s = syms().relocated(6 * MiB2)

        expect:
        s.delta() == 6 * MiB2
        s.symbolize(TEXT + 6 * MiB2 + 0x1000 + 0x10).get() == 'f0+0x10/0x100'
        !s.symbolize(TEXT + 0x10).present // below the shifted _stext
        s.address('f0').get() == TEXT + 6 * MiB2 + 0x1000
    }

    def "the backtrace names RIP and every stack word in kernel text, up to the end of the 16 KiB stack"() {
        given: 'a kernel shifted by 0x1400000, its IDT at fffffe0000000000, a stack 0x40 bytes below its top'
        long shift = 0x1400000
        long idt = 0xfffffe0000000000L
        long top = 0xffffc90000014000L
        long rsp = top - 0x40
        def words = [:]
        words[rsp] = 0x0L
        words[rsp + 8] = TEXT + shift + 0x1000 + 0x100 * 3 + 0x44  // f3+0x44
        words[rsp + 16] = 0xffff888003a1c000L                      // a heap pointer: not text
        words[rsp + 24] = TEXT + 0x1000 + 0x100 * 3 + 0x44          // unshifted: not text of this boot (below _stext)
        words[rsp + 32] = DIVIDE + shift + 0x1f                      // asm_exc_divide_error+0x1f
        words[rsp + 40] = TEXT + shift + 0x1000 + 0x100 * 1198 + 2  // f1198+0x2
        words[rsp + 48] = 0x401000L
        words[rsp + 56] = ETEXT + shift                              // _etext: not text
        def regs = [RIP: BigInteger.valueOf(TEXT + shift + 0x1000 + 0x100 * 42 + 0x3), RSP: BigInteger.valueOf(rsp),
                    IDT: new BigInteger('fffffe0000000000', 16)]

        when:
        String bt = syms().backtrace(regs, memory(words, [(idt): gate(DIVIDE + shift)]))

        then:
        bt == String.format('RIP: %016x f42+0x3/0x100\n', TEXT + shift + 0x1000 + 0x100 * 42 + 0x3) +
                'Call Trace:\n' +
                '  ? f3+0x44/0x100\n' +
                '  ? asm_exc_divide_error+0x1f/0x20\n' +
                '  ? f1198+0x2/0x100\n'
    }

    def "a RIP in user space is said so and no stack is read"() {
        given:
        def regs = [RIP: BigInteger.valueOf(0x401000L), RSP: BigInteger.valueOf(0x7ffc12345678L), IDT: new BigInteger('fffffe0000000000', 16)]
        def mem = { long a, int n -> throw new AssertionError('no memory may be read') } as KernelSymbols.MemoryReader

        expect:
        syms().backtrace(regs, mem) == 'RIP: 0000000000401000 (user space)\n'
    }

    def "what cannot be read is said in the trace: the IDT, or the stack from some word on"() {
        given:
        long idt = 0xfffffe0000000000L
        long rsp = 0xffffc90000013000L
        def regs = [RIP: new BigInteger('ffffffffc0001234', 16), RSP: new BigInteger(Long.toUnsignedString(rsp, 16), 16),
                    IDT: new BigInteger('fffffe0000000000', 16)]

        when: 'the IDT is unreadable'
        String noIdt = syms().backtrace(regs, memory([:]))

        then:
        noIdt == 'RIP: ffffffffc0001234 (no symbols: cannot read the IDT at fffffe0000000000: Cannot access memory at fffffe0000000000)\n'

        when: 'the stack is readable for one chunk only; RIP is a module (not kernel text)'
        def words = [:]
        (0..<64).each { words[rsp + 8L * it] = it == 1 ? TEXT + 0x1000 + 0x10 : 0L }
        String bt = syms().backtrace(regs, memory(words, [(idt): gate(DIVIDE)]))

        then:
        bt == 'RIP: ffffffffc0001234 (not kernel text)\n' +
                'Call Trace:\n' +
                '  ? f0+0x10/0x100\n' +
                '  (cannot read the stack at ffffc90000013200: Cannot access memory at ffffc90000013200)\n'
    }

    def "the trace stops after 64 entries"() {
        given:
        long rsp = 0xffffc90000010000L
        def words = [:]
        (0..<2048).each { words[rsp + 8L * it] = TEXT + 0x1000 + 0x100L * (it % 1200) }
        def regs = [RIP: BigInteger.valueOf(TEXT + 0x1000), RSP: BigInteger.valueOf(rsp), IDT: new BigInteger('fffffe0000000000', 16)]

        when:
        def lines = syms().backtrace(regs, memory(words, [(0xfffffe0000000000L): gate(DIVIDE)])).readLines()

        then:
        lines.size() == 1 + 1 + 64 + 1
        lines.count { it.startsWith('  ? ') } == 64
        lines.last() == '  ... (more not shown, stopped at ffffc90000010200)'
    }

    def "guest memory through the monitor's x /Ngx: at most 64 quadwords a command, little endian, cut to the length"() {
        given: 'a monitor that answers x /Ngx from a pattern (each quadword is its own address), two per line'
        def commands = []
        def hmp = { String cmd ->
            commands << cmd
            def m = cmd =~ /^x \/(\d+)gx 0x([0-9a-f]+)$/
            assert m.matches()
            int n = m.group(1) as int
            long a = Long.parseUnsignedLong(m.group(2), 16)
            def sb = new StringBuilder()
            for (int i = 0; i < n; i += 2) {
                sb << String.format('%016x:', a + 8L * i)
                for (int j = i; j < Math.min(n, i + 2); j++) {
                    sb << String.format(' 0x%016x', a + 8L * j)
                }
                sb << '\r\n'
            }
            sb.toString()
        }
        def mem = KernelSymbols.viaMonitor(hmp)
        long base = 0xffffffff81e01000L

        when:
        byte[] b = mem.read(base, 1001)

        then:
        commands == ['x /64gx 0xffffffff81e01000', 'x /62gx 0xffffffff81e01200']
        b.length == 1001
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0) == base
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(992) == base + 992
        b[1000] == (byte) ((base + 1000) & 0xff)
    }

    def "an address the monitor cannot read is an error with its answer"() {
        given:
        def mem = KernelSymbols.viaMonitor { String cmd -> 'ffffffff81e01000: 0x0000000000000001 0x0000000000000002\r\nCannot access memory\r\n' }

        when:
        mem.read(0xffffffff81e01000L, 32)

        then:
        JvtException e = thrown()
        e.message.contains('cannot read guest memory at 0xffffffff81e01010')
        e.message.contains('Cannot access memory')
    }

    def "the captured table is cached next to the kernel, and forKernel captures only when it is missing"() {
        given:
        Path kernel = Files.createDirectories(dir.resolve('boot')).resolve('vmlinuz-6.1.0-50-amd64')
        Files.writeString(kernel, 'kernel')
        def captures = []
        def capture = { Path k ->
            captures << k
            Files.write(KernelSymbols.cached(k), table())
            KernelSymbols.load(KernelSymbols.cached(k))
        }

        expect:
        KernelSymbols.cached(kernel) == dir.resolve('boot/kallsyms-vmlinuz-6.1.0-50-amd64')

        when:
        def first = KernelSymbols.forKernel(kernel, capture)
        def second = KernelSymbols.forKernel(kernel, capture)

        then:
        captures == [kernel]
        first.size() == second.size()
        second.source() == KernelSymbols.cached(kernel).toString()
    }

    @Requires(value = { Host.which('qemu-system-x86_64') != null }, reason = 'QEMU (qemu-system-x86_64) is not installed on this host')
    def "the built-in guest's kallsyms are captured once, and a paused real guest gets a backtrace that names a kernel function"() {
        given:
        Path kernel = Prerequisites.guestKit().kernel()

        when: 'captured (a boot, the first time), then found in the cache'
        def syms = KallsymsCapture.capture(kernel)
        long t0 = System.nanoTime()
        def again = KallsymsCapture.capture(kernel)
        long cachedMillis = (System.nanoTime() - t0).intdiv(1_000_000)

        then:
        syms.size() > 10000
        syms.contains('do_idle')
        syms.contains('asm_exc_divide_error')
        Files.isRegularFile(KernelSymbols.cached(kernel))
        again.size() == syms.size()
        cachedMillis < 5000

        when: 'a built-in guest boots and is paused while it idles in the kernel'
        def bed = new Testbed(dir.resolve('bed'), new Events(new ScenarioRun('kallsyms', null, dir.resolve('bed')), []), RunOptions.DEFAULT)
        def m = bed.machine(new MachineConfig('idle'))
        m.launch()
        m.waitBooted()
        Thread.sleep(500)
        Map<String, BigInteger> regs = null
        for (int i = 0; i < 10; i++) {
            m.pause()
            regs = m.registers()
            if (regs.RIP.testBit(63)) {
                break
            }
            m.resume() // caught in user space (the agent): try again
            Thread.sleep(200)
        }
        def mem = KernelSymbols.viaMonitor { String cmd -> m.monitor(cmd) }
        long delta = KernelSymbols.kaslrDelta(mem.read(regs.IDT.longValue(), 16), syms)
        String bt = syms.backtrace(regs, mem)
        println "KASLR delta against the captured table: 0x${Long.toHexString(delta)} (${m.accelerator()})"
        println "registers: RIP=${regs.RIP.toString(16)} RSP=${regs.RSP.toString(16)} IDT=${regs.IDT.toString(16)}"
        println bt

        then:
        delta % 0x200000L == 0
        bt.readLines().first() =~ /^RIP: ffffffff[0-9a-f]{8} [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+$/
        bt.readLines()[1] == 'Call Trace:'
        bt.readLines().drop(2).every { it.startsWith('  ? ') || it.startsWith('  ...') }

        cleanup:
        bed?.close()
    }
}
