// QEMU killed in the middle of a test: that test fails (infrastructure), the run goes on.
scenario('QEMU dies mid-test') {
    machine('victim') {}

    test('QEMU is killed while the test runs') {
        victim.succeed 'true'
        ['kill', '-9', victim.process().pid().toString()].execute().waitFor()
        victim.succeed 'echo never answered'
    }

    test('later tests of the scenario are not run') {
        victim.succeed 'true'
    }
}
