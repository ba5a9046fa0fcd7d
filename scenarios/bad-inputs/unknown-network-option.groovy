// expect 2 at line 3: network 'lan': unknown option 'cidr' \(known: subnet\)
scenario('misspelt network option') {
    network 'lan', cidr: '10.0.9.0/24'
    machine('box')
}
