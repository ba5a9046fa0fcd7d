// Two machines on a network, recorded with `jvt run --record` and replayed with `jvt replay`:
// each machine's recording holds the frames it received, so each replays on its own.
scenario('two machines recorded') {
    network 'lan'
    machine('server') {
        nic 'lan', ip: '10.0.1.1/24'
    }
    machine('client') {
        nic 'lan', ip: '10.0.1.2/24'
    }

    setup {
        server.succeed 'mkdir -p /srv && echo recorded-page > /srv/index.html && httpd -p 80 -h /srv'
    }

    test('ping and fetch a page') {
        client.succeed 'ping -c 2 -W 2 10.0.1.1'
        assert client.succeed('timeout 10 wget -qO- http://10.0.1.1/') == 'recorded-page\n'
    }
}
