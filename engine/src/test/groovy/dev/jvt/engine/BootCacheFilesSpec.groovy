package dev.jvt.engine

import spock.lang.Specification
import spock.lang.TempDir

import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/** The boot cache's file handling without QEMU: the memory copy, the RAM arguments, the sweep. */
class BootCacheFilesSpec extends Specification {
    @TempDir
    Path dir

    def "the memory copy keeps the content and length, stores only non-zero pages, and its CRC is the file's"() {
        given: '8 MiB, mostly zeros, a few pages written, the last byte zero'
        Path from = dir.resolve('ram')
        FileChannel.open(from, StandardOpenOption.CREATE, StandardOpenOption.WRITE).withCloseable { ch ->
            ch.write(ByteBuffer.wrap([1, 2, 3] as byte[]), 4096 * 10)
            ch.write(ByteBuffer.wrap(new byte[4096].collect { 7 as byte } as byte[]), 4096 * 1000)
            ch.write(ByteBuffer.wrap([9] as byte[]), (1 << 20) * 3 + 5)
            ch.write(ByteBuffer.wrap([0] as byte[]), (8 << 20) - 1)
        }
        Path to = dir.resolve('copy')

        when:
        def c = BootCache.copyNonZero(from, to)

        then:
        Files.size(to) == 8 << 20
        Files.mismatch(from, to) == -1L
        c.stored() == 3 * 4096
        c.crc() == BootCache.crc32c(from)
        c.crc() == BootCache.crc32c(to)
    }

    def "boot, restore and other starts name the guest's memory alike"() {
        given:
        def entry = new BootCache.Entry('k', dir, 'c', 'r', 0, [:], 1.0, java.time.Instant.now())

        expect:
        BootCache.bootRamArgs(dir.resolve('m.ram'), 256) == ['-object', "memory-backend-file,id=jvt-ram,size=256M,mem-path=${dir.resolve('m.ram')},share=on".toString(), '-machine', 'memory-backend=jvt-ram']
        BootCache.restoreArgs(entry, 256).containsAll(['-machine', 'memory-backend=jvt-ram', '-incoming', 'defer'])
        BootCache.restoreArgs(entry, 256)[1].endsWith("mem-path=${dir.resolve('guest.ram')},share=off")
        BootCache.anonymousRamArgs(128) == ['-object', 'memory-backend-ram,id=jvt-ram,size=128M', '-machine', 'memory-backend=jvt-ram']
    }

    def "memory files of jvt processes that are gone are swept, those of live ones kept"() {
        given:
        def dead = new ProcessBuilder('true').start()
        dead.waitFor()
        Path gone = Files.createFile(dir.resolve("jvt-ram-${dead.pid()}-box-1.ram"))
        Path mine = Files.createFile(dir.resolve("jvt-ram-${ProcessHandle.current().pid()}-box-2.ram"))
        Path other = Files.createFile(dir.resolve('unrelated.ram'))

        when:
        BootCache.sweepRamFiles(dir)

        then:
        !Files.exists(gone)
        Files.exists(mine)
        Files.exists(other)
    }
}
