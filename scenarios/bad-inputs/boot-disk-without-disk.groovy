// expect 2 at line 3: machine 'box': boot 'disk' without a disk
scenario('booting a disk it does not have') {
    machine('box') {
        boot 'disk'
    }
}
