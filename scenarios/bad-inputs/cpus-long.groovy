// expect 2 at line 4: cpus
scenario('CPUs beyond an int') {
    machine('box') {
        cpus 99999999999
    }
}
