// expect 2 at line 5: nic address 192\.168\.1\.1/24 is outside network 'lan' \(10\.0\.1\.0/24\)
scenario('an address outside the subnet') {
    network 'lan'
    machine('box') {
        nic 'lan', ip: '192.168.1.1/24'
    }
}
