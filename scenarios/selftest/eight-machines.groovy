// Eight machines in one scenario, on one network, on a 2-core host (FaultsSpec): all boot, all
// reach the first one, and a rewind brings all eight back.
scenario('eight machines') {
    network 'lan'
    (1..8).each { i ->
        machine("m$i") { nic 'lan', ip: "10.0.1.$i/24" }
    }

    test('every machine reaches m1') {
        (2..8).each { i -> machines["m$i"].succeed "ping -c 1 -W 5 10.0.1.1" }
    }

    test('after a rewind, m1 reaches every machine') {
        (2..8).each { i -> machines["m1"].succeed "ping -c 1 -W 5 10.0.1.$i" }   // m1 alone would do; a name made in a loop is not known to the type checker
    }
}
