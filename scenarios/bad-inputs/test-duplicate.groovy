// expect 2 at line 6: scenario 'twice' has two tests named 'ping'
scenario('twice') {
    machine('box')
    test('ping') {
    }
    test('ping') {
    }
}
