package dev.jvt.engine.guest

import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream
import spock.lang.Specification

class InitramfsSpec extends Specification {

    private static byte[] bytesOf(Initramfs fs) {
        def out = new ByteArrayOutputStream()
        fs.writeTo(out)
        out.toByteArray()
    }

    def "the same content gives the same bytes, whatever the order of additions"() {
        given:
        def a = new Initramfs().file('etc/x', 'x', 0644).symlink('bin/sh', 'busybox').file('bin/busybox', 'BB', 0755)
        def b = new Initramfs().file('bin/busybox', 'BB', 0755).file('etc/x', 'x', 0644).symlink('bin/sh', 'busybox')

        expect:
        bytesOf(a) == bytesOf(b)
        a.sha256() == b.sha256()
    }

    def "a different file changes the hash"() {
        expect:
        new Initramfs().file('etc/x', 'x', 0644).sha256() != new Initramfs().file('etc/x', 'y', 0644).sha256()
    }

    def "the archive is newc cpio with parent folders, modes and symlinks"() {
        given:
        def fs = new Initramfs().file('etc/init.d/rcS', '#!/bin/sh\n', 0755).symlink('bin/sh', 'busybox')

        when:
        def entries = [:]
        new CpioArchiveInputStream(new ByteArrayInputStream(bytesOf(fs))).withCloseable { cpio ->
            def e
            while ((e = cpio.nextEntry) != null) {
                entries[e.name] = [mode: e.mode, data: new String(cpio.readAllBytes(), 'UTF-8'), time: e.time]
            }
        }

        then:
        entries.keySet() == ['bin', 'bin/sh', 'etc', 'etc/init.d', 'etc/init.d/rcS'] as Set
        (entries['etc/init.d/rcS'].mode & 07777) == 0755
        entries['bin/sh'].data == 'busybox'
        (entries['bin/sh'].mode & 0170000) == 0120000
        entries.values().every { it.time == 0 }
    }

    def "paths that escape the root are refused"() {
        when:
        new Initramfs().file('../etc/passwd', 'x', 0644)

        then:
        thrown(IllegalArgumentException)
    }

    def "module dependencies are read from modinfo"() {
        given:
        def ko = ('\u0000license=GPL\u0000depends=virtio,virtio_ring\u0000name=virtio_net\u0000').getBytes('ISO-8859-1')

        expect:
        KernelModules.depends(ko) == ['virtio', 'virtio_ring']
        KernelModules.depends('\u0000depends=\u0000'.getBytes('ISO-8859-1')) == []
    }
}
