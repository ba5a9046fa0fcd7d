// expect 2 at line 2: wrong arguments for 'scenario': \(Integer, .*\)
scenario(42) {
    machine('box')
}
