// expect 2 at line 5: a scenario named 'same' is already declared at line 2
scenario('same') {
    machine('box')
}
scenario('same') {
    machine('box')
}
