// Three machines on one network; faults from the tests: a partition isolates one, a link goes
// down, frames are lost or delayed. Addresses are left to jvt: a, b, c get 10.0.1.1, .2, .3.
/** The round-trip times, in ms, that ping printed. */
List<Double> pingTimes(String out) {
    def m = out =~ /time=([\d.]+) ms/
    List<Double> times = []
    while (m.find()) {
        times << (m.group(1) as double)
    }
    times
}

scenario('three machines and network faults') {
    network 'lan'

    machine('a') { nic 'lan' }
    machine('b') { nic 'lan' }
    machine('c') { nic 'lan' }

    test('every machine got the next free address of the subnet') {
        assert a.succeed('ip -4 addr show eth0') =~ /inet 10\.0\.1\.1\/24/
        assert b.succeed('ip -4 addr show eth0') =~ /inet 10\.0\.1\.2\/24/
        assert c.succeed('ip -4 addr show eth0') =~ /inet 10\.0\.1\.3\/24/
        a.succeed 'ping -c 1 -W 2 10.0.1.2 && ping -c 1 -W 2 10.0.1.3'
    }

    test('a partition isolates c from a and b, who still reach each other') {
        a.succeed 'ping -c 1 -W 1 10.0.1.3'                   // before: reachable
        lan.partition([c], [a, b])
        a.fail 'ping -c 1 -W 1 10.0.1.3'                      // the first probe after the cut fails
        b.fail 'ping -c 1 -W 1 10.0.1.3'
        c.fail 'ping -c 1 -W 1 10.0.1.1'
        a.succeed 'ping -c 1 -W 1 10.0.1.2'
        lan.heal()
        c.succeed 'ping -c 1 -W 1 10.0.1.1'                   // the first probe after heal succeeds
        a.succeed 'ping -c 1 -W 1 10.0.1.3'
    }

    test('a partition given by machine names, and a TCP connection across it') {
        c.succeed 'mkdir -p /srv && echo from-c > /srv/index.html && httpd -p 8080 -h /srv'
        assert a.succeed('wget -qO- http://10.0.1.3:8080/') == 'from-c\n'
        lan.partition(['a'], ['c'])
        a.fail 'timeout 3 wget -qO- http://10.0.1.3:8080/'
        assert b.succeed('wget -qO- http://10.0.1.3:8080/') == 'from-c\n'
        lan.heal()
        assert a.succeed('wget -qO- http://10.0.1.3:8080/') == 'from-c\n'
    }

    test('a link taken down cuts a machine off until it comes up') {
        lan.link(b, up: false)
        a.fail 'ping -c 1 -W 1 10.0.1.2'
        c.fail 'ping -c 1 -W 1 10.0.1.2'
        a.succeed 'ping -c 1 -W 1 10.0.1.3'
        lan.link(b, up: true)
        a.waitUntilSucceeds 'ping -c 1 -W 1 10.0.1.2', 10        // ARP is redone after the link comes back
    }

    test('delay adds to the round trip and goes away with delay(0)') {
        lan.delay(150)
        def slow = a.succeed('ping -c 3 -W 3 10.0.1.2')
        def times = pingTimes(slow)
        assert times.size() == 3 && times.every { it >= 300 }     // 150 ms each way
        lan.delay(0)
        def fast = a.succeed('ping -c 3 -W 3 10.0.1.2')
        assert pingTimes(fast).every { it < 300 }
    }

    test('loss drops frames at random and loss(0) ends it') {
        // fixed ARP entries, so what is measured is frame loss and not ARP giving up
        a.succeed "arp -s 10.0.1.2 ${b.config().nics()[0].mac()}"
        b.succeed "arp -s 10.0.1.1 ${a.config().nics()[0].mac()}"
        lan.loss(100)
        a.fail 'ping -c 2 -W 1 10.0.1.2'
        lan.loss(40)
        def out = a.execute('ping -c 30 -i 0.1 -W 1 10.0.1.2')[1]
        def loss = out =~ /(\d+)% packet loss/
        assert loss.find()
        def lost = loss.group(1) as int
        assert lost > 0 && lost < 100                              // 40% each way: ~64% expected
        lan.loss(0)
        assert a.succeed('ping -c 5 -i 0.1 -W 1 10.0.1.2') =~ / 0% packet loss/
        assert lan.stats().droppedByLoss > 0
    }
}
