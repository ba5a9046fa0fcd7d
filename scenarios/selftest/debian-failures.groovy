// Self-test: each of these fails on purpose (the suite checks the messages): a wrong console
// password, an image without the chosen channel, a port that never opens, a failed unit, a wrong
// SSH password.
def web = debian('bookworm') {
    packages 'nginx', 'curl'
    file '/var/www/html/index.html', text: 'hello from nginx\n', mode: 0644
    run 'systemctl enable nginx'
}

scenario('a wrong console password') {
    machine('wrongPassword') {
        image web
        memory '384M'
        channel 'console', user: 'root', password: 'not-the-password'
    }
    test('is never reached') {
        wrongPassword.succeed 'true'
    }
}

scenario('no guest agent in the built-in guest') {
    machine('noQga') {
        channel 'qga'
        bootTimeout 20
    }
    test('is never reached') {
        noQga.succeed 'true'
    }
}

scenario('a port that never opens, a wrong SSH password') {  // and a failed unit
    machine('closed') {
        image web
        memory '384M'
    }
    test('a port that never opens') {
        closed.waitForOpenPort 8081, 5
    }
    test('a unit that failed fails waitForUnit at once') {
        closed.succeed 'systemd-run --unit=jvt-fails --property=Type=oneshot false || true'
        closed.waitForUnit 'jvt-fails.service', 120
    }
    test('a wrong SSH password') {
        closed.ssh(password: 'not-the-password')
    }
}
