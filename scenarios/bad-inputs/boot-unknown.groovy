// expect 2 at line 4: boot 'network' is not one of kernel, disk, cdrom
scenario('unknown boot device') {
    machine('box') {
        boot 'network'
    }
}
