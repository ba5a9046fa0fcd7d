package dev.jvt.spock

import dev.jvt.dsl.JvtCli
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Path

/** A @Jvt spec boots a Debian image jvt builds: debian(...) in a machine block, systemd verbs, rewind per feature. */
class JvtDebianSpec extends Specification {
    @Shared Path runs = JvtCli.tempDir('spock-debian')
    @Shared def result

    def setupSpec() {
        // the recipe of scenarios/debian-nginx.groovy: the image is in the cache by now
        result = JvtCli.runSpec(runs, '''
            import dev.jvt.engine.Machine
            import dev.jvt.spock.Jvt
            import spock.lang.*

            @Jvt
            class NginxSpec extends Specification {
                @Shared Machine web = machine('web') {
                    image debian('bookworm') {
                        packages 'nginx', 'curl'
                        file '/var/www/html/index.html', text: 'hello from nginx\\n', mode: 0644
                        run 'systemctl enable nginx'
                    }
                    memory '512M'
                }

                def setupSpec() {
                    web.waitForUnit 'nginx.service'
                }

                def "nginx serves the page"() {
                    expect: web.succeed('curl -s http://localhost/') == 'hello from nginx\\n'
                }

                def "a feature stops nginx"() {
                    when: web.systemctl('stop nginx')
                    then: web.systemctl('is-active nginx').trim() == 'inactive'
                }

                def "the next feature has it running again"() {
                    expect: web.systemctl('is-active nginx').trim() == 'active'
                }
            }
        ''')
    }

    def "every feature passes on the Debian guest, the second undone by the rewind"() {
        expect:
        result.failures.collect { it.exception.message } == []
        result.testsSucceededCount == 3
    }
}
