// expect 2 at line 4: a test needs a name
scenario('an unnamed test') {
    machine('box')
    test('') {
    }
}
