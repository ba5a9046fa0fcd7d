package dev.jvt.dsl

import spock.lang.Requires
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * jvt as a normal user: a scenario runs end to end, and `doctor` tells what is missing and why.
 * The suite runs as root (CI); these tests make a user (`jvt-unpriv`) and run jvt as that user from
 * a copy of the built jar and its libraries (root's Maven repository and the checkout may be
 * closed to other users), with a jvt cache of its own.
 */
@Requires({ System.getProperty('user.name') == 'root' && new File('/usr/sbin/runuser').canExecute() })
class UnprivilegedSpec extends Specification {
    static final String USER = 'jvt-unpriv'

    @Shared Path home
    @Shared String classpath

    def setupSpec() {
        if (['id', '-u', USER].execute().waitFor() != 0) {
            assert sh('useradd', '--create-home', '--shell', '/bin/sh', USER).code == 0
        }
        home = Files.createTempDirectory(Path.of('/tmp'), 'jvt-unpriv-')
        // the classes and libraries this suite runs on, copied where the user can read them
        def lib = Files.createDirectories(home.resolve('lib'))
        System.getProperty('java.class.path').split(File.pathSeparator).each { e ->
            def p = Path.of(e)
            if (Files.isRegularFile(p) && p.toString().endsWith('.jar') && !p.toString().contains('/test-classes')) {
                Files.copy(p, lib.resolve(p.fileName.toString()))
            } else if (Files.isDirectory(p) && p.toString().endsWith('/classes') && !p.toString().contains('test-classes')) {
                sh('cp', '-a', p.toString(), lib.resolve(p.parent.parent.fileName.toString() + '-classes').toString())
            }
        }
        classpath = Files.list(lib).withCloseable { s -> s.map { it.toString() }.sorted().toList() }.join(':')
        Files.copy(JvtCli.REPO.resolve('scenarios/hello.groovy'), home.resolve('hello.groovy'))
        assert sh('chown', '-R', "$USER:$USER", home.toString()).code == 0
        assert sh('chmod', '0755', home.toString()).code == 0
    }

    def cleanupSpec() {
        if (home != null) {
            sh('rm', '-rf', home.toString())
        }
    }

    static Map sh(Object... cmd) {
        def p = new ProcessBuilder(cmd.collect { it.toString() }).redirectErrorStream(true).start()
        def out = p.inputStream.text
        [code: p.waitFor(), out: out]
    }

    /** jvt as the user, with {@code env} (and no network when {@code offline}). */
    Map asUser(Map<String, String> env, boolean offline = false, String... args) {
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def cmd = []
        if (offline) {
            cmd += ['unshare', '--net']
        }
        cmd += ['/usr/sbin/runuser', '-u', USER, '--', 'env', "HOME=${home}", 'JVT_SCRIPT_CACHE=off']
        env.each { k, v -> cmd << "$k=$v" }
        cmd += [java, '-cp', classpath, 'dev.jvt.dsl.cli.Main'] + (args as List)
        def pb = new ProcessBuilder(cmd.collect { it.toString() }).directory(home.toFile()).redirectErrorStream(true)
        def p = pb.start()
        def out = p.inputStream.text
        [code: p.waitFor(), out: out]
    }

    def "doctor as a normal user, offline and without a kernel, exits 3 and says what is missing and how to fix it"() {
        given: 'an empty jvt cache of the user own and no network (so the kernel package cannot be downloaded)'
        def cache = Files.createDirectories(home.resolve('empty-cache'))
        sh('chown', "$USER:$USER", cache.toString())

        when:
        def r = asUser([JVT_CACHE: cache.toString()], true, 'doctor', '--no-install')

        then:
        r.code == 3
        r.out.contains("$USER (not root): everything but installing packages works")
        r.out.contains('fix:')
        r.out =~ /(?s)no Linux kernel for the built-in guest|apt-get download .* failed/
        !r.out.contains('\tat ')
    }

    def "a scenario runs end to end as a normal user"() {
        given: "the user's own cache, with the guest kernel the suite uses (jvt would download it as this user, which needs the network)"
        def cache = Files.createDirectories(home.resolve('cache'))
        def kit = dev.jvt.engine.guest.GuestKit.locate(false)
        def kernel = home.resolve('vmlinuz')
        Files.copy(kit.kernel(), kernel)
        def modules = home.resolve('modules').resolve(kit.modules().fileName.toString())
        Files.createDirectories(modules.parent)
        assert sh('cp', '-a', kit.modules().toString(), modules.toString()).code == 0
        assert sh('chown', '-R', "$USER:$USER", cache.toString(), kernel.toString(), home.resolve('modules').toString()).code == 0

        when:
        def r = asUser([JVT_CACHE: cache.toString(), JVT_KERNEL: kernel.toString(), JVT_MODULES: modules.toString()], false,
                'run', '--out', home.resolve('run').toString(), home.resolve('hello.groovy').toString())

        then:
        r.code == 0
        r.out.contains('exit code 0')
        Files.getOwner(home.resolve('run/junit.xml')).name == USER
        Files.readString(home.resolve('run/hello/hello/console.log')).contains('Linux version')
    }
}
