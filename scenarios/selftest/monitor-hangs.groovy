// QEMU stops answering its monitor (FaultsSpec sends it SIGSTOP): the monitor command fails naming
// the hang, jvt kills the hung QEMU, and the next test starts from the snapshot in a new one.
scenario('monitor hangs') {
    machine('box') {}

    setup {
        box.succeed 'echo prepared > /root/state'
    }

    test('the monitor does not answer') {
        ['kill', '-STOP', box.process().pid().toString()].execute().waitFor()
        box.monitor 'info status', java.time.Duration.ofSeconds(3)
    }

    test('the next test starts from the snapshot in a new QEMU') {
        assert box.succeed('cat /root/state') == 'prepared\n'
        assert box.monitor('info status').contains('running')
    }
}
