// The thread of a network's switch dies mid-test (injected): that test fails naming the network,
// jvt restarts the switch, and the next test's machines reach each other again.
scenario('switch thread dies') {
    network 'lan'

    machine('a') { nic 'lan', ip: '10.0.1.1/24' }
    machine('b') { nic 'lan', ip: '10.0.1.2/24' }

    test('the switch dies while the machines talk') {
        a.succeed 'ping -c 1 -W 2 10.0.1.2'
        lan.crashSwitchForTest()
        a.fail 'ping -c 1 -W 1 10.0.1.2'
    }

    test('the next test finds the network working') {
        a.succeed 'ping -c 1 -W 2 10.0.1.2'
        b.succeed 'ping -c 1 -W 2 10.0.1.1'
    }
}
