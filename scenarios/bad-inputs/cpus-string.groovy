// expect 2 at line 4: wrong arguments for 'cpus': \(String\)
scenario('cpus given as text') {
    machine('box') {
        cpus 'x'
    }
}
