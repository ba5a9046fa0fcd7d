package dev.jvt.engine

import spock.lang.Specification

import java.time.Duration
import java.util.regex.Pattern

class ConsoleSpec extends Specification {
    def console = new Console('box')

    private void feed(String s) {
        def b = s.getBytes('UTF-8')
        console.feed(b, 0, b.length)
    }

    def "a wait returns the whole line the pattern is on"() {
        given:
        feed('first line\r\nthe answer is 42 here\r\n')

        expect:
        console.waitFor(~/answer is \d+/, Duration.ofSeconds(1), 'answer') == 'the answer is 42 here'
    }

    def "each wait only sees output after the previous match"() {
        given:
        feed('ping 1\nping 2\n')

        expect:
        console.waitFor(~/ping \d/, Duration.ofSeconds(1), 'ping') == 'ping 1'
        console.waitFor(~/ping \d/, Duration.ofSeconds(1), 'ping') == 'ping 2'
    }

    def "caret and dollar anchor to a line, and control sequences do not get in the way"() {
        given:
        feed('box:~# echo hi\r\nhi\r\nbox:~# \u001b[6n')

        expect:
        console.waitFor(~/^hi$/, Duration.ofSeconds(1), 'hi') == 'hi'
        console.waitFor(~/^box:~# $/, Duration.ofSeconds(1), 'prompt') == 'box:~# '
    }

    def "a wait sees output that arrives later, even an unfinished line"() {
        when:
        Thread.start { sleep 200; feed('login: ') }
        def line = console.waitFor(Pattern.compile('login:'), Duration.ofSeconds(5), 'login prompt')

        then:
        line == 'login: '
    }

    def "a timeout names what was awaited, for how long, and the last console lines"() {
        given:
        feed('booting\nalmost there\n')

        when:
        console.waitFor(~/never/, Duration.ofMillis(300), 'the word never')

        then:
        def e = thrown(JvtException)
        e.kind() == JvtException.Kind.TEST_FAILURE
        e.message.startsWith('box: timed out after 300 ms waiting for the word never')
        e.message.contains('box # almost there')
    }

    def "an abort wakes a waiting call with its cause"() {
        given:
        def cause = new GuestFailureException('box', 'panic', 'Kernel panic', '')

        when:
        Thread.start { sleep 200; console.abort(cause) }
        console.waitFor(~/never/, Duration.ofSeconds(10), 'never')

        then:
        def e = thrown(GuestFailureException)
        e.is(cause)
    }

    def "the transcript keeps the exact bytes, the text drops carriage returns"() {
        when:
        feed('a\r\nb\u00e9\r\n')

        then:
        new String(console.bytes(), 'UTF-8') == 'a\r\nb\u00e9\r\n'
        console.text() == 'a\nb\u00e9\n'
    }

    def "line listeners get whole lines without control sequences"() {
        given:
        def lines = []
        console.onLine { lines << it }

        when:
        feed('par')
        feed('tial\r\n\u001b[1mbold\u001b[0m\n')

        then:
        lines == ['partial', 'bold']
    }

    def "a line cut by a rewind reaches the listeners, and later output starts a new line"() {
        given:
        def lines = []
        console.onLine { lines << it }
        feed('echo typed\r\ntyped')

        when:
        console.endLine()
        console.endLine()
        feed('prompt# ls\r\n')

        then:
        lines == ['echo typed', 'typed', 'prompt# ls']
        console.text() == 'echo typed\ntypedprompt# ls\n'
    }

    def "a guest that writes more than the limit floods: waits fail at once, the rest is dropped, a restart clears it"() {
        given: 'a 1 MiB limit'
        def small = new Console('box', 1L << 20)
        def floods = []
        def bytes = new ByteArrayOutputStream()
        small.onFlood { floods << it }
        small.onBytes { bytes.write(it) }
        def chunk = ('x' * 1023 + '\n').getBytes('UTF-8')

        when: 'it writes 2 MiB'
        2048.times { small.feed(chunk, 0, chunk.length) }
        small.waitFor(Pattern.compile('never'), Duration.ofSeconds(30), "'never'")

        then: 'the wait fails at once, naming the flood'
        JvtException e = thrown()
        e.kind() == JvtException.Kind.TEST_FAILURE
        e.message.contains('box: the guest flooded its console: more than 1 MiB')
        e.message.contains("(while waiting for 'never')")
        floods.size() == 1
        small.flooded()
        small.byteCount() < (1L << 20) + 2048
        small.dropped() > 1000 * 1024
        new String(bytes.toByteArray(), 'UTF-8').contains('[jvt: box flooded its console (over 1 MiB): the rest of its output is dropped]')

        when: 'the machine starts anew'
        small.clearAbort()
        small.feed('ready\n'.getBytes('UTF-8'), 0, 6)

        then:
        !small.flooded()
        small.waitFor(Pattern.compile('ready'), Duration.ofSeconds(1), 'ready') == 'ready'
    }

    def "a line without newline is cut every 64 KiB, so waits stay linear"() {
        given:
        def lines = []
        console.onLine { lines << it }

        when:
        def b = ('y' * (3 * Console.MAX_LINE + 10)).getBytes('UTF-8')
        console.feed(b, 0, b.length)
        feed('\nend\n')

        then:
        lines.size() == 5
        lines[0..2].every { it.length() == Console.MAX_LINE }
        lines[3] == 'y' * 10
        console.byteCount() == b.length + 5
        console.waitFor(Pattern.compile('^end$'), Duration.ofSeconds(1), 'end') == 'end'
    }
}
