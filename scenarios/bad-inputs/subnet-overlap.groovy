// expect 2 at line 4: network 'b' \(10\.0\.5\.0/24\) overlaps network 'a' \(10\.0\.0\.0/16\)
scenario('overlapping networks') {
    network 'a', subnet: '10.0.0.0/16'
    network 'b', subnet: '10.0.5.0/24'
    machine('box') {
        nic 'a'
        nic 'b'
    }
}
