// expect 2 at line 4: scenario 'two boxes' already has a machine or network named 'box'
scenario('two boxes') {
    machine('box')
    machine('box')
}
