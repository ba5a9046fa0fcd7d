// expect 2 at line 4: cpus -1 must be between 1 and 64
scenario('negative CPUs') {
    machine('box') {
        cpus(-1)
    }
}
