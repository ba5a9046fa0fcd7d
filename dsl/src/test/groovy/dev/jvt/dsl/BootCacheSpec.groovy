package dev.jvt.dsl

import dev.jvt.engine.BootCache
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * Boot reuse across runs, on real QEMU: a boot is stored once and restored by the next run with
 * the same key; a change to what decides the boot misses; a damaged entry is found and rebooted;
 * recording and deterministic runs always boot. The boot cache is a private folder here.
 */
@Stepwise
class BootCacheSpec extends Specification {
    @Shared Path dir = JvtCli.tempDir('bootcache')
    @Shared Path cache = dir.resolve('cache')
    @Shared int runs

    static final String RESTORED = '[jvt: restored from boot cache entry '

    def setupSpec() {
        System.setProperty('jvt.boot.cache', cache.toString())
    }

    def cleanupSpec() {
        System.clearProperty('jvt.boot.cache')
    }

    /** A scenario of one machine {@code box} (its declaration's body given) whose test checks the guest's clock when it has a channel. */
    Path script(String name, String machineBody, boolean channel = true) {
        Path f = dir.resolve(name + '.groovy')
        f.text = """
            scenario('$name') {
                machine('box') {
                    memory '256M'
                    $machineBody
                }
                test('the guest is up and its clock is the host\\'s') {
                    ${channel ? '''
                    long guest = box.succeed('date +%s').trim() as long
                    long host = System.currentTimeMillis().intdiv(1000)
                    assert Math.abs(guest - host) <= 2
                    // what a run writes into the guest's memory (its /tmp is RAM) never reaches the stored boot
                    assert box.succeed('cat /tmp/written-by-a-run 2>/dev/null || echo absent').trim() == 'absent'
                    box.succeed('echo yes > /tmp/written-by-a-run')
                    ''' : '''
                    assert box.console.contains('jvt: guest ready')
                    '''}
                }
            }
        """.stripIndent()
        f
    }

    /** Runs {@code script}; returns the result and the machine's console transcript. */
    Map run(Path script, String... extra) {
        Path out = dir.resolve("run-${++runs}")
        def r = JvtCli.run((['run', script.toString(), '--out', out.toString()] + extra.toList()) as String[])
        def console = Files.walk(out).filter { it.fileName.toString() == 'console.log' }.findFirst().map { it.text }.orElse('')
        [result: r, console: console]
    }

    List<Path> entries() {
        BootCache.entries()
    }

    def "the first run boots and stores the boot; the next one restores it, says so in the transcript, and sets the guest's clock; the guest's writes stay its own"() {
        given:
        def s = script('reuse', '')

        when:
        def first = run(s)

        then:
        first.result.code == 0
        !first.console.contains(RESTORED)
        first.result.out.contains('box: store the boot in the boot cache')
        entries().size() == 1

        when: 'the stored boot is older than the clock check tolerates'
        Thread.sleep(5000)
        def second = run(s)

        then: 'the guest was restored, not booted, and still has the whole boot in its transcript'
        second.result.code == 0
        second.console.contains(RESTORED)
        second.result.out.contains('box: restored from boot cache')
        !second.result.out.contains('box: waiting for boot')
        second.console.contains('jvt: guest ready')
        second.console.indexOf('jvt: guest ready') < second.console.indexOf(RESTORED)
        entries().size() == 1

        when: 'a third run restores the same entry'
        def third = run(s)

        then: 'the second run wrote into its memory, yet the entry is as stored (the test checks /tmp is clean)'
        third.result.code == 0
        third.console.contains(RESTORED)
        BootCache.verify(BootCache.lookup(entries()[0].fileName.toString()).get()) == null

        when:
        def noReuse = run(s, '--no-reuse')

        then:
        noReuse.result.code == 0
        !noReuse.console.contains(RESTORED)
        noReuse.result.out.contains('box: waiting for boot')

        when:
        def list = JvtCli.run('cache')

        then:
        list.code == 0
        list.out.contains('1 boot(s)')
        list.out.contains(entries()[0].fileName.toString())
    }

    def "a changed append, a NIC, or a kernel whose content changed (same path) misses; --deterministic and --record always boot"() {
        when:
        def append = run(script('reuse', "append 'jvt.variant=1'"))

        then:
        append.result.code == 0
        !append.console.contains(RESTORED)
        entries().size() == 2

        when:
        def nic = run(script('reuse', 'nat()'))

        then:
        nic.result.code == 0
        !nic.console.contains(RESTORED)

        when: 'a kernel of its own, stored, then one byte appended to that very file'
        Path kit = dir.resolve('run-1')
        def cmdline = Files.walk(kit).filter { it.fileName.toString() == 'qemu-cmdline.txt' }.findFirst().get().text.split(' ') as List
        Path kernel = dir.resolve('vmlinuz')
        Files.copy(Path.of(cmdline[cmdline.indexOf('-kernel') + 1]), kernel)
        def own = script('own-kernel', """
                kernel '$kernel'
                initrd '${cmdline[cmdline.indexOf('-initrd') + 1]}'
                append 'console=ttyS0 panic=-1'
                expectConsole 'jvt: guest ready'
            """, false)
        def stored = run(own)
        def hit = run(own)
        Files.write(kernel, new byte[1], StandardOpenOption.APPEND)
        def changed = run(own)

        then:
        [stored, hit, changed]*.result*.code == [0, 0, 0]
        !stored.console.contains(RESTORED)
        hit.console.contains(RESTORED)
        !changed.console.contains(RESTORED)

        when:
        // (no clock check: a deterministic guest's clock is fixed at 2020)
        def deterministic = run(script('reuse', '', false), '--deterministic')
        def recorded = run(script('reuse', '', false), '--record')

        then:
        deterministic.result.code == 0
        recorded.result.code == 0
        !deterministic.console.contains(RESTORED)
        !recorded.console.contains(RESTORED)
    }

    def "a damaged entry is found, deleted and booted, not trusted; the next run restores the new one"() {
        given: 'the entry of the plain scenario, one byte of its stored memory flipped'
        def s = script('reuse', '')
        def key = run(s).console.find(/restored from boot cache entry (\w+)/) { all, k -> k }
        Path ram = cache.resolve(key).resolve('guest.ram')
        new RandomAccessFile(ram.toFile(), 'rw').withCloseable { f ->
            long at = f.length().intdiv(3)
            f.seek(at)
            int b = f.read()
            f.seek(at)
            f.write(b ^ 0x5a)
        }

        when:
        def damaged = run(s)

        then:
        damaged.result.code == 0
        damaged.console.contains("[jvt: boot cache entry $key is corrupt (its memory file")
        !damaged.console.contains(RESTORED)

        when:
        def after = run(s)

        then:
        after.result.code == 0
        after.console.contains(RESTORED + key)
    }

    def "the bound deletes the least recently used entries; jvt cache prune deletes them all"() {
        given:
        def all = entries()
        long newest = BootCache.size(all[0])

        when:
        int gone = BootCache.prune(newest)

        then:
        gone == all.size() - 1
        entries() == [all[0]]

        when:
        def r = JvtCli.run('cache', 'prune')

        then:
        r.code == 0
        r.out.contains('1 boot(s) deleted, 0 kept')
        entries().isEmpty()
    }
}
