// expect 2 at line 4: forward needs numbers
scenario('ports as text') {
    machine('box') {
        forward host: '2222', guest: '22'
    }
}
