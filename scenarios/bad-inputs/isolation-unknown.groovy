// expect 2 at line 3: isolation 'parallel' is not one of snapshot, sequential, reboot
scenario('unknown isolation') {
    isolation 'parallel'
    machine('box')
}
