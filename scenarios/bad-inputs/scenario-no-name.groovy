// expect 2 at line 2: a scenario needs a name
scenario('  ') {
    machine('box')
}
