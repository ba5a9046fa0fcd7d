// expect 2 at line 5: nic ip '10\.0\.1\.1' is not an address with prefix
scenario('an address without a prefix') {
    network 'lan'
    machine('box') {
        nic 'lan', ip: '10.0.1.1'
    }
}
