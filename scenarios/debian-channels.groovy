// The same Debian image (the recipe of debian-nginx.groovy, so the cache has it) reached over each
// command channel: qemu-guest-agent, a serial-console login, and SSH. Every channel gives the
// exact exit status, and works again after the rewind before the second test.
def web = debian('bookworm') {
    packages 'nginx', 'curl'
    file '/var/www/html/index.html', text: 'hello from nginx\n', mode: 0644
    run 'systemctl enable nginx'
}

scenario('one image, every channel') {
    machine('viaQga') {
        image web
        memory '384M'
        channel 'qga'
    }
    machine('viaConsole') {
        image web
        memory '384M'
        channel 'console', user: 'root', password: 'root'
    }
    machine('viaSsh') {
        image web
        memory '384M'
        channel 'ssh'
    }

    setup {
        [viaQga, viaConsole, viaSsh].each { it.waitForUnit 'nginx.service' }
    }

    test('each channel runs commands with their output and exit status') {
        [viaQga, viaConsole, viaSsh].each { m ->
            assert m.succeed('echo $((6 * 7))') == '42\n'
            assert m.execute('echo out; exit 5') == [5, 'out\n']
            assert m.succeed('curl -s http://localhost/') == 'hello from nginx\n'
        }
        assert viaQga.execute('echo err >&2; exit 1') == [1, '']
    }

    test('each channel works again after the rewind') {
        [viaQga, viaConsole, viaSsh].each { m ->
            assert m.succeed('hostname') == m.name + '\n'
            m.fail 'test -e /root/never-made'
        }
    }
}
