// A script that does not compile: exit code 2 and file:line, nothing runs.
scenario('broken') {
    machine('box') {
        memory '256M'
    }
    test('never runs') {
        box.succeed 'true'
    ]
}
