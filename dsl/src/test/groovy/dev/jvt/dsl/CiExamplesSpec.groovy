package dev.jvt.dsl

import dev.jvt.dsl.cli.Main
import org.yaml.snakeyaml.Yaml
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/** examples/ci: the GitLab and GitHub configurations are valid YAML, shard as documented, and every jvt command in them parses. */
class CiExamplesSpec extends Specification {
    static final Path CI = JvtCli.REPO.resolve('examples/ci')

    static Map yaml(String name) {
        new Yaml().load(Files.readString(CI.resolve(name))) as Map
    }

    /** Every string in the document that runs ./jvt. */
    static List<String> jvtCommands(Object node) {
        switch (node) {
            case Map: return node.values().collectMany { jvtCommands(it) }
            case List: return node.collectMany { jvtCommands(it) }
            case String: return node.contains('./jvt ') ? [node.substring(node.indexOf('./jvt '))] : []
            default: return []
        }
    }

    def "GitLab: parallel 4 with --shard env, per-shard JUnit files GitLab globs, a merge job that pushes the durations"() {
        given:
        Map y = yaml('gitlab-ci.yml')

        expect:
        y.scenarios.parallel == 4
        y.scenarios.script.any { it.startsWith('./jvt run --shard env ') }
        y.scenarios.artifacts.reports.junit == 'build/jvt/shard-*/junit-*-of-*.xml'
        y.scenarios.cache.policy == 'pull'
        y.report.needs == ['scenarios']
        y.report.cache.policy == 'pull-push'
        y.report.script.any { it.startsWith('./jvt report -o build/jvt/report build/jvt/shard-*') }
        y.variables.JVT_DURATIONS.contains('.jvt-cache/')
    }

    def "GitHub: a matrix of shards 1..4 passed as I/4, uniquely named artifacts, a merge job that saves the durations"() {
        given:
        Map y = yaml('github-actions.yml')
        Map shards = y.jobs.scenarios
        Map report = y.jobs.report

        expect:
        shards.strategy.matrix.shard == [1, 2, 3, 4]
        shards.steps*.run.findAll().any { it.contains('./jvt run --shard ${{ matrix.shard }}/4 ') }
        shards.steps.find { it.uses?.startsWith('actions/upload-artifact') }.with.name == 'jvt-shard-${{ matrix.shard }}'
        report.needs == 'scenarios'
        report.steps*.run.findAll().any { it.startsWith('./jvt report -o build/jvt/report ') }
        report.steps.any { it.uses?.startsWith('actions/cache/save') }
    }

    def "every jvt command line of #file parses with this jvt's options"() {
        expect:
        jvtCommands(yaml(file)).size() >= 2
        jvtCommands(yaml(file)).every { line ->
            String[] args = line.replace('${{ matrix.shard }}', '1').replace('$CI_NODE_INDEX', '1')
                    .split(/\s+/).drop(1) as String[]
            Main.commandLine(args).parseArgs(args)
            true
        }

        where:
        file << ['gitlab-ci.yml', 'github-actions.yml']
    }
}
