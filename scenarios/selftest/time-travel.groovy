// Two machines recorded together for time travel (jvt replay --repl): each test writes a line on
// the consoles, the second test fails, the third still runs. Used by TimeTravelSpec and the README.
scenario('time travel') {
    machine('alpha') {}
    machine('beta') {}

    test('first') {
        alpha.succeed 'echo "alpha: first test" > /dev/ttyS0'
        beta.succeed 'echo "beta: first test" > /dev/ttyS0'
    }

    test('fails') {
        alpha.succeed 'echo "alpha: the last line before the failure" > /dev/ttyS0'
        alpha.succeed 'echo "the command that fails"; exit 3'
    }

    test('after') {
        alpha.succeed 'echo "alpha: after the failure" > /dev/ttyS0'
        beta.succeed 'echo "beta: after the failure" > /dev/ttyS0'
    }
}
