// expect 2 at line 5: nic mac 'zz:zz' is not
scenario('a MAC that is not one') {
    network 'lan'
    machine('box') {
        nic 'lan', mac: 'zz:zz'
    }
}
