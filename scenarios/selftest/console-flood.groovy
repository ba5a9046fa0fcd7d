// A guest that floods its console (JVT_CONSOLE_LIMIT=4 in FaultsSpec): the test that floods fails
// naming the flood, the rest of the output is dropped, and the next test starts from the snapshot.
scenario('console flood') {
    machine('box') {}

    test('floods the console') {
        box.succeed 'yes flood-flood-flood-flood > /dev/console &'
        box.waitForConsole 'text-that-never-appears', 120
    }

    test('the next test starts from the snapshot, quiet') {
        box.succeed 'echo calm > /dev/console'
        box.waitForConsole 'calm'
    }
}
