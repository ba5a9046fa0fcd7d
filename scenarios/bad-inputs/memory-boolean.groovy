// expect 2 at line 4: wrong arguments for 'memory': \(Boolean\)
scenario('memory given as a boolean') {
    machine('box') {
        memory true
    }
}
