// jvt is sent SIGINT or SIGTERM while 'hangs' runs (InterruptSpec): QEMU is stopped, the reports
// say 'passes' passed, 'hangs' was interrupted and 'never starts' was not run; exit 130 or 143.
scenario('interrupted run') {
    machine('box') {}

    test('passes') {
        box.succeed 'true'
    }

    test('hangs') {
        box.succeed 'sleep 600', 900
    }

    test('never starts') {
        box.succeed 'true'
    }
}
