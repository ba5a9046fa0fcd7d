// expect 2 at line 5: nic: unknown option 'ipp' \(known: ip, mac, model\)
scenario('misspelt nic option') {
    network 'lan'
    machine('box') {
        nic 'lan', ipp: '10.0.1.1/24'
    }
}
