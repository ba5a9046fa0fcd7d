package dev.jvt.dsl

import dev.jvt.dsl.bench.BadInputCorpus
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * Random scenario scripts from the real keywords with arguments drawn from good and bad values:
 * each goes through {@code jvt run --dry-run} (everything jvt run does before it boots) and must
 * either load cleanly or exit 2 with {@code file:LINE:} (a line of the file) and no stack trace.
 * The seed is in the test's name; {@code -Djvt.fuzz.seed=N} replays another, {@code -Djvt.fuzz.count=N}
 * changes how many scripts.
 */
class BadInputFuzzSpec extends Specification {
    static final long SEED = Long.getLong('jvt.fuzz.seed', 14_05L)
    static final int COUNT = Integer.getInteger('jvt.fuzz.count', 300)

    @Shared Path dir = JvtCli.tempDir('fuzz')

    def setupSpec() {
        System.setProperty('jvt.scriptCache', 'off')   // 300 one-off scripts would evict every stored one
    }

    def cleanupSpec() {
        System.clearProperty('jvt.scriptCache')
    }

    /** Values a user might write where an argument goes: good ones, wrong types, extremes, odd text. */
    static final List<String> VALUES = [
            "'256M'", "'1G'", "'16M'", "'0'", "'-1'", "''", "'   '", "null", "true", "false", "0", "-1", "1", "2", "64", "65",
            "99999999999", "2.5", "1e300", "Double.NaN", "Integer.MAX_VALUE", "Long.MIN_VALUE", "'x' * 5000", "'\\u0000'",
            "'ø€😀'", "'lan'", "'wan'", "'box'", "'other'", "'10.0.1.1/24'", "'10.0.1.0/24'", "'10.0.1.7/24'", "'300.1.1.1/99'",
            "'10.0.2.0/24'", "'dhcp'", "{ 'closure' }", "[1, 2]", "[:]", "['a', 'b']", "~/Kernel panic/", "new Object()",
            "'52:54:00:12:34:56'", "'01:00:5e:00:00:01'", "'zz'", "'virtio'", "'e1000'", "'kernel'", "'disk'", "'cdrom'",
            "'snapshot'", "'sequential'", "'agent'", "'ssh'", "'console'", "'x86_64'", "'riscv64'", "'tcg'", "'kvm'", "'q35'",
            "'/etc/hostname'", "'/'", "'.'", "'../'", "'no-such-file'", "Path.of('/')", "new File('/nonexistent')",
            "\"gstring-\${1 + 1}\"", "\"\${1 / 0}\"", "'root'", "22", "2222", "70000", "'bookworm'", "'nginx'", "'2G'", "0644", "'755'"]

    static final List<String> MACHINE_KEYWORDS = ['memory', 'cpus', 'arch', 'machineType', 'accel', 'bios', 'kernel', 'initrd',
            'append', 'disk', 'cdrom', 'boot', 'nic', 'nat', 'forward', 'balloon', 'bootTimeout', 'expectConsole', 'failOn',
            'qemuArgs', 'channel', 'login', 'image']
    static final List<String> OPTION_KEYS = ['ip', 'model', 'mac', 'subnet', 'host', 'guest', 'protocol', 'format', 'overlay', 'size',
            'user', 'password', 'text', 'from', 'mode', 'bogus']

    /** A good call of each keyword, so that the bad ones are often the only mistake of a script. */
    static final Map<String, List<String>> GOOD = [
            memory: ["memory '256M'", "memory '1G'"], cpus: ['cpus 2'], arch: ["arch 'x86_64'"], machineType: ["machineType 'q35'"],
            accel: ["accel 'tcg'"], bios: ["bios '/etc/hostname'"], kernel: ["kernel '/etc/hostname'"], initrd: ["initrd '/etc/hostname'"],
            append: ["append 'quiet'"], disk: ["disk size: '64M'"], cdrom: ["cdrom '/etc/hostname'"], boot: ["boot 'kernel'"],
            nic: ["nic 'lan'", "nic 'lan', ip: '10.0.1.9/24', model: 'e1000'"], nat: ['nat()'], forward: ['forward host: 0, guest: 80'],
            balloon: ['balloon()'], bootTimeout: ['bootTimeout 60'], expectConsole: ["expectConsole ~/ready/"], failOn: ["failOn 'Oops'"],
            qemuArgs: ["qemuArgs '-no-hpet'"], channel: ["channel 'agent'"], login: ["login user: 'root'"], image: ['image img'],
            isolation: ["isolation 'sequential'"], packages: ["packages 'curl'"], file: ["file '/etc/x', text: 'x'"], run: ["run 'true'"],
            size: ["size '2G'"], module: ["module 'e1000'"], init: ["init 'true'"]]

    Random random

    private <T> T pick(List<T> l) { l[random.nextInt(l.size())] }

    /** Sometimes a keyword is misspelt: a letter dropped, doubled or swapped. */
    private String keyword(String k) {
        if (random.nextInt(12) != 0 || k.length() < 3) {
            return k
        }
        int i = random.nextInt(k.length() - 1)
        switch (random.nextInt(3)) {
            case 0: return k.substring(0, i) + k.substring(i + 1)
            case 1: return k.substring(0, i) + k[i] + k.substring(i)
            default: return k.substring(0, i) + k[i + 1] + k[i] + k.substring(i + 2)
        }
    }

    private String args() {
        List<String> parts = []
        int named = random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0
        named.times { parts << "${pick(OPTION_KEYS)}: ${pick(VALUES)}".toString() }
        random.nextInt(3).times { parts << pick(VALUES) }
        parts.join(', ')
    }

    private String invocation(String k) {
        if (GOOD[k] && random.nextInt(3) != 0) {
            return pick(GOOD[k])
        }
        String a = args()
        a.isEmpty() ? "${keyword(k)}()" : "${keyword(k)} ${a}"
    }

    String script() {
        def b = new StringBuilder()
        if (random.nextInt(4) == 0) {
            b << "def img = debian(${pick(VALUES)}) {\n"
            random.nextInt(3).times { b << "    ${invocation(pick(['packages', 'file', 'run', 'size']))}\n" }
            b << "}\n"
        }
        int scenarios = 1 + (random.nextInt(6) == 0 ? 1 : 0)
        scenarios.times {
            b << "scenario(${random.nextInt(5) == 0 ? pick(VALUES) : "'s${random.nextInt(3)}'"}) {\n"
            (1 + random.nextInt(6)).times {
                switch (random.nextInt(8)) {
                    case 0:
                        b << "    ${keyword('network')} ${random.nextBoolean() ? "'lan'" : pick(VALUES)}${random.nextBoolean() ? ', ' + pick(OPTION_KEYS) + ': ' + pick(VALUES) : ''}\n"
                        break
                    case 1:
                    case 2:
                    case 3:
                        b << "    ${keyword('machine')}(${random.nextInt(4) == 0 ? pick(VALUES) : "'m${random.nextInt(3)}'"}) {\n"
                        random.nextInt(5).times { b << "        ${invocation(pick(MACHINE_KEYWORDS))}\n" }
                        if (random.nextInt(5) == 0) {
                            b << "        guest {\n            ${invocation(pick(['file', 'module', 'init']))}\n        }\n"
                        }
                        b << "    }\n"
                        break
                    case 4:
                        b << "    ${keyword('test')}(${random.nextInt(4) == 0 ? pick(VALUES) : "'t${random.nextInt(3)}'"}) {\n        m0.succeed 'true'\n    }\n"
                        break
                    case 5:
                        b << "    ${keyword(pick(['setup', 'teardown']))} {\n        m0.succeed 'true'\n    }\n"
                        break
                    case 6:
                        b << "    ${invocation('isolation')}\n"
                        break
                    default:
                        b << "    ${invocation(pick(MACHINE_KEYWORDS + ['network', 'machine', 'test', 'setup']))}\n"
                }
            }
            b << "}\n"
        }
        b.toString()
    }

    def "#count random scenarios (seed #seed, -Djvt.fuzz.seed to replay) load cleanly or exit 2 with file:LINE: and no stack trace"() {
        given:
        random = new Random(seed)
        List<String> wrong = []
        int clean = 0
        int reported = 0

        when:
        COUNT.times { i ->
            String text = script()
            Path f = dir.resolve(String.format('fuzz-%03d.groovy', i))
            Files.writeString(f, text)
            def r = JvtCli.run('run', '--dry-run', f.toString())
            Files.writeString(dir.resolve(String.format('fuzz-%03d.err', i)), r.err)   // what jvt said, next to the script
            int lines = text.readLines().size()
            def m = r.err =~ /^\Q${f}\E:(\d+): \S/
            String trace = BadInputCorpus.stackTrace(r.err + '\n' + r.out)
            if (r.code == 0 && r.err.isBlank() && trace == null) {
                clean++
            } else if (r.code == 2 && m.find() && (m.group(1) as int) in 1..lines && trace == null) {
                reported++
            } else {
                wrong << "script $i (seed $seed): exit ${r.code}${trace ? ', stack trace: ' + trace : ''}\n${r.err.take(600)}\n--- $f ---\n$text"
            }
        }
        println "fuzz: seed $seed, $COUNT scripts: $clean loaded cleanly, $reported reported with file:LINE:, ${wrong.size()} wrong"

        then:
        assert wrong.isEmpty() : wrong.take(5).join('\n\n')

        where:
        seed << [SEED]
        count = COUNT
    }
}
