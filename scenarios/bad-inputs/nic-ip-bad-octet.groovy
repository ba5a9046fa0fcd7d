// expect 2 at line 5: 300 is not an octet
scenario('an address with an octet above 255') {
    network 'lan'
    machine('box') {
        nic 'lan', ip: '10.0.1.300/24'
    }
}
