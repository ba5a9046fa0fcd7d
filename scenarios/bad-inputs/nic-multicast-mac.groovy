// expect 2 at line 5: nic mac '01:00:5e:00:00:01' is a multicast address
scenario('a multicast MAC') {
    network 'lan'
    machine('box') {
        nic 'lan', mac: '01:00:5e:00:00:01'
    }
}
