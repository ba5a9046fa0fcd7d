// expect 2 at line 5: wrong arguments for 'nic': \(Integer\)
scenario('nic given a number') {
    network 'lan'
    machine('box') {
        nic 42
    }
}
