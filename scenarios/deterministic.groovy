// A scenario without input from the host: under --deterministic its console transcript is the
// same, byte for byte, run after run (jvt run --deterministic --repeat 3 scenarios/deterministic.groovy).
scenario('deterministic boot') {
    machine('box') {
        expectConsole 'jvt: guest ready'
        expectConsole ~/box:~# /
    }

    test('the guest booted to its shell prompt') {
        assert box.console.contains('Linux version')
    }
}
