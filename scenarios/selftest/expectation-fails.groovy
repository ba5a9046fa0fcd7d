// A test whose expectation does not hold: exit code 1, message with the command's output and the console.
scenario('expectation fails') {
    machine('box') {}

    test('a failing command fails the test') {
        box.succeed 'echo about to fail; echo on-stderr >&2; exit 7'
    }

    test('the next test still runs') {
        box.succeed 'true'
    }
}
