// expect 2 at line 4: cpus 0 must be between 1 and 64
scenario('no CPU') {
    machine('box') {
        cpus 0
    }
}
