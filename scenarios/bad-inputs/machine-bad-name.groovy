// expect 2 at line 3: machine name 'my box' must start with a letter
scenario('a machine name with a space') {
    machine('my box')
}
