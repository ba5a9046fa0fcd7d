// QEMU killed in the middle of a test: that test fails (infrastructure), the run goes on.
scenario('QEMU dies mid-test') {
    machine('victim') {}

    setup {
        victim.succeed 'echo prepared > /root/state'
    }

    test('QEMU is killed while the test runs') {
        victim.succeed 'true'
        ['kill', '-9', victim.process().pid().toString()].execute().waitFor()
        victim.succeed 'echo never answered'
    }

    test('the next test starts from the snapshot in a new QEMU') {
        assert victim.succeed('cat /root/state') == 'prepared\n'
    }
}
