// expect 2 at line 4: machine 'box': disk image not found: .*/no-such-disk\.qcow2
scenario('a disk image that is not there') {
    machine('box') {
        disk 'no-such-disk.qcow2'
    }
}
