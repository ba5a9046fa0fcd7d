package dev.jvt.dsl

import dev.jvt.dsl.repl.ReplayHandle
import spock.lang.Specification

/** Console text printed by the replay REPL and --when: a shell's escape sequences are shown, not sent to the terminal. */
class VisibleConsoleSpec extends Specification {
    def "control characters but newline and tab are shown as ^X"() {
        expect:
        ReplayHandle.visible(text) == shown

        where:
        text                               || shown
        'box:~# \u001b[6nbeta: first test' || 'box:~# ^[[6nbeta: first test'
        'a\tb\nc'                          || 'a\tb\nc'
        'bell\u0007 del\u007f cr\r'        || 'bell^G del^? cr^M'
        ''                                 || ''
    }
}
