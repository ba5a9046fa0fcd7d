// expect 2 at line 4: cpus 2.5 must be a whole number
scenario('half a CPU') {
    machine('box') {
        cpus 2.5
    }
}
