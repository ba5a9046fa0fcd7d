// expect 2 at line 3: isolation 'null' is not one of snapshot, sequential, reboot
scenario('isolation without a value') {
    isolation()
    machine('box')
}
