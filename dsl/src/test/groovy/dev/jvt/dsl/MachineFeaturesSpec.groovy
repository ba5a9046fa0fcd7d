package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * Snapshots, rewind per test, the monitor, removable media, disks and live migration, on real
 * QEMU through the example scenarios (each asserts inside the guest; here we check the verdicts).
 */
class MachineFeaturesSpec extends Specification {
    @Shared Path out = JvtCli.tempDir('features')
    @Shared JvtCli.Result result

    def setupSpec() {
        result = JvtCli.run('run', '-j', '2', '--out', out.toString(),
                JvtCli.scenario('snapshots.groovy'), JvtCli.scenario('media.groovy'),
                JvtCli.scenario('disks.groovy'), JvtCli.scenario('migration.groovy'))
    }

    def "every scenario passes"() {
        expect:
        result.code == 0
        result.out =~ /jvt: 16 passed, 0 failed/
    }

    def "each test after the first starts with a rewind to the snapshot taken after setup"() {
        expect:
        result.out.contains("box: snapshot 'jvt-setup'")
        result.out.contains("✔ the next test no longer sees it, but sees what setup left")
        result.out.contains("box: rewind to 'jvt-setup'")
    }

    def "a machine that crashed in one test is back at the setup state in the next"() {
        expect:
        result.out.contains('✔ a crashed machine comes back for the next test')
        result.out.contains('✔ after the crash, the machine is back at the setup state')
        Files.readString(out.resolve('snapshots-and-the-monitor/box/qemu-cmdline.txt')).contains('-loadvm jvt-setup')
    }

    def "sequential isolation keeps state between tests"() {
        expect:
        result.out.contains('✔ second test still sees it')
    }

    def "the guest reads a changed medium"() {
        expect:
        result.out.contains('✔ the guest reads the CD, then the medium is changed and it reads the new one')
        result.out.contains('✔ eject leaves the drive empty')
    }

    def "overlaid images stay untouched, overlay false writes through, scratch disks work"() {
        expect:
        result.out.contains('✔ writing the overlaid disk leaves the image untouched')
        result.out.contains('✔ overlay false writes through to the image')
        result.out.contains('✔ a scratch disk takes a file system')
    }

    def "the guest survives live migration to a new QEMU process"() {
        given:
        def cmdlines = Files.readString(out.resolve('live-migration/box/qemu-cmdline.txt')).readLines()

        expect:
        result.out.contains('✔ a counter started before the move keeps counting after it')
        cmdlines.size() == 2
        cmdlines[1].contains('-incoming unix:')
    }

    def "a screenshot is kept in the run directory"() {
        given:
        def png = out.resolve('snapshots-and-the-monitor/box/screenshot-display.png')

        expect:
        Files.size(png) > 100
        Files.readAllBytes(png)[1..3] == 'PNG'.bytes as List
    }
}
