// expect 2 at line 2: scenario 'nothing to test on' has tests but no machine
scenario('nothing to test on') {
    test('what') {
    }
}
