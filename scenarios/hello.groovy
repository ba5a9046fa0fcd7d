// The first scenario: boot the built-in guest, run commands, look at the console and the monitor.
scenario('hello') {
    machine('hello') {
        memory '256M'
        expectConsole 'jvt: guest ready'            // printed by the built-in guest's init
        failOn ~/Kernel panic|Oops/
    }

    test('the guest runs Linux') {
        def uname = hello.succeed('uname -a')
        assert uname.startsWith('Linux hello ')
    }

    test('a command returns its exact output and exit status') {
        def (status, out) = hello.execute('printf "one\\ntwo\\n"; exit 3')
        assert status == 3
        assert out == 'one\ntwo\n'
    }

    test('fail passes when the command fails') {
        hello.fail 'false'
        hello.fail 'test -e /no/such/file'
    }

    test('the serial console shows the shell') {
        hello.sendConsole 'echo typed-on-the-console\n'
        hello.waitForConsole ~/^typed-on-the-console/
        assert hello.console.contains('jvt: guest ready')
    }

    test('the monitor shows the registers') {
        def regs = hello.monitor 'info registers'
        assert regs =~ /RIP=[0-9a-f]{16}/
    }
}
