// expect 2 at line 4: cpus
scenario('cpus null') {
    machine('box') {
        cpus null
    }
}
