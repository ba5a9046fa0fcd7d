// A user's image under a QEMU that is killed while the guest writes it (jvt bench faults, FaultsSpec):
// the writes went to jvt's overlay, the image (jvt.faults.image) keeps every byte.
scenario('user image under a killed QEMU') {
    machine('box') {
        disk System.getProperty('jvt.faults.image')
    }

    test('QEMU is killed while the guest writes the disk') {
        box.succeed 'dd if=/dev/urandom of=/dev/vda bs=64k count=32 conv=fsync 2>/dev/null'
        ['kill', '-9', box.process().pid().toString()].execute().waitFor()
        box.succeed 'dd if=/dev/urandom of=/dev/vda bs=64k count=32 conv=fsync 2>/dev/null'
    }

    test('the next test starts from the snapshot in a new QEMU') {
        assert box.succeed('dd if=/dev/vda bs=16 count=1 2>/dev/null | od -An -tx1').trim() == '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'
    }
}
