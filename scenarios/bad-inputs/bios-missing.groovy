// expect 2 at line 4: machine 'box': file not found: .*/no-such-firmware\.bin
scenario('firmware that is not there') {
    machine('box') {
        bios 'no-such-firmware.bin'
    }
}
