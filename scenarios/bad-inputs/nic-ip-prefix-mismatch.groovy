// expect 2 at line 5: nic address 10\.0\.1\.1/16 .*prefix.*/24
scenario('an address whose prefix is not the network') {
    network 'lan'
    machine('box') {
        nic 'lan', ip: '10.0.1.1/16'
    }
}
