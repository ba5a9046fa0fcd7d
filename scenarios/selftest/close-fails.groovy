// Self-test, run with --record: the test replaces the recording folder of machine 'first' with a
// file, so its recording cannot be finished and closing 'first' fails. 'second' is closed all the
// same, the scenario reports a broken "cleanup", and the next scenario of the run still runs.
scenario('close fails') {
    machine('first') {}
    machine('second') {}

    test('the recording folder of first is replaced by a file') {
        def run = first.directory().parent.parent
        def recording = run.resolve('replay/machines/close-fails/first')
        assert java.nio.file.Files.isDirectory(recording)
        java.nio.file.Files.move(recording, recording.resolveSibling('first.moved'))
        java.nio.file.Files.writeString(recording, 'not a folder')
        second.succeed 'true'
    }
}

scenario('after it') {
    machine('third') {}

    test('still runs') {
        third.succeed 'true'
    }
}
