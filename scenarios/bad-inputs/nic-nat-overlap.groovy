// expect 2 at line 6: nic address 10\.0\.2\.1/24 on network 'b' overlaps the NAT network
scenario('a network on the NAT subnet') {
    network 'a'
    network 'b'
    machine('box') {
        nic 'b'
        nat()
    }
}
