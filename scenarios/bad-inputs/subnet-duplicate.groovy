// expect 2 at line 4: network 'b' \(10\.0\.1\.0/24\) overlaps network 'a' \(10\.0\.1\.0/24\)
scenario('two networks on the default subnet of the first') {
    network 'a'
    network 'b', subnet: '10.0.1.0/24'
    machine('box')
}
