package dev.jvt.dsl

import dev.jvt.dsl.runtime.Durations
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant

/**
 * Shards on real guests: `--shard I/N` splits two scenario files by their recorded durations,
 * each shard records what it took, an empty shard still reports, and `jvt report` merges the
 * shards into one HTML report, one JUnit file and one durations file.
 */
@Stepwise
class ShardsSpec extends Specification {
    @Shared Path work = JvtCli.tempDir('shards')
    @Shared Path durations = work.resolve('jvt-durations.json')
    @Shared String hello = JvtCli.scenario('hello.groovy')
    @Shared String snapshots = JvtCli.scenario('snapshots.groovy')

    def setupSpec() {
        // hello weighs more than snapshots: with two shards each file has one, hello in the first
        def d = new Durations()
        d.add(Durations.key(Path.of(hello)), new Durations.Sample(30, Instant.parse('2026-01-01T00:00:00Z')))
        d.add(Durations.key(Path.of(snapshots)), new Durations.Sample(20, Instant.parse('2026-01-01T00:00:00Z')))
        d.write(durations)
    }

    def "--list prints the plan from the durations file and marks the shard; it boots nothing"() {
        when:
        def r = JvtCli.run('run', '--list', '--shard', '2/2', '--durations', durations.toString(), hello, snapshots)

        then:
        r.code == 0
        r.out.startsWith("jvt: 2 file(s) in 2 shard(s); weights from $durations: 2 measured; slowest shard / mean 1.20")
        r.out.contains('shard 1/2      30.0 s  1 file(s)\n')
        r.out.contains('shard 2/2      20.0 s  1 file(s)   <- this shard\n')
        r.out.readLines().find { it.contains('hello.groovy') }.endsWith('30.0 s')
        !r.out.contains('passed')
    }

    def "each shard runs its own files, writes junit-I-of-N.xml and adds its durations to its copy of the file"() {
        given: 'as in CI, each shard job starts from its own copy of the same durations (a restored cache)'
        Path d1 = Files.copy(durations, work.resolve('d1.json'))
        Path d2 = Files.copy(durations, work.resolve('d2.json'))

        when:
        def r1 = JvtCli.run('run', '--shard', '1/2', '--durations', d1.toString(), '--out', work.resolve('r1').toString(), hello, snapshots)
        def r2 = JvtCli.run('run', '--shard', '2/2', '--durations', d2.toString(), '--out', work.resolve('r2').toString(), hello, snapshots)

        then:
        r1.code == 0
        r2.code == 0
        JvtCli.junitCases([work.resolve('r1')]).keySet().every { it.startsWith('hello › ') }
        JvtCli.junitCases([work.resolve('r1')]).size() == 5
        // both scenarios of snapshots.groovy: a file is the unit of a split
        JvtCli.junitCases([work.resolve('r2')]).keySet()*.replaceAll(/ › .*/, '').unique() == ['snapshots and the monitor', 'sequential isolation']
        Files.readString(work.resolve('r1/junit-1-of-2.xml')) == Files.readString(work.resolve('r1/junit.xml'))
        Files.isRegularFile(work.resolve('r2/junit-2-of-2.xml'))

        and: 'each copy holds a second sample of what its shard ran, the run folder the same'
        String h = Durations.key(Path.of(hello))
        String s = Durations.key(Path.of(snapshots))
        Durations.read(d1).samples()[h].size() == 2
        Durations.read(d1).samples()[s].size() == 1
        Durations.read(d2).samples()[h].size() == 1
        Durations.read(d2).samples()[s].size() == 2
        Durations.read(d1).samples()[h][1].seconds() > 0.5
        Durations.read(work.resolve('r1/jvt-durations.json')).samples() == Durations.read(d1).samples()
        Durations.read(work.resolve('r2/jvt-durations.json')).samples() == Durations.read(d2).samples()
    }

    def "a shard with no file runs nothing and still reports 0 passed, 0 failed (exit 0)"() {
        when:
        def r = JvtCli.run('run', '--shard', '3/3', '--durations', durations.toString(), '--out', work.resolve('r3').toString(), hello, snapshots)

        then:
        r.code == 0
        r.out.contains('jvt: 0 passed, 0 failed')
        Files.isRegularFile(work.resolve('r3/junit-3-of-3.xml'))
    }

    def "jvt report merges the shards: one HTML report, one JUnit file with every suite, the durations of both"() {
        given:
        Path merged = work.resolve('merged')
        Path mergedDurations = work.resolve('ci-cache/jvt-durations.json')

        when:
        def r = JvtCli.run('report', '-o', merged.toString(), '--durations', mergedDurations.toString(),
                work.resolve('r1').toString(), work.resolve('r2').toString(), work.resolve('r3').toString())

        then:
        r.code == 0
        r.err.contains("${work.resolve('r3')} ran no test (an empty shard?)")
        // a single-file report carries its data as base64 in d('data/…', '…') calls
        String data = (Files.readString(merged.resolve('index.html')) =~ /d\('([^']+)','([^']*)'\)/)
                .collect { new String(it[2].decodeBase64(), 'UTF-8') }.join('\n')
        data.contains('the guest runs Linux') && data.contains('the next test no longer sees it, but sees what setup left')
        def cases = JvtCli.junitCases([merged])
        cases.size() == JvtCli.junitCases([work.resolve('r1')]).size() + JvtCli.junitCases([work.resolve('r2')]).size()
        cases.keySet().any { it.startsWith('hello › ') } && cases.keySet().any { it.startsWith('snapshots and the monitor › ') }
        new groovy.xml.XmlSlurper().parse(merged.resolve('junit.xml').toFile()).testsuite*.@id*.text() == ['0', '1', '2']
        Files.isRegularFile(JvtCli.junitSchema()) == false || {
            javax.xml.validation.SchemaFactory.newInstance(javax.xml.XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(JvtCli.junitSchema().toFile())
                    .newValidator().validate(new javax.xml.transform.stream.StreamSource(merged.resolve('junit.xml').toFile()))
            true
        }()
        def all = Durations.read(merged.resolve('jvt-durations.json')).samples()
        all[Durations.key(Path.of(hello))].size() == 2       // the seed sample once, each shard's run once
        all[Durations.key(Path.of(snapshots))].size() == 2
        Durations.read(mergedDurations).samples() == all
    }
}
