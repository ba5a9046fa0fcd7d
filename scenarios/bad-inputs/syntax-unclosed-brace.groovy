// expect 2 at line 7: Unexpected input|expecting
scenario('an unclosed block') {
    machine('box') {
        memory '256M'

    test('never closed') {
