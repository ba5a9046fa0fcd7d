// A real system under test: a Debian image jvt builds (cached by its recipe), nginx in it,
// reached from inside the guest, from the host through a forward, from a second machine over a
// jvt network, and over SSH; files copied both ways; every test starts from the snapshot taken
// after setup.
def web = debian('bookworm') {
    packages 'nginx', 'curl'
    file '/var/www/html/index.html', text: 'hello from nginx\n', mode: 0644
    run 'systemctl enable nginx'
}

scenario('nginx on Debian') {
    network 'lan'

    machine('web') {
        image web
        memory '512M'
        nic 'lan', ip: '10.0.1.1/24'
        forward host: 0, guest: 80
    }
    machine('client') {                              // the built-in busybox guest
        nic 'lan', ip: '10.0.1.2/24'
    }

    setup {
        web.waitForUnit 'nginx.service'
        web.waitForOpenPort 80
    }

    test('nginx serves the page inside the guest') {
        assert web.succeed('curl -s http://localhost/') == 'hello from nginx\n'
        assert web.systemctl('is-active nginx') == 'active\n'
    }

    test('the host fetches the page through the forward') {
        assert new URL("http://127.0.0.1:${web.hostPort(80)}/").text == 'hello from nginx\n'
    }

    test('a second machine fetches it over the jvt network') {
        assert client.succeed('wget -qO- http://10.0.1.1/') == 'hello from nginx\n'
    }

    test('SSH runs commands with their exit status') {
        def ssh = web.ssh(user: 'root')
        assert ssh.exec('systemctl is-active nginx').output.trim() == 'active'
        assert ssh.exec('echo to-stderr >&2; exit 3').status == 3
        assert ssh.exec('echo to-stderr >&2; exit 3').stderr == 'to-stderr\n'
        def local = ssh.forward(80)                  // a local port forward through the SSH session
        assert new URL("http://127.0.0.1:${local}/").text == 'hello from nginx\n'
    }

    test('a command left running in the background does not hold up the channel') {
        web.succeed 'sleep 300 >/dev/null 2>&1 &'
        assert web.succeed('pgrep -x sleep') != ''
    }


    test('files go both ways, over the agent and over SFTP') {
        def dir = java.nio.file.Files.createTempDirectory('jvt-files')
        def sent = dir.resolve('sent.txt')
        sent.text = 'from the host\n' * 1000
        web.copyToGuest(sent, '/root/sent.txt')
        assert web.succeed('wc -l < /root/sent.txt').trim() == '1000'
        web.succeed 'echo from the guest > /root/made.txt'
        web.copyFromGuest('/root/made.txt', dir.resolve('made.txt'))
        assert dir.resolve('made.txt').text == 'from the guest\n'
        def ssh = web.ssh()
        ssh.put(sent, '/root/over-sftp.txt')
        ssh.get('/root/over-sftp.txt', dir.resolve('back.txt'))
        assert dir.resolve('back.txt').text == sent.text
    }

    test('a stopped service is back in the next test') {
        web.systemctl 'stop nginx'
        web.waitForClosedPort 80
    }

    test('because every test starts from the snapshot') {
        assert web.systemctl('is-active nginx') == 'active\n'
        assert web.ssh().exec('cat /var/www/html/index.html').output == 'hello from nginx\n'
    }

    test('the guest clock follows the host after a rewind, not the snapshot') {
        long guest = web.succeed('date +%s').trim() as long
        assert Math.abs(guest - System.currentTimeMillis().intdiv(1000)) <= 2
    }
}
