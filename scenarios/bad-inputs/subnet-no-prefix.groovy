// expect 2 at line 3: network 'lan': '10.0.1.0' is not a subnet like '10.0.1.0/24'
scenario('a subnet without a prefix') {
    network 'lan', subnet: '10.0.1.0'
    machine('box') {
        nic 'lan'
    }
}
