// A wait that runs out names what it waited for and shows the last console lines.
scenario('console wait times out') {
    machine('box') {}

    test('waits for text that never comes') {
        box.sendConsole 'echo some-console-output\n'
        box.waitForConsole 'text-that-never-appears', 3
    }

    test('a command that hangs times out') {
        box.succeed 'sleep 60', 2
    }
}
