// Boot once, rewind per test: every test starts from the state right after setup.
scenario('snapshots and the monitor') {
    machine('box') {}

    setup {
        box.succeed 'echo from-setup > /root/setup.txt'
    }

    test('a test writes a file') {
        box.succeed 'echo scribble > /root/scribble.txt'
        assert box.succeed('cat /root/setup.txt') == 'from-setup\n'
    }

    test('the next test no longer sees it, but sees what setup left') {
        box.fail 'test -e /root/scribble.txt'
        assert box.succeed('cat /root/setup.txt') == 'from-setup\n'
    }

    test('a test can take and rewind its own snapshots') {
        box.succeed 'echo 1 > /root/counter'
        box.snapshot 'one'
        box.succeed 'echo 2 > /root/counter'
        assert box.succeed('cat /root/counter') == '2\n'
        box.rewind 'one'
        assert box.succeed('cat /root/counter') == '1\n'
        // the serial console still works after a rewind
        box.sendConsole 'echo console-after-rewind\n'
        box.waitForConsole ~/^console-after-rewind/
    }

    test('a crashed machine comes back for the next test') {
        box.crash()
        assert !box.running
    }

    test('after the crash, the machine is back at the setup state') {
        assert box.succeed('cat /root/setup.txt') == 'from-setup\n'
    }

    test('registers are numbers parsed from info registers') {
        def regs = box.registers()
        assert regs.RIP > 0
        assert regs.RSP > 0
        assert (regs.CR0 & 1) == 1          // protected mode
        assert regs.RFLAGS != null
    }

    test('pause stops the guest clock until resume') {
        box.pause()
        assert box.paused
        sleep 1500
        box.resume()
        assert !box.paused
        box.succeed 'true'
    }

    test('a screenshot is a PNG of the display') {
        def png = box.screenshot('display')
        def bytes = png.toFile().bytes
        assert bytes.length > 100
        assert bytes[1..3] == 'PNG'.bytes as List
    }
}

// Tests continue from each other.
scenario('sequential isolation') {
    isolation 'sequential'
    machine('box') {}

    test('first test leaves a file') {
        box.succeed 'echo kept > /root/kept.txt'
    }

    test('second test still sees it') {
        assert box.succeed('cat /root/kept.txt') == 'kept\n'
    }
}
