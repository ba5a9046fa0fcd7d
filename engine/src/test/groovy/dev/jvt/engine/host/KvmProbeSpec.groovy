package dev.jvt.engine.host

import spock.lang.Specification

class KvmProbeSpec extends Specification {
    def "the probe's boot sector is one bootable sector that prints KVMOK"() {
        when:
        byte[] s = KvmProbe.bootSector()

        then:
        s.length == 512
        (s[510] & 0xff) == 0x55
        (s[511] & 0xff) == 0xAA
        new String(s, 'ISO-8859-1').contains('KVMOK')
    }
}
