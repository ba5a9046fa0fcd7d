// Live migration: the guest moves to a fresh QEMU process and keeps running.
scenario('live migration') {
    machine('box') {}

    test('a counter started before the move keeps counting after it') {
        box.succeed 'sh -c \'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done\' >/dev/null 2>&1 & echo $! > /tmp/counter.pid'
        box.waitUntilSucceeds 'test "$(cat /tmp/count)" -gt 2', 30
        def pid = box.succeed('cat /tmp/counter.pid').trim()
        def qemuBefore = box.process().pid()

        box.migrate()

        assert box.process().pid() != qemuBefore
        def before = box.succeed('cat /tmp/count').trim() as int
        box.waitUntilSucceeds "test \"\$(cat /tmp/count)\" -gt ${before + 3}", 30
        box.succeed "kill -0 ${pid}"
        // the console and monitor work on the new process
        box.sendConsole 'echo after-migration\n'
        box.waitForConsole ~/^after-migration/
        assert box.monitor('info status').contains('running')
    }
}
