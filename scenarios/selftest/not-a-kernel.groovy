// A kernel file that exists but is no kernel: QEMU refuses it, and the boot's failure carries QEMU's own words.
scenario('not a kernel') {
    machine('box') {
        kernel '/etc/hostname'
    }
    test('never runs') {
        box.succeed 'true'
    }
}
