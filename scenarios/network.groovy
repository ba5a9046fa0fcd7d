// Two machines on a jvt network: ping, a TCP service, a partition, and a port forwarded from the host.
scenario('two machines on a network') {
    network 'lan'                                   // 10.0.1.0/24
    network 'backend', subnet: '192.168.7.0/24'

    machine('server') {
        nic 'lan', ip: '10.0.1.1/24'
        nic 'backend'                               // no ip: 192.168.7.1/24
        forward host: 0, guest: 80                  // host: 0 picks a free port: server.hostPort(80)
        guest {
            file '/srv/index.html', 'hello from server\n'
        }
    }
    machine('client') {
        nic 'lan', ip: '10.0.1.2/24', model: 'e1000'
        nic 'backend'                               // no ip: 192.168.7.2/24
    }

    setup {
        server.succeed 'httpd -p 80 -h /srv'
    }

    test('the machines ping each other') {
        client.succeed 'ping -c 2 -W 2 10.0.1.1'
        server.succeed 'ping -c 2 -W 2 10.0.1.2'
    }

    test('the client fetches a page from the server over TCP') {
        assert client.succeed('wget -qO- http://10.0.1.1/') == 'hello from server\n'
    }

    test('a partition cuts the link and heal restores it') {
        client.succeed 'ping -c 1 -W 2 10.0.1.1'          // ARP resolved, so the cut shows as unanswered pings
        lan.partition([server], [client])
        client.fail 'timeout 3 wget -qO- http://10.0.1.1/'
        client.fail 'ping -c 1 -W 1 10.0.1.1'
        lan.heal()
        client.waitUntilSucceeds 'ping -c 1 -W 1 10.0.1.1', 10
        assert client.succeed('wget -qO- http://10.0.1.1/') == 'hello from server\n'
    }

    test('a link taken down and up again') {
        client.succeed 'ping -c 1 -W 2 10.0.1.1'          // ARP resolved first, as above
        lan.link(client, up: false)
        client.fail 'ping -c 1 -W 1 10.0.1.1'
        lan.link(client, up: true)
        client.waitUntilSucceeds 'ping -c 1 -W 1 10.0.1.1', 10
    }

    test('the host reaches the guest service through the forwarded port') {
        def port = server.hostPort(80)
        def page = new URL("http://127.0.0.1:$port/").text
        assert page == 'hello from server\n'
    }

    test('a second network with its own subnet is a separate switch') {
        assert client.succeed('ip -4 addr show eth1') =~ /inet 192\.168\.7\.2\/24/
        client.succeed 'ping -c 1 -W 2 192.168.7.1'
        lan.partition([server], [client])                  // cuts lan only
        client.succeed 'ping -c 1 -W 2 192.168.7.1'
        client.fail 'ping -c 1 -W 1 10.0.1.1'
        lan.heal()
    }

    test('the pcap can be read while the scenario runs') {
        assert lan.pcap.toFile().length() > 24 && backend.pcap.toFile().length() > 24
        assert lan.pcap.fileName.toString() == 'lan.pcap'
    }

    test('a restarted machine rejoins its network and keeps its forwarded port') {
        def port = server.hostPort(80)
        server.crash()
        server.start()
        server.succeed 'httpd -p 80 -h /srv'
        client.waitUntilSucceeds 'ping -c 1 -W 1 10.0.1.1', 30
        assert client.succeed('wget -qO- http://10.0.1.1/') == 'hello from server\n'
        assert server.hostPort(80) == port
        assert new URL("http://127.0.0.1:$port/").text == 'hello from server\n'
    }
}
