package dev.jvt.dsl

import dev.jvt.dsl.cli.RunCommand
import dev.jvt.dsl.runtime.Durations
import dev.jvt.dsl.runtime.ShardPlan
import dev.jvt.engine.JvtException
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant

/** The shard split and the durations file, without QEMU: the logic `--shard` and `jvt bench shards` rest on. */
class ShardPlanSpec extends Specification {
    @TempDir
    Path dir

    static Durations durations(Map<String, List<Double>> m) {
        def d = new Durations()
        long t = 1_700_000_000L
        m.each { k, l -> l.each { d.add(k, new Durations.Sample(it, Instant.ofEpochSecond(t++))) } }
        d
    }

    def "longest first to the least loaded shard: a file weighs the median of its runs"() {
        given:
        def d = durations(['a.groovy': [100d, 10d, 12d], 'b.groovy': [60d], 'c.groovy': [50d], 'd.groovy': [40d], 'e.groovy': [30d], 'f.groovy': [20d]])

        when:
        def plan = ShardPlan.balanced(ShardPlan.weigh(['f.groovy', 'e.groovy', 'd.groovy', 'c.groovy', 'b.groovy', 'a.groovy'], d), 2)

        then: 'a weighs 12 (median of 100, 10, 12): b 60 | c 50, d 40 | e 30 | f 20 (tie at 90: shard 1) | a 12; every file once'
        plan.shard(1).entries()*.key() == ['b.groovy', 'e.groovy', 'f.groovy']
        plan.shard(2).entries()*.key() == ['a.groovy', 'c.groovy', 'd.groovy']
        plan.shard(1).weight() == 110d
        plan.shard(2).weight() == 102d
        plan.shards()*.entries().flatten()*.key().sort() == ['a.groovy', 'b.groovy', 'c.groovy', 'd.groovy', 'e.groovy', 'f.groovy']
    }

    def "the same inputs give the same plan, whatever order the files come in; ties go by path and to the lowest shard"() {
        given:
        def d = durations(['x/1.groovy': [5d], 'x/2.groovy': [5d], 'x/3.groovy': [5d], 'x/4.groovy': [5d]])
        def keys = ['x/1.groovy', 'x/2.groovy', 'x/3.groovy', 'x/4.groovy']

        expect:
        (0..<20).collect { ShardPlan.balanced(ShardPlan.weigh(keys.shuffled(new Random(it)), d), 3).shards()*.entries()*.key }.unique() ==
                [[['x/1.groovy', 'x/4.groovy'], ['x/2.groovy'], ['x/3.groovy']]]
    }

    def "a file without a record weighs the mean of the others; with no record at all every file weighs 1"() {
        expect:
        ShardPlan.weigh(['a', 'b', 'new'], durations([a: [10d], b: [30d]])).collect { [it.key(), it.weight(), it.measured()] } ==
                [['a', 10d, true], ['b', 30d, true], ['new', 20d, false]]
        ShardPlan.weigh(['a', 'b'], new Durations())*.weight() == [1d, 1d]
    }

    def "more shards than files: the extra shards are empty, and the plan says so"() {
        when:
        def plan = ShardPlan.balanced(ShardPlan.weigh(['a', 'b'], new Durations()), 4)

        then:
        plan.shards()*.entries()*.size() == [1, 1, 0, 0]
        plan.describe('none', 3).contains('shard 3/4       0.0    0 file(s)   <- this shard')
    }

    def "balance: durations beat round robin on a suite with one long scenario per shard"() {
        given:
        def d = durations(['a': [90d], 'b': [10d], 'c': [85d], 'd': [10d], 'e': [8d], 'f': [7d]])
        def e = ShardPlan.weigh(d.samples().keySet() as List, d)

        expect:
        ShardPlan.roundRobin(e, 2).imbalance() > 1.4
        ShardPlan.balanced(e, 2).imbalance() < 1.05
    }

    def "the durations file keeps five runs per file, merges shards' copies without counting a run twice, and survives a round trip"() {
        given:
        def base = durations([a: [1d, 2d, 3d, 4d, 5d, 6d]])
        def shard1 = new Durations().merge(base)
        def shard2 = new Durations().merge(base)
        shard1.add('a', new Durations.Sample(7d, Instant.parse('2030-01-01T00:00:00Z')))
        shard2.add('b', new Durations.Sample(8d, Instant.parse('2030-01-01T00:00:01Z')))

        when:
        def merged = new Durations().merge(shard1).merge(shard2)
        merged.write(dir.resolve('d.json'))
        def back = Durations.read(dir.resolve('d.json'))

        then:
        base.samples().a*.seconds() == [2d, 3d, 4d, 5d, 6d]
        back.samples().a*.seconds() == [3d, 4d, 5d, 6d, 7d]
        back.samples().b*.seconds() == [8d]
        back.median('a') == 5d
    }

    def "update adds to what is there; a broken durations file names itself when read"() {
        given:
        Path f = dir.resolve('sub/jvt-durations.json')

        when:
        Durations.update(f, durations([a: [3d]]))
        Durations.update(f, durations([b: [4d]]))

        then:
        Durations.read(f).samples().keySet() == ['a', 'b'] as Set

        when:
        Files.writeString(f, '{"scenarios": {"a": [{"seconds": "slow"}]}}')
        Durations.read(f)

        then:
        JvtException e = thrown()
        e.message == "durations file $f: a sample of 'a' lacks \"seconds\" (a number >= 0) or \"at\" (a time)"

        when:
        Files.writeString(f, '[1, 2')
        Durations.read(f)

        then:
        JvtException e2 = thrown()
        e2.message.startsWith("durations file $f: not JSON")
    }

    def "--shard env: GitLab counts from 1, Bazel and Kubernetes from 0; what is missing is named"() {
        expect:
        RunCommand.fromEnvironment([CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3'], null) == [2, 3] as int[]
        RunCommand.fromEnvironment([TEST_SHARD_INDEX: '0', TEST_TOTAL_SHARDS: '4'], null) == [1, 4] as int[]
        RunCommand.fromEnvironment([JOB_COMPLETION_INDEX: '3'], 4) == [4, 4] as int[]
        RunCommand.fromEnvironment([JOB_COMPLETION_INDEX: '0', JVT_SHARD_TOTAL: '2'], null) == [1, 2] as int[]

        when:
        RunCommand.fromEnvironment(env, total)

        then:
        JvtException e = thrown()
        e.message == message

        where:
        env                                      | total || message
        [:]                                      | null  || 'jvt run: --shard env: none of CI_NODE_INDEX/CI_NODE_TOTAL (GitLab parallel), TEST_SHARD_INDEX/TEST_TOTAL_SHARDS or JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set'
        [JOB_COMPLETION_INDEX: '1']              | null  || 'jvt run: --shard env: JOB_COMPLETION_INDEX=1 is set but not how many shards: add --shard-total N (the Job\'s completions) or set JVT_SHARD_TOTAL'
        [CI_NODE_INDEX: '4', CI_NODE_TOTAL: '3'] | null  || 'jvt run: --shard env: CI_NODE_INDEX=4 is outside 1..3 shards (CI_NODE_TOTAL=3; CI_NODE_INDEX counts from 1)'
        [CI_NODE_INDEX: '0', CI_NODE_TOTAL: '3'] | null  || 'jvt run: --shard env: CI_NODE_INDEX=0 is outside 1..3 shards (CI_NODE_TOTAL=3; CI_NODE_INDEX counts from 1)'
        [JOB_COMPLETION_INDEX: '2']              | 2     || 'jvt run: --shard env: JOB_COMPLETION_INDEX=2 is outside 1..2 shards (--shard-total=2; JOB_COMPLETION_INDEX counts from 0)'
        [CI_NODE_TOTAL: '3']                     | null  || 'jvt run: --shard env: CI_NODE_INDEX is not set, CI_NODE_TOTAL is'
        [CI_NODE_INDEX: 'x', CI_NODE_TOTAL: '3'] | null  || 'jvt run: --shard env: CI_NODE_INDEX=x and CI_NODE_TOTAL=3 must be whole numbers'
    }
}
