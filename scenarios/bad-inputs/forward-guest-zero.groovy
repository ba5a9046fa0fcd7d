// expect 2 at line 4: forward.*guest port 0
scenario('guest port zero') {
    machine('box') {
        forward host: 0, guest: 0
    }
}
