// expect 2 at line 3: machine name 'null' must start with a letter
scenario('a machine without a name') {
    machine(null)
}
