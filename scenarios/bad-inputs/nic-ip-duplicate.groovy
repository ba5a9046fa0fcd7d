// expect 2 at line 8: nic address 10\.0\.1\.5/24 is already used on network 'lan'
scenario('the same address twice') {
    network 'lan'
    machine('a') {
        nic 'lan', ip: '10.0.1.5/24'
    }
    machine('b') {
        nic 'lan', ip: '10.0.1.5/24'
    }
}
