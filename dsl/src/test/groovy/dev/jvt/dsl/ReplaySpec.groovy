package dev.jvt.dsl

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.security.MessageDigest

/**
 * Record/replay and deterministic mode on real QEMU: the hello scenario and a two-machine network
 * scenario are recorded, the bundle is copied to another folder and replayed there; a tampered
 * bundle and a transcript that does not match are reported; a non-interactive scenario repeated
 * three times under --deterministic gives identical transcripts.
 */
@Stepwise
class ReplaySpec extends Specification {
    @Shared Path out = JvtCli.tempDir('record')
    @Shared Path elsewhere = JvtCli.tempDir('bundle-copy')
    @Shared JvtCli.Result recorded

    def setupSpec() {
        recorded = JvtCli.run('run', '--record', '-j', '2', '--out', out.toString(),
                JvtCli.scenario('hello.groovy'), JvtCli.scenario('replay-network.groovy'))
    }

    static void copyTree(Path from, Path to) {
        Files.walk(from).withCloseable { s ->
            s.forEach { p ->
                def t = to.resolve(from.relativize(p).toString())
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t)
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING)
                }
            }
        }
    }

    static String sha256(Path f) {
        MessageDigest.getInstance('SHA-256').digest(Files.readAllBytes(f)).encodeHex().toString()
    }

    def "a recorded run passes and leaves a bundle that names no path of this host"() {
        given:
        def manifest = Files.readString(out.resolve('replay/manifest.json'))

        expect:
        recorded.code == 0
        recorded.out.contains('jvt: recorded; replay with: jvt replay')
        new JsonSlurper().parseText(manifest).segments*.machine as Set == ['hello', 'server', 'client'] as Set
        !manifest.contains(out.toString())
        !manifest.contains('/.cache/')
        !manifest.contains('/tmp/')
        manifest.contains('rr=record')
    }

    def "the bundle copied to another folder replays byte for byte"() {
        given:
        def bundle = elsewhere.resolve('bundle')
        copyTree(out.resolve('replay'), bundle)

        when:
        def r = JvtCli.run('replay', bundle.toString())

        then:
        r.code == 0
        r.out.contains('hello › hello (recording 1): REPRODUCED')
        r.out.contains('two machines recorded › server (recording 1): REPRODUCED')
        r.out.contains('two machines recorded › client (recording 1): REPRODUCED')
        r.out.contains('REPRODUCED: 3 recording(s) replayed byte for byte')
    }

    def "a truncated log is reported as a changed bundle, without replaying"() {
        given:
        def bundle = elsewhere.resolve('truncated')
        copyTree(out.resolve('replay'), bundle)
        def log = bundle.resolve('machines/hello/hello/replay-1.bin')
        def bytes = Files.readAllBytes(log)
        Files.write(log, Arrays.copyOf(bytes, bytes.length.intdiv(2)))

        when:
        def r = JvtCli.run('replay', bundle.toString())

        then:
        r.code == 2
        r.err.contains('machines/hello/hello/replay-1.bin was changed after recording')
    }

    def "a replay that differs from the recorded transcript reports where, with the text around it"() {
        given: 'a bundle whose recorded transcript says something the guest never printed'
        def bundle = elsewhere.resolve('diverging')
        copyTree(out.resolve('replay'), bundle)
        def manifestFile = bundle.resolve('manifest.json')
        def manifest = new JsonSlurper().parseText(Files.readString(manifestFile))
        manifest.segments = manifest.segments.findAll { it.machine == 'hello' }
        def tx = bundle.resolve(manifest.segments[0].transcript)
        def bytes = Files.readAllBytes(tx)
        System.arraycopy('TAMPERED'.bytes, 0, bytes, 100, 8)
        Files.write(tx, bytes)
        manifest.segments[0].sha256[manifest.segments[0].transcript] = sha256(tx)
        Files.writeString(manifestFile, JsonOutput.toJson(manifest))

        when:
        def r = JvtCli.run('replay', bundle.toString())

        then:
        r.code == 1
        r.out.contains('hello › hello (recording 1): DIVERGED at byte 100 (line ')
        r.out.contains('TAMPERED')
        r.out.contains('NOT REPRODUCED: 1 of 1 recording(s) diverged')
    }

    def "a non-interactive scenario repeated three times under --deterministic gives identical transcripts"() {
        when:
        def r = JvtCli.run('run', '--deterministic', '--repeat', '3', '--out', JvtCli.tempDir('deterministic').toString(),
                JvtCli.scenario('deterministic.groovy'))

        then:
        r.code == 0
        r.out.contains('jvt: deterministic: the console transcripts of all 3 runs are identical')
    }

    def "a missing bundle names the path"() {
        when:
        def r = JvtCli.run('replay', elsewhere.resolve('nothing-here').toString())

        then:
        r.code == 2
        r.err.contains('jvt replay: not found: ' + elsewhere.resolve('nothing-here'))
    }
}
