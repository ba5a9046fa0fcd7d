// expect 2 at line 4: cpus 100000 must be between 1 and 64
scenario('a hundred thousand CPUs') {
    machine('box') {
        cpus 100000
    }
}
