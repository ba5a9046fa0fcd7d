// expect 2 at line 4: forward.*70000
scenario('a port beyond 65535') {
    machine('box') {
        forward host: 70000, guest: 22
    }
}
